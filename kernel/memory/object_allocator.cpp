#include "memory/object_allocator.h"

#include "hal/cpu.h"
#include "memory/sanitizer.h"
#include "toro/print.h"

namespace toro::memory {

namespace {

constexpr std::size_t kClassSizes[kSizeClassCount] = {16,  32,  48,  64,  96,   128,  192,
                                                      256, 384, 512, 768, 1024, 1536, 2048};

// Object index = offset / size without a divide on the hot path:
// (offset * ceil(2^32 / size)) >> 32 is exact for the offsets of a slab.
struct Reciprocals {
    std::uint64_t of_class[kSizeClassCount];
    constexpr Reciprocals() : of_class() {
        for (unsigned c = 0; c < kSizeClassCount; ++c) {
            of_class[c] = ((std::uint64_t{1} << 32) + kClassSizes[c] - 1) / kClassSizes[c];
        }
    }
};
constexpr Reciprocals kReciprocals;

// class_for_granule[(size + 15) / 16] is the smallest class that fits.
struct ClassTable {
    std::uint8_t class_for_granule[kLargestSmallObject / 16 + 1];
    constexpr ClassTable() : class_for_granule() {
        unsigned size_class = 0;
        for (std::size_t granule = 0; granule <= kLargestSmallObject / 16; ++granule) {
            while (kClassSizes[size_class] < granule * 16) ++size_class;
            class_for_granule[granule] = static_cast<std::uint8_t>(size_class);
        }
    }
};
constexpr ClassTable kClassTable;

void bump(std::atomic<std::uint64_t>& counter) {  // single writer: no RMW needed
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

struct FreeObject {
    FreeObject* next;
};

}  // namespace

// Lives in the first bytes of its 16 KiB; objects follow.
struct Slab {
    Slab* next;
    Slab* previous;
    FreeObject* free_list;
    char* untouched;  // objects never handed out start here
    char* end;
    std::uint32_t free_count;
    std::uint32_t capacity;
    std::uint16_t owner_cpu;
    std::uint8_t size_class;
    bool in_partial_list;
    // One bit per object handed out, kept by the owning CPU only: a double
    // free, or a free of a slot never handed out, is caught before it can
    // put one object on the free list twice.
    static constexpr std::size_t kHeaderBytes = 192;
    static constexpr std::size_t kMaxObjects = 1024;  // 16 KiB / 16 B, rounded
    std::uint64_t handed_out[kMaxObjects / 64];

    char* first_object() { return reinterpret_cast<char*>(this) + kHeaderBytes; }
    std::size_t index_of(void* object) {
        auto offset = static_cast<std::uint64_t>(static_cast<char*>(object) - first_object());
        return static_cast<std::size_t>((offset * kReciprocals.of_class[size_class]) >> 32);
    }
    void mark(std::size_t index) { handed_out[index / 64] |= std::uint64_t{1} << (index % 64); }
    // Clears the object's bit; false if it was not set (not handed out).
    bool unmark(std::size_t index) {
        std::uint64_t bit = std::uint64_t{1} << (index % 64);
        if ((handed_out[index / 64] & bit) == 0) return false;
        handed_out[index / 64] &= ~bit;
        return true;
    }

    void* pop(std::size_t size) {
        void* object = nullptr;
        if (FreeObject* free_object = free_list) {
            free_list = free_object->next;
            object = free_object;
        } else if (untouched + size <= end) {
            object = untouched;
            untouched += size;
        } else {
            return nullptr;
        }
        --free_count;
        mark(index_of(object));
        return object;
    }
};
static_assert(sizeof(Slab) <= Slab::kHeaderBytes);
static_assert((kSlabBytes - Slab::kHeaderBytes) / 16 <= Slab::kMaxObjects);

std::size_t ObjectAllocator::class_size(unsigned size_class) { return kClassSizes[size_class]; }

std::size_t ObjectAllocator::slot_size(std::size_t size) {
    return kClassSizes[kClassTable.class_for_granule[(size + 15) / 16]];
}

void ObjectAllocator::reset(PageAllocator* pages) {
    pages_ = pages;
    slab_count_.store(0, std::memory_order_relaxed);
    for (CpuHeap& heap : heaps_) {
        for (unsigned c = 0; c < kSizeClassCount; ++c) {
            heap.classes[c].current = nullptr;
            heap.classes[c].partial = nullptr;
            heap.classes[c].inbox.store(nullptr, std::memory_order_relaxed);
            heap.allocated[c].store(0, std::memory_order_relaxed);
            heap.freed[c].store(0, std::memory_order_relaxed);
        }
    }
}

void* ObjectAllocator::allocate(std::size_t size) {
    unsigned size_class = kClassTable.class_for_granule[(size + 15) / 16];
    CpuHeap& heap = heaps_[hal::cpu_current()];
    Slab* slab = heap.classes[size_class].current;
    void* object = slab ? slab->pop(kClassSizes[size_class]) : nullptr;
    if (object == nullptr) object = allocate_slow(heap, size_class);
    if (object != nullptr) bump(heap.allocated[size_class]);
    return object;
}

// The current slab is full: take back remote frees, else move to a partial
// slab, else to a new one. A full slab stays in no list until an object of
// it is freed.
void* ObjectAllocator::allocate_slow(CpuHeap& heap, unsigned size_class) {
    ClassCache& cache = heap.classes[size_class];
    std::size_t size = kClassSizes[size_class];
    drain_inbox(heap, size_class);
    if (cache.current != nullptr) {
        if (void* object = cache.current->pop(size)) return object;
    }
    Slab* next = cache.partial;
    if (next != nullptr) {
        cache.partial = next->next;
        if (cache.partial != nullptr) cache.partial->previous = nullptr;
        next->in_partial_list = false;
    } else {
        next = new_slab(size_class);
        if (next == nullptr) return nullptr;
    }
    cache.current = next;
    return next->pop(size);
}

Slab* ObjectAllocator::new_slab(unsigned size_class) {
    void* pages = pages_->allocate(kSlabOrder, PageUse::kSlab);
    if (pages == nullptr) return nullptr;
    auto* slab = static_cast<Slab*>(pages);
    std::size_t size = kClassSizes[size_class];
    slab->next = slab->previous = nullptr;
    slab->free_list = nullptr;
    slab->untouched = slab->first_object();
    slab->capacity = static_cast<std::uint32_t>((kSlabBytes - Slab::kHeaderBytes) / size);
    slab->end = slab->first_object() + slab->capacity * size;
    slab->free_count = slab->capacity;
    slab->owner_cpu = static_cast<std::uint16_t>(hal::cpu_current());
    slab->size_class = static_cast<std::uint8_t>(size_class);
    slab->in_partial_list = false;
    for (std::uint64_t& word : slab->handed_out) word = 0;
    slab_count_.fetch_add(1, std::memory_order_relaxed);
    return slab;
}

// The slab header of an object, after checking that the pointer is one
// this allocator handed out: a wild free must not corrupt a free list.
Slab* ObjectAllocator::slab_of(void* object, std::size_t* index_out) {
    auto address = reinterpret_cast<std::uintptr_t>(object);
    auto* slab = reinterpret_cast<Slab*>(address & ~(kSlabBytes - 1));
    PageFrame* frame = pages_->frame_of(slab);
    if (frame == nullptr || frame->use != PageUse::kSlab) return nullptr;
    if (address < reinterpret_cast<std::uintptr_t>(slab->first_object()) ||
        address >= reinterpret_cast<std::uintptr_t>(slab->end)) {
        return nullptr;
    }
    std::size_t index = slab->index_of(object);
    if (slab->first_object() + index * kClassSizes[slab->size_class] != object) return nullptr;
    *index_out = index;
    return slab;
}

void ObjectAllocator::free(void* object) {
    std::size_t index = 0;
    Slab* slab = slab_of(object, &index);
    if (slab == nullptr) panic("memory: free of %p, which was never allocated", object);
    poison_freed(object, kClassSizes[slab->size_class]);
    unsigned cpu = hal::cpu_current();
    CpuHeap& heap = heaps_[cpu];
    bump(heap.freed[slab->size_class]);
    if (slab->owner_cpu == cpu) {
        free_local(heap, slab, object, index);
        return;
    }
    std::atomic<void*>& inbox = heaps_[slab->owner_cpu].classes[slab->size_class].inbox;
    auto* node = static_cast<FreeObject*>(object);
    void* head = inbox.load(std::memory_order_relaxed);
    do {
        node->next = static_cast<FreeObject*>(head);
    } while (!inbox.compare_exchange_weak(head, node, std::memory_order_release,
                                          std::memory_order_relaxed));
}

// Only the owner reads the bitmap; a bad free from another CPU is caught
// here, when the owner takes back its inbox.
void ObjectAllocator::free_local(CpuHeap& heap, Slab* slab, void* object, std::size_t index) {
    if (!slab->unmark(index)) {
        panic("memory: free of %p, which is not allocated (freed twice?)", object);
    }
    auto* node = static_cast<FreeObject*>(object);
    node->next = slab->free_list;
    slab->free_list = node;
    ++slab->free_count;
    ClassCache& cache = heap.classes[slab->size_class];
    if (slab == cache.current) return;
    if (!slab->in_partial_list) {
        slab->previous = nullptr;
        slab->next = cache.partial;
        if (cache.partial != nullptr) cache.partial->previous = slab;
        cache.partial = slab;
        slab->in_partial_list = true;
    }
    release_if_empty(cache, slab);
}

// An empty slab other than the current one goes back to the page
// allocator, so memory freed on one CPU can serve another.
void ObjectAllocator::release_if_empty(ClassCache& cache, Slab* slab) {
    if (slab->free_count != slab->capacity || slab == cache.current) return;
    if (slab->in_partial_list) {
        if (slab->previous != nullptr) {
            slab->previous->next = slab->next;
        } else {
            cache.partial = slab->next;
        }
        if (slab->next != nullptr) slab->next->previous = slab->previous;
    }
    slab_count_.fetch_sub(1, std::memory_order_relaxed);
    unpoison_for_allocator(slab, kSlabBytes);
    pages_->free(slab, kSlabOrder);
}

void ObjectAllocator::drain_inbox(CpuHeap& heap, unsigned size_class) {
    void* taken = heap.classes[size_class].inbox.exchange(nullptr, std::memory_order_acquire);
    auto* object = static_cast<FreeObject*>(taken);
    while (object != nullptr) {
        FreeObject* next = object->next;
        std::size_t index = 0;
        Slab* slab = slab_of(object, &index);
        free_local(heap, slab, object, index);
        object = next;
    }
}

void ObjectAllocator::reclaim() {
    CpuHeap& heap = heaps_[hal::cpu_current()];
    for (unsigned c = 0; c < kSizeClassCount; ++c) {
        drain_inbox(heap, c);
        ClassCache& cache = heap.classes[c];
        Slab* current = cache.current;
        if (current != nullptr && current->free_count == current->capacity) {
            cache.current = nullptr;
            release_if_empty(cache, current);
        }
    }
}

void ObjectAllocator::add_stats(MemoryStats& stats) const {
    stats.slab_bytes = slab_count_.load(std::memory_order_relaxed) * kSlabBytes;
    // Only the machine's CPUs have counted anything: the heaps of the
    // kMaxCpus - cpu_count() others stay zero (ext2_fuzz reads the stats
    // after every input, where a loop over all 64 was 5% of its time).
    unsigned cpus = hal::cpu_count();
    for (unsigned c = 0; c < kSizeClassCount; ++c) {
        std::uint64_t allocated = 0, freed = 0;
        for (unsigned cpu = 0; cpu < cpus; ++cpu) {
            allocated += heaps_[cpu].allocated[c].load(std::memory_order_relaxed);
            freed += heaps_[cpu].freed[c].load(std::memory_order_relaxed);
        }
        stats.class_size[c] = kClassSizes[c];
        stats.class_objects_in_use[c] = allocated - freed;
        stats.objects_in_use += allocated - freed;
    }
}

}  // namespace toro::memory
