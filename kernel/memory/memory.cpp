// The Memory unit's API: small objects from the per-CPU slabs, the rest as
// whole pages from the buddy allocator.
#include <atomic>

#include "memory/memory_unit.h"
#include "memory/object_allocator.h"
#include "memory/page_allocator.h"
#include "memory/sanitizer.h"
#include "toro/memory.h"
#include "toro/print.h"

namespace toro {

namespace {

memory::PageAllocator page_allocator;
memory::ObjectAllocator object_allocator;
std::atomic<std::size_t> large_bytes_in_use{0};
std::atomic<std::size_t> page_bytes_in_use{0};

unsigned order_for_bytes(std::size_t bytes) {
    unsigned order = 0;
    while ((hal::kPageSize << order) < bytes && order <= memory::kMaxOrder) ++order;
    return order;
}

std::size_t bytes_of_order(unsigned order) { return hal::kPageSize << order; }

}  // namespace

void memory::initialize(const hal::BootInfo& boot_info) {
    page_allocator.reset(boot_info.memory, boot_info.memory_region_count);
    object_allocator.reset(&page_allocator);
    large_bytes_in_use.store(0, std::memory_order_relaxed);
    page_bytes_in_use.store(0, std::memory_order_relaxed);
}

void* allocate(std::size_t size) {
    if (size == 0 || size > ~std::size_t{0} - memory::kRedzoneBytes) return nullptr;
    std::size_t needed = size + memory::kRedzoneBytes;
    if (needed <= memory::kLargestSmallObject) {
        void* object = object_allocator.allocate(needed);
        if (object != nullptr) memory::poison_all_but(object, size, memory::ObjectAllocator::slot_size(needed));
        return object;
    }
    unsigned order = order_for_bytes(needed);
    void* block = page_allocator.allocate(order, memory::PageUse::kLarge);
    if (block == nullptr) return nullptr;
    large_bytes_in_use.fetch_add(bytes_of_order(order), std::memory_order_relaxed);
    memory::poison_all_but(block, size, bytes_of_order(order));
    return block;
}

void free(void* pointer) {
    if (pointer == nullptr) return;
    // Large blocks are page aligned; most small objects are not, and skip
    // the frame look-up here (the slab path does its own).
    if (reinterpret_cast<std::uintptr_t>(pointer) % hal::kPageSize != 0) {
        object_allocator.free(pointer);
        return;
    }
    memory::PageFrame* frame = page_allocator.frame_of(pointer);
    if (frame != nullptr && frame->use == memory::PageUse::kLarge) {
        unsigned order = frame->order;
        memory::unpoison_for_allocator(pointer, bytes_of_order(order));
        page_allocator.free(pointer, order);
        large_bytes_in_use.fetch_sub(bytes_of_order(order), std::memory_order_relaxed);
        return;
    }
    object_allocator.free(pointer);
}

void* allocate_pages(unsigned order) {
    void* block = page_allocator.allocate(order, memory::PageUse::kPages);
    if (block != nullptr) page_bytes_in_use.fetch_add(bytes_of_order(order), std::memory_order_relaxed);
    return block;
}

void free_pages(void* pages, unsigned order) {
    if (pages == nullptr) return;
    memory::PageFrame* frame = page_allocator.frame_of(pages);
    if (frame == nullptr || frame->use != memory::PageUse::kPages) {
        panic("memory: free_pages of %p, which allocate_pages did not return", pages);
    }
    page_allocator.free(pages, order);
    page_bytes_in_use.fetch_sub(bytes_of_order(order), std::memory_order_relaxed);
}

MemoryStats memory_stats() {
    MemoryStats stats{};
    stats.total_bytes = page_allocator.total_bytes();
    stats.free_page_bytes = page_allocator.free_bytes();
    stats.large_bytes_in_use = large_bytes_in_use.load(std::memory_order_relaxed);
    stats.page_bytes_in_use = page_bytes_in_use.load(std::memory_order_relaxed);
    object_allocator.add_stats(stats);
    return stats;
}

void memory_reclaim() { object_allocator.reclaim(); }

}  // namespace toro
