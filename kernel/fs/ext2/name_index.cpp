#include "fs/ext2/name_index.h"

#include "toro/memory.h"

namespace toro::ext2 {

// FNV-1a, 32 bits: names are short, and a collision costs one block read.
std::uint32_t NameIndex::hash(fs::Name name) {
    std::uint32_t hash = 2166136261u;
    for (std::size_t i = 0; i < name.length; ++i) {
        hash = (hash ^ static_cast<std::uint8_t>(name.bytes[i])) * 16777619u;
    }
    return hash;
}

void NameIndex::clear() {
    free(slots_);
    slots_ = nullptr;
    capacity_ = used_ = deleted_ = 0;
    directory = 0;
    last_used = 0;  // a free slot is the first to be reused
    full_below = 0;
    full_for = ~0u;
}

// Rehashes into a table of `capacity` slots, dropping deleted ones.
bool NameIndex::resize(std::size_t capacity) {
    auto* fresh = static_cast<Slot*>(allocate(capacity * sizeof(Slot)));
    if (fresh == nullptr) return false;
    for (std::size_t i = 0; i < capacity; ++i) fresh[i].offset = kEmpty;
    for (std::size_t i = 0; i < capacity_; ++i) {
        const Slot& slot = slots_[i];
        if (slot.offset == kEmpty || slot.offset == kDeleted) continue;
        std::size_t j = slot.hash & (capacity - 1);
        while (fresh[j].offset != kEmpty) j = (j + 1) & (capacity - 1);
        fresh[j] = slot;
    }
    free(slots_);
    slots_ = fresh;
    capacity_ = capacity;
    deleted_ = 0;
    return true;
}

bool NameIndex::insert(std::uint32_t hash, Position position) {
    // At most half full, counting deleted slots, so probes stay short and
    // every probe sequence reaches an empty slot.
    if (2 * (used_ + deleted_ + 1) > capacity_) {
        std::size_t capacity = 64;  // a quarter full after, deleted slots dropped
        while (4 * (used_ + 1) > capacity) capacity *= 2;
        if (!resize(capacity)) return false;
    }
    std::size_t i = hash & (capacity_ - 1);
    while (slots_[i].offset != kEmpty && slots_[i].offset != kDeleted) i = (i + 1) & (capacity_ - 1);
    if (slots_[i].offset == kDeleted) --deleted_;
    slots_[i] = {hash, position.logical_block, position.offset};
    ++used_;
    return true;
}

void NameIndex::remove(std::uint32_t hash, Position position) {
    if (capacity_ == 0) return;
    for (std::size_t i = hash & (capacity_ - 1);; i = (i + 1) & (capacity_ - 1)) {
        Slot& slot = slots_[i];
        if (slot.offset == kEmpty) return;
        if (slot.offset != kDeleted && slot.hash == hash &&
            slot.logical_block == position.logical_block && slot.offset == position.offset) {
            slot.offset = kDeleted;
            --used_;
            ++deleted_;
            return;
        }
    }
}

}  // namespace toro::ext2
