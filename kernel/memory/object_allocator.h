// The small-object allocator: per-CPU slabs of fixed-size objects.
//
// A slab is 16 KiB of pages (aligned to 16 KiB, so an object finds its
// slab header by masking its address) owned by one CPU and holding objects
// of one size class. The owning CPU allocates and frees without locks or
// atomics: kernel threads are cooperative and event handlers only run
// between threads, so nothing interleaves on one CPU. A free from another
// CPU pushes the object onto the owner's per-class inbox (a lock-free
// stack); the owner takes the inbox back when it runs short.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hal/boot.h"
#include "memory/page_allocator.h"
#include "toro/memory.h"

namespace toro::memory {

inline constexpr std::size_t kLargestSmallObject = 2048;
inline constexpr unsigned kSlabOrder = 2;
inline constexpr std::size_t kSlabBytes = hal::kPageSize << kSlabOrder;

struct Slab;

class ObjectAllocator {
public:
    // Forgets every slab. Boot CPU, before any use.
    void reset(PageAllocator* pages);

    void* allocate(std::size_t size);  // size 1 .. kLargestSmallObject
    void free(void* object);
    void reclaim();                    // on the calling CPU
    void add_stats(MemoryStats& stats) const;

    static std::size_t class_size(unsigned size_class);
    // The slot an allocation of `size` bytes gets (its class's size).
    static std::size_t slot_size(std::size_t size);

private:
    struct ClassCache {
        Slab* current;
        Slab* partial;  // slabs with free objects, other than current
        alignas(64) std::atomic<void*> inbox;  // freed by other CPUs
    };
    // Each counter is written only by the CPU that owns the heap.
    struct alignas(64) CpuHeap {
        ClassCache classes[kSizeClassCount];
        std::atomic<std::uint64_t> allocated[kSizeClassCount];
        std::atomic<std::uint64_t> freed[kSizeClassCount];
    };

    void* allocate_slow(CpuHeap& heap, unsigned size_class);
    Slab* new_slab(unsigned size_class);
    void free_local(CpuHeap& heap, Slab* slab, void* object, std::size_t index);
    void drain_inbox(CpuHeap& heap, unsigned size_class);
    void release_if_empty(ClassCache& cache, Slab* slab);
    // The slab holding `object` and its index there, or null if `object`
    // is not an object slot of a live slab.
    Slab* slab_of(void* object, std::size_t* index);

    PageAllocator* pages_ = nullptr;
    std::atomic<std::size_t> slab_count_{0};
    CpuHeap heaps_[hal::kMaxCpus];
};

}  // namespace toro::memory
