// An in-memory index of one big linear directory: for each live entry, a
// hash of its name and where its record starts. With it a lookup reads only
// the blocks of the entries whose hash matches, a name that is absent costs
// no block at all, and a new entry goes straight to the first block that
// may have room. Without it, each of those is a scan of the whole
// directory, and filling a directory of n entries costs O(n^2).
//
// The directory's blocks stay the truth: every hit is checked against its
// block (directory.cpp), and a mismatch drops the index. What keeps it
// complete is that every entry added or removed goes through add_entry and
// remove_entry, which update it, and that a freed directory's index goes
// with it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fs/file_system.h"

namespace toro::ext2 {

class NameIndex {
public:
    struct Position {
        std::uint32_t logical_block;
        std::uint32_t offset;
    };

    NameIndex() = default;
    NameIndex(const NameIndex&) = delete;
    NameIndex& operator=(const NameIndex&) = delete;
    ~NameIndex() { clear(); }

    static std::uint32_t hash(fs::Name name);

    // False when the table cannot grow (out of memory): drop the index then.
    bool insert(std::uint32_t hash, Position position);
    void remove(std::uint32_t hash, Position position);
    // The positions whose hash is `hash`: calls visit(position) for each
    // until it returns true; returns whether one did.
    template <typename Visit>
    bool find(std::uint32_t hash, Visit visit) const;
    void clear();
    std::size_t size() const { return used_; }

    // The directory it describes (0: the slot is free), and when it was
    // last used, for replacing the least recently used.
    std::uint32_t directory = 0;
    std::uint64_t last_used = 0;
    // Blocks below `full_below` have no record with room for `full_for`
    // bytes or more: add_entry starts looking there.
    std::uint64_t full_below = 0;
    std::uint32_t full_for = ~0u;

private:
    // Open addressing, linear probing. Offsets are below 64 KiB, so two
    // offsets that cannot occur mark empty and deleted slots.
    static constexpr std::uint32_t kEmpty = ~0u, kDeleted = ~0u - 1;
    struct Slot {
        std::uint32_t hash;
        std::uint32_t logical_block;
        std::uint32_t offset;
    };

    bool resize(std::size_t capacity);

    Slot* slots_ = nullptr;
    std::size_t capacity_ = 0;  // a power of two, or 0
    std::size_t used_ = 0;
    std::size_t deleted_ = 0;
};

template <typename Visit>
bool NameIndex::find(std::uint32_t hash, Visit visit) const {
    if (capacity_ == 0) return false;
    for (std::size_t i = hash & (capacity_ - 1);; i = (i + 1) & (capacity_ - 1)) {
        const Slot& slot = slots_[i];
        if (slot.offset == kEmpty) return false;
        if (slot.offset != kDeleted && slot.hash == hash &&
            visit(Position{slot.logical_block, slot.offset})) {
            return true;
        }
    }
}

}  // namespace toro::ext2
