#include "memory/page_allocator.h"

#include "toro/print.h"

namespace toro::memory {

namespace {

constexpr std::size_t kPage = hal::kPageSize;

std::size_t pages_of(unsigned order) { return std::size_t{1} << order; }
std::uintptr_t align_up(std::uintptr_t value, std::size_t to) { return (value + to - 1) & ~(to - 1); }

}  // namespace

void PageAllocator::reset(const hal::MemoryRegion* regions, std::size_t count) {
    zone_count_ = 0;
    total_pages_ = 0;
    free_pages_.store(0, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count && i < hal::kMaxMemoryRegions; ++i) add_region(regions[i]);
}

// The frame table goes at the start of the region; the pages after it are
// cut into the largest blocks that are aligned to their own size (by
// absolute page number, so alignment holds for every order).
void PageAllocator::add_region(const hal::MemoryRegion& region) {
    std::uintptr_t start = align_up(region.base, kPage);
    std::uintptr_t end = (region.base + region.length) & ~(kPage - 1);
    if (end <= start + 2 * kPage) return;
    std::size_t pages = (end - start) / kPage;
    std::size_t frame_pages = align_up(pages * sizeof(PageFrame), kPage) / kPage;
    if (frame_pages >= pages) return;

    Zone& zone = zones_[zone_count_++];
    zone.frames = reinterpret_cast<PageFrame*>(start);
    zone.base = start + frame_pages * kPage;
    zone.page_count = pages - frame_pages;
    for (auto& list : zone.free_lists) list = nullptr;
    for (std::size_t i = 0; i < zone.page_count; ++i) zone.frames[i] = {0, PageUse::kInside};

    std::size_t page = 0;
    while (page < zone.page_count) {
        std::uintptr_t absolute = zone.base / kPage + page;
        unsigned order = 0;
        while (order < kMaxOrder && (absolute & pages_of(order)) == 0 &&
               page + pages_of(order + 1) <= zone.page_count) {
            ++order;
        }
        push_free(zone, page, order);
        page += pages_of(order);
    }
    total_pages_ += zone.page_count;
}

void PageAllocator::push_free(Zone& zone, std::size_t page, unsigned order) {
    auto* block = reinterpret_cast<FreeBlock*>(zone.base + page * kPage);
    block->previous = nullptr;
    block->next = zone.free_lists[order];
    if (block->next != nullptr) block->next->previous = block;
    zone.free_lists[order] = block;
    zone.frames[page] = {static_cast<std::uint8_t>(order), PageUse::kFree};
    free_pages_.fetch_add(pages_of(order), std::memory_order_relaxed);
}

void PageAllocator::unlink_free(Zone& zone, std::size_t page, unsigned order) {
    auto* block = reinterpret_cast<FreeBlock*>(zone.base + page * kPage);
    if (block->previous != nullptr) {
        block->previous->next = block->next;
    } else {
        zone.free_lists[order] = block->next;
    }
    if (block->next != nullptr) block->next->previous = block->previous;
    zone.frames[page].use = PageUse::kInside;
    free_pages_.fetch_sub(pages_of(order), std::memory_order_relaxed);
}

void* PageAllocator::allocate_from(Zone& zone, unsigned order, PageUse use) {
    unsigned found = order;
    while (found <= kMaxOrder && zone.free_lists[found] == nullptr) ++found;
    if (found > kMaxOrder) return nullptr;

    auto address = reinterpret_cast<std::uintptr_t>(zone.free_lists[found]);
    std::size_t page = (address - zone.base) / kPage;
    unlink_free(zone, page, found);
    while (found > order) {  // give back the upper halves
        --found;
        push_free(zone, page + pages_of(found), found);
    }
    zone.frames[page] = {static_cast<std::uint8_t>(order), use};
    for (std::size_t i = 1; i < pages_of(order); ++i) zone.frames[page + i].use = PageUse::kInside;
    return reinterpret_cast<void*>(address);
}

void* PageAllocator::allocate(unsigned order, PageUse use) {
    if (order > kMaxOrder) return nullptr;
    SpinLockGuard guard(lock_);
    for (std::size_t i = 0; i < zone_count_; ++i) {
        if (void* block = allocate_from(zones_[i], order, use)) return block;
    }
    return nullptr;
}

void PageAllocator::free(void* block, unsigned order) {
    auto address = reinterpret_cast<std::uintptr_t>(block);
    SpinLockGuard guard(lock_);
    Zone* zone = zone_of(address);
    std::size_t page = zone ? (address - zone->base) / kPage : 0;
    if (zone == nullptr || address % kPage != 0 || zone->frames[page].use == PageUse::kFree ||
        zone->frames[page].use == PageUse::kInside || zone->frames[page].order != order) {
        lock_.unlock();
        panic("page allocator: bad free of %p (order %u)", block, order);
    }
    // Merge with the buddy while it is a free block of the same order.
    std::size_t zone_first = zone->base / kPage;
    while (order < kMaxOrder) {
        // A buddy below the zone wraps around to a huge index: not merged.
        std::size_t buddy = ((zone_first + page) ^ pages_of(order)) - zone_first;
        if (buddy >= zone->page_count || zone->frames[buddy].use != PageUse::kFree ||
            zone->frames[buddy].order != order) {
            break;
        }
        unlink_free(*zone, buddy, order);
        if (buddy < page) page = buddy;
        ++order;
    }
    for (std::size_t i = 1; i < pages_of(order); ++i) zone->frames[page + i].use = PageUse::kInside;
    push_free(*zone, page, order);
}

PageFrame* PageAllocator::frame_of(const void* address) {
    auto value = reinterpret_cast<std::uintptr_t>(address);
    Zone* zone = zone_of(value);
    return zone ? &zone->frames[(value - zone->base) / kPage] : nullptr;
}

PageAllocator::Zone* PageAllocator::zone_of(std::uintptr_t address) {
    for (std::size_t i = 0; i < zone_count_; ++i) {
        Zone& zone = zones_[i];
        if (address >= zone.base && address < zone.base + zone.page_count * kPage) return &zone;
    }
    return nullptr;
}

}  // namespace toro::memory
