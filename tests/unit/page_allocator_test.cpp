// The buddy page allocator on its own, over host buffers: alignment of every
// block to its size, merging back after frees in any order, trimming of
// unaligned regions, several regions, and the frame table. No machine runs
// here, so the panicking paths (bad frees) are tested through the public API
// in allocator_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "memory/page_allocator.h"

namespace {

using toro::memory::kMaxOrder;
using toro::memory::PageAllocator;
using toro::memory::PageFrame;
using toro::memory::PageUse;

constexpr std::size_t kPage = hal::kPageSize;
constexpr std::size_t kArenaBytes = 8u << 20;

// 8 MiB of host memory aligned to 8 MiB, so offsets inside it are as
// aligned as the absolute addresses the allocator aligns blocks to.
struct Arena {
    void* memory = std::aligned_alloc(kArenaBytes, kArenaBytes);
    ~Arena() { std::free(memory); }
    std::uintptr_t base() const { return reinterpret_cast<std::uintptr_t>(memory); }
    std::uintptr_t at(std::size_t offset) const { return base() + offset; }
};

std::size_t bytes_of(unsigned order) { return kPage << order; }

std::uintptr_t address(const void* block) { return reinterpret_cast<std::uintptr_t>(block); }

struct Allocation {
    void* block;
    unsigned order;
};

// The largest order that can be allocated now (allocated then freed), or -1.
int largest_order(PageAllocator& pages) {
    for (int order = kMaxOrder; order >= 0; --order) {
        if (void* block = pages.allocate(static_cast<unsigned>(order), PageUse::kPages)) {
            pages.free(block, static_cast<unsigned>(order));
            return order;
        }
    }
    return -1;
}

// Allocates order-0 pages until null.
std::vector<void*> take_every_page(PageAllocator& pages) {
    std::vector<void*> taken;
    while (void* page = pages.allocate(0, PageUse::kPages)) taken.push_back(page);
    return taken;
}

bool within(const void* block, std::size_t bytes, std::uintptr_t begin, std::uintptr_t end) {
    return address(block) >= begin && address(block) + bytes <= end;
}

bool disjoint(std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges) {
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i - 1].second > ranges[i].first) return false;
    }
    return true;
}

TEST(PageAllocator, EveryBlockIsAlignedToItsOwnSizeAndBlocksAreDisjoint) {
    Arena arena;
    // Start three pages in, so that the region itself is not aligned to
    // anything above a page: alignment must come from the allocator.
    const hal::MemoryRegion region{arena.at(3 * kPage), kArenaBytes - 3 * kPage};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);
    std::mt19937_64 rng(7);
    std::vector<Allocation> allocations;
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges;
    std::size_t misaligned = 0, outside = 0, accounting_errors = 0;
    // A random order each time, or the largest smaller one that is left,
    // until not even a page is.
    for (;;) {
        auto got = static_cast<unsigned>(rng() % 6);
        std::size_t free_before = pages->free_bytes();
        void* block = pages->allocate(got, PageUse::kPages);
        while (block == nullptr && got > 0) block = pages->allocate(--got, PageUse::kPages);
        if (block == nullptr) break;
        if (address(block) % bytes_of(got) != 0) ++misaligned;
        if (!within(block, bytes_of(got), region.base, region.base + region.length)) ++outside;
        if (free_before - pages->free_bytes() != bytes_of(got)) ++accounting_errors;
        allocations.push_back({block, got});
        ranges.emplace_back(address(block), address(block) + bytes_of(got));
    }
    EXPECT_GT(allocations.size(), 100u);
    EXPECT_EQ(misaligned, 0u);
    EXPECT_EQ(outside, 0u);
    EXPECT_EQ(accounting_errors, 0u);
    EXPECT_TRUE(disjoint(ranges));
    EXPECT_EQ(pages->free_bytes(), 0u);
    std::size_t allocated_bytes = 0;
    for (const Allocation& allocation : allocations) allocated_bytes += bytes_of(allocation.order);
    EXPECT_EQ(allocated_bytes, pages->total_bytes());
}

TEST(PageAllocator, FreeingEveryPageInRandomOrderMergesBackToTheLargestBlock) {
    Arena arena;
    const hal::MemoryRegion region{arena.base(), kArenaBytes};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);
    const std::size_t initial_free = pages->free_bytes();
    const int initial_largest = largest_order(*pages);
    ASSERT_GE(initial_largest, 10);  // 4 MiB blocks fit in 8 MiB less the frame table
    EXPECT_EQ(initial_free, pages->total_bytes());

    for (std::uint64_t seed : {1u, 2u, 3u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        std::vector<void*> taken = take_every_page(*pages);
        EXPECT_EQ(taken.size() * kPage, initial_free);
        EXPECT_EQ(pages->free_bytes(), 0u);
        EXPECT_EQ(std::set<void*>(taken.begin(), taken.end()).size(), taken.size());
        std::shuffle(taken.begin(), taken.end(), std::mt19937_64(seed));
        for (void* page : taken) pages->free(page, 0);
        EXPECT_EQ(pages->free_bytes(), initial_free);
        EXPECT_EQ(largest_order(*pages), initial_largest);
    }
}

TEST(PageAllocator, MixedOrdersFreedInRandomOrderMergeBackCompletely) {
    Arena arena;
    const hal::MemoryRegion region{arena.at(5 * kPage), kArenaBytes - 9 * kPage};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);
    const std::size_t initial_free = pages->free_bytes();
    const int initial_largest = largest_order(*pages);
    std::mt19937_64 rng(11);
    for (int round = 0; round < 5; ++round) {
        SCOPED_TRACE(testing::Message() << "round " << round);
        std::vector<Allocation> held;
        std::size_t failures = 0;
        while (failures < 32) {
            auto order = static_cast<unsigned>(rng() % 6);
            if (void* block = pages->allocate(order, PageUse::kLarge)) {
                held.push_back({block, order});
            } else {
                ++failures;
            }
        }
        // Free half, take some more, then free everything, all shuffled.
        std::shuffle(held.begin(), held.end(), rng);
        for (std::size_t i = held.size() / 2; i < held.size(); ++i) {
            pages->free(held[i].block, held[i].order);
        }
        held.resize(held.size() / 2);
        for (int i = 0; i < 200; ++i) {
            auto order = static_cast<unsigned>(rng() % 4);
            void* block = pages->allocate(order, PageUse::kLarge);
            if (block != nullptr) held.push_back({block, order});
        }
        std::shuffle(held.begin(), held.end(), rng);
        for (const Allocation& allocation : held) pages->free(allocation.block, allocation.order);
        EXPECT_EQ(pages->free_bytes(), initial_free);
        EXPECT_EQ(largest_order(*pages), initial_largest);
    }
}

TEST(PageAllocator, UnalignedRegionsAreTrimmedToWholePages) {
    Arena arena;
    // [base + 100, base + 1 MiB - 100): whole pages 1 .. 254, and the first
    // of those holds the frame table (254 frames of two bytes).
    const hal::MemoryRegion region{arena.at(100), (1u << 20) - 200};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);
    EXPECT_EQ(pages->total_bytes(), 253 * kPage);
    EXPECT_EQ(pages->free_bytes(), 253 * kPage);
    std::vector<void*> taken = take_every_page(*pages);
    EXPECT_EQ(taken.size(), 253u);
    const std::uintptr_t first_usable = arena.at(2 * kPage);
    const std::uintptr_t end_usable = arena.at((1u << 20) - kPage);
    std::size_t outside = 0, misaligned = 0;
    for (void* page : taken) {
        if (!within(page, kPage, first_usable, end_usable)) ++outside;
        if (address(page) % kPage != 0) ++misaligned;
    }
    EXPECT_EQ(outside, 0u);
    EXPECT_EQ(misaligned, 0u);
    for (void* page : taken) pages->free(page, 0);
    EXPECT_EQ(pages->free_bytes(), 253 * kPage);
}

TEST(PageAllocator, RegionsTooSmallToHoldAPageAreIgnored) {
    Arena arena;
    const hal::MemoryRegion regions[] = {
        {arena.at(100), 200},                  // inside one page: nothing whole
        {arena.at(kPage), 2 * kPage},          // two pages: too small to bother
        {arena.at(8 * kPage + 1), 3 * kPage},  // unaligned: two whole pages
    };
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(regions, std::size(regions));
    EXPECT_EQ(pages->total_bytes(), 0u);
    EXPECT_EQ(pages->free_bytes(), 0u);
    EXPECT_EQ(pages->allocate(0, PageUse::kPages), nullptr);
    EXPECT_EQ(pages->frame_of(reinterpret_cast<void*>(arena.at(kPage))), nullptr);
}

TEST(PageAllocator, TwoRegionsBothServe) {
    Arena arena;
    // A 1 MiB region and a 3 MiB one with a gap between them.
    const hal::MemoryRegion regions[] = {
        {arena.at(0), 1u << 20},
        {arena.at(4u << 20), 3u << 20},
    };
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(regions, std::size(regions));
    const std::size_t first_pages = 256 - 1;  // one frame-table page each
    const std::size_t second_pages = 768 - 1;
    EXPECT_EQ(pages->total_bytes(), (first_pages + second_pages) * kPage);

    std::vector<void*> taken = take_every_page(*pages);
    std::size_t in_first = 0, in_second = 0, elsewhere = 0;
    for (void* page : taken) {
        if (within(page, kPage, regions[0].base, regions[0].base + regions[0].length)) {
            ++in_first;
        } else if (within(page, kPage, regions[1].base, regions[1].base + regions[1].length)) {
            ++in_second;
        } else {
            ++elsewhere;
        }
    }
    EXPECT_EQ(in_first, first_pages);
    EXPECT_EQ(in_second, second_pages);
    EXPECT_EQ(elsewhere, 0u);
    for (void* page : taken) pages->free(page, 0);
    EXPECT_EQ(pages->free_bytes(), pages->total_bytes());

    // A 1 MiB block only fits in the second region (the first loses its
    // first page to the frame table); 512 KiB blocks then come from both.
    void* big = pages->allocate(8, PageUse::kPages);
    ASSERT_NE(big, nullptr);
    EXPECT_TRUE(within(big, bytes_of(8), regions[1].base, regions[1].base + regions[1].length));
    std::vector<void*> halves;
    while (void* block = pages->allocate(7, PageUse::kPages)) halves.push_back(block);
    std::size_t halves_in_first = 0;
    for (void* block : halves) {
        if (within(block, bytes_of(7), regions[0].base, regions[0].base + regions[0].length)) {
            ++halves_in_first;
        }
    }
    EXPECT_GT(halves_in_first, 0u);
    EXPECT_LT(halves_in_first, halves.size());
    for (void* block : halves) pages->free(block, 7);
    pages->free(big, 8);
    EXPECT_EQ(pages->free_bytes(), pages->total_bytes());
}

TEST(PageAllocator, FrameOfTellsTheUseAndOrderOfHeads) {
    Arena arena;
    const hal::MemoryRegion region{arena.base(), 4u << 20};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);

    void* large = pages->allocate(3, PageUse::kLarge);
    void* page_block = pages->allocate(0, PageUse::kPages);
    void* slab = pages->allocate(2, PageUse::kSlab);
    ASSERT_NE(large, nullptr);
    ASSERT_NE(page_block, nullptr);
    ASSERT_NE(slab, nullptr);

    struct Expected {
        void* head;
        unsigned order;
        PageUse use;
    };
    for (const Expected& expected : {Expected{large, 3, PageUse::kLarge},
                                     Expected{page_block, 0, PageUse::kPages},
                                     Expected{slab, 2, PageUse::kSlab}}) {
        SCOPED_TRACE(testing::Message() << "order " << expected.order);
        PageFrame* head = pages->frame_of(expected.head);
        ASSERT_NE(head, nullptr);
        EXPECT_EQ(head->use, expected.use);
        EXPECT_EQ(head->order, expected.order);
        // Any byte of the head page has the head's frame.
        EXPECT_EQ(pages->frame_of(static_cast<char*>(expected.head) + kPage - 1), head);
        for (std::size_t i = 1; i < (std::size_t{1} << expected.order); ++i) {
            PageFrame* inside = pages->frame_of(static_cast<char*>(expected.head) + i * kPage);
            ASSERT_NE(inside, nullptr);
            EXPECT_EQ(inside->use, PageUse::kInside) << "page " << i;
        }
    }

    // Outside every zone: the frame table itself, and memory before or after.
    EXPECT_EQ(pages->frame_of(reinterpret_cast<void*>(region.base)), nullptr);
    EXPECT_EQ(pages->frame_of(reinterpret_cast<void*>(region.base - 1)), nullptr);
    EXPECT_EQ(pages->frame_of(reinterpret_cast<void*>(region.base + region.length)), nullptr);
    int host_variable = 0;
    EXPECT_EQ(pages->frame_of(&host_variable), nullptr);

    // Freed heads stop saying what they were used for.
    pages->free(large, 3);
    PageFrame* freed = pages->frame_of(large);
    ASSERT_NE(freed, nullptr);
    EXPECT_TRUE(freed->use == PageUse::kFree || freed->use == PageUse::kInside);
    pages->free(page_block, 0);
    pages->free(slab, 2);
    EXPECT_EQ(pages->free_bytes(), pages->total_bytes());
}

TEST(PageAllocator, OrdersBeyondTheMaximumOrTheMemoryGiveNull) {
    Arena arena;
    const hal::MemoryRegion region{arena.base(), 1u << 20};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&region, 1);
    const std::size_t free_before = pages->free_bytes();
    EXPECT_EQ(pages->allocate(kMaxOrder + 1, PageUse::kPages), nullptr);
    EXPECT_EQ(pages->allocate(64, PageUse::kPages), nullptr);
    EXPECT_EQ(pages->allocate(~0u, PageUse::kPages), nullptr);
    EXPECT_EQ(pages->allocate(8, PageUse::kPages), nullptr);  // 1 MiB, less the frame table
    EXPECT_EQ(pages->allocate(kMaxOrder, PageUse::kPages), nullptr);
    EXPECT_EQ(pages->free_bytes(), free_before);
    EXPECT_NE(pages->allocate(7, PageUse::kPages), nullptr);
}

TEST(PageAllocator, ResetForgetsEarlierState) {
    Arena arena;
    const hal::MemoryRegion first{arena.base(), 2u << 20};
    const hal::MemoryRegion second{arena.at(4u << 20), 1u << 20};
    auto pages = std::make_unique<PageAllocator>();
    pages->reset(&first, 1);
    const std::size_t first_total = pages->total_bytes();
    ASSERT_NE(pages->allocate(4, PageUse::kPages), nullptr);
    pages->reset(&first, 1);
    EXPECT_EQ(pages->total_bytes(), first_total);
    EXPECT_EQ(pages->free_bytes(), first_total);
    pages->reset(&second, 1);
    EXPECT_EQ(pages->total_bytes(), (256 - 1) * kPage);
    EXPECT_EQ(pages->frame_of(reinterpret_cast<void*>(arena.at(1u << 20))), nullptr);
    std::vector<void*> taken = take_every_page(*pages);
    EXPECT_EQ(taken.size(), 256u - 1);
    for (void* page : taken) {
        EXPECT_TRUE(within(page, kPage, second.base, second.base + second.length));
    }
}

}  // namespace
