// The page allocator: a buddy allocator over the HAL's memory regions.
//
// Each region becomes a zone: a frame table (two bytes per page, carved
// from the start of the region) and free lists per order. Blocks of 2^k
// pages are aligned to 2^k pages, so a block's buddy is found by flipping
// one bit of its page index, and frees merge back in O(log n).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hal/boot.h"
#include "toro/spinlock.h"

namespace toro::memory {

inline constexpr unsigned kMaxOrder = 20;  // 2^20 pages = 4 GiB blocks

// What a page is used for, kept in its frame so that free(pointer) can tell
// a slab object from a large allocation.
enum class PageUse : std::uint8_t {
    kFree = 0,      // head of a free block
    kInside = 1,    // inside a block whose head says more
    kLarge = 2,     // head of a block handed out by allocate()
    kPages = 3,     // head of a block handed out by allocate_pages()
    kSlab = 4,      // head of a slab of small objects
    kReserved = 5,  // frame table, or beyond the end of the zone
};

struct PageFrame {
    std::uint8_t order;
    PageUse use;
};

class PageAllocator {
public:
    // Forgets everything and takes the regions. Boot CPU, before any use.
    void reset(const hal::MemoryRegion* regions, std::size_t count);

    // 2^order pages aligned to their size, marked `use`; null if none.
    void* allocate(unsigned order, PageUse use);
    // The block must be a head returned by allocate() with this order.
    void free(void* block, unsigned order);

    // The frame of the page holding `address`, or null if it is not in a
    // zone. No lock: frames of allocated blocks only change when freed.
    PageFrame* frame_of(const void* address);

    std::size_t total_bytes() const { return total_pages_ * hal::kPageSize; }
    std::size_t free_bytes() const {
        return free_pages_.load(std::memory_order_relaxed) * hal::kPageSize;
    }

private:
    struct FreeBlock {
        FreeBlock* next;
        FreeBlock* previous;
    };
    struct Zone {
        std::uintptr_t base;  // first managed page, aligned to kZoneAlignment
        std::size_t page_count;
        PageFrame* frames;
        FreeBlock* free_lists[kMaxOrder + 1];
    };

    void add_region(const hal::MemoryRegion& region);
    void push_free(Zone& zone, std::size_t page, unsigned order);
    void unlink_free(Zone& zone, std::size_t page, unsigned order);
    void* allocate_from(Zone& zone, unsigned order, PageUse use);
    Zone* zone_of(std::uintptr_t address);

    SpinLock lock_;
    Zone zones_[hal::kMaxMemoryRegions];
    std::size_t zone_count_ = 0;
    std::size_t total_pages_ = 0;
    std::atomic<std::size_t> free_pages_{0};  // changed under lock_, read without
};

}  // namespace toro::memory
