// The Memory unit through its application API (toro/memory.h): alignment,
// disjointness, statistics, remote frees across CPUs, exhaustion, and the
// panics on frees of memory the allocator never handed out. Each test boots
// a hosted kernel, computes inside it and checks the results on the host.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernel_harness.h"
#include "memory/sanitizer.h"
#include "toro/toro.h"

namespace {

using toro_test::boot;
using toro_test::MachineShape;

constexpr std::size_t kPage = 4096;
constexpr std::size_t kLargestSmall = 2048;

toro::ThreadOptions on_cpu(unsigned cpu, const char* name = "test") {
    toro::ThreadOptions options;
    options.cpu = cpu;
    options.name = name;
    return options;
}

// splitmix64: a tiny deterministic generator, one per thread.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }
};

std::uint64_t mix(std::uint64_t x) { return Rng{x}.next(); }

// A byte pattern that depends on the tag and on the offset, so that two
// objects sharing a byte (or an object moved by a wrong free) show up.
void fill(void* memory, std::size_t size, std::uint64_t tag) {
    auto* bytes = static_cast<std::uint8_t*>(memory);
    std::uint64_t hash = mix(tag);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>((hash >> ((i & 7) * 8)) ^ (i >> 3));
    }
}

bool intact(const void* memory, std::size_t size, std::uint64_t tag) {
    const auto* bytes = static_cast<const std::uint8_t*>(memory);
    std::uint64_t hash = mix(tag);
    for (std::size_t i = 0; i < size; ++i) {
        if (bytes[i] != static_cast<std::uint8_t>((hash >> ((i & 7) * 8)) ^ (i >> 3))) return false;
    }
    return true;
}

std::uint64_t tag_of(unsigned cpu, std::uint32_t index) {
    return (static_cast<std::uint64_t>(cpu) << 32) | index;
}

bool aligned(const void* pointer, std::size_t to) {
    return reinterpret_cast<std::uintptr_t>(pointer) % to == 0;
}

// The size class that serves `size`: the smallest class at least as large.
// The bytes allocate(size) takes from the page allocator when it is not a
// small object: a power of two pages holding size and, in sanitizer
// builds, the redzone.
std::size_t large_bytes_for(std::size_t size) {
    std::size_t bytes = kPage;
    while (bytes < size + toro::memory::kRedzoneBytes) bytes *= 2;
    return bytes;
}

unsigned class_of(const toro::MemoryStats& stats, std::size_t size) {
    for (unsigned c = 0; c < toro::kSizeClassCount; ++c) {
        if (stats.class_size[c] >= size) return c;
    }
    return toro::kSizeClassCount;
}

struct Block {
    void* pointer;
    std::size_t size;
    std::uint64_t tag;
};

// True when no two [pointer, pointer + size) ranges share a byte.
bool disjoint(std::vector<Block> blocks) {
    std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
        return reinterpret_cast<std::uintptr_t>(a.pointer) <
               reinterpret_cast<std::uintptr_t>(b.pointer);
    });
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        auto end = reinterpret_cast<std::uintptr_t>(blocks[i - 1].pointer) + blocks[i - 1].size;
        if (end > reinterpret_cast<std::uintptr_t>(blocks[i].pointer)) return false;
    }
    return true;
}

int reclaim_entry(void*) {
    toro::memory_reclaim();
    return 0;
}

// memory_reclaim() on every CPU: a thread on each other CPU (spawned with a
// plain function, so no callable is freed remotely afterwards), then on
// CPU 0 by the calling main thread, after the joins have freed the records.
bool reclaim_everywhere() {
    for (unsigned cpu = 1; cpu < toro::cpu_count(); ++cpu) {
        toro::Thread* thread = toro::spawn(reclaim_entry, nullptr, on_cpu(cpu, "reclaim"));
        if (thread == nullptr) return false;
        toro::join(thread);
    }
    toro::memory_reclaim();
    return true;
}

// ---------------------------------------------------------------------------
// Alignment and disjointness

TEST(Allocator, EverySmallSizeIsSixteenByteAlignedAndDisjoint) {
    std::vector<Block> blocks;
    blocks.reserve(kLargestSmall);
    std::size_t nulls = 0, misaligned = 0, corrupted = 0;
    std::size_t objects_before = 0, objects_during = 0, objects_after = 0;
    int status = boot(1, [&] {
        objects_before = toro::memory_stats().objects_in_use;
        for (std::size_t size = 1; size <= kLargestSmall; ++size) {
            void* pointer = toro::allocate(size);
            if (pointer == nullptr) {
                ++nulls;
                continue;
            }
            if (!aligned(pointer, 16)) ++misaligned;
            fill(pointer, size, size);
            blocks.push_back({pointer, size, size});
        }
        objects_during = toro::memory_stats().objects_in_use;
        for (const Block& block : blocks) {
            if (!intact(block.pointer, block.size, block.tag)) ++corrupted;
        }
        for (const Block& block : blocks) toro::free(block.pointer);
        objects_after = toro::memory_stats().objects_in_use;
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    EXPECT_EQ(misaligned, 0u);
    EXPECT_EQ(corrupted, 0u);
    EXPECT_EQ(blocks.size(), kLargestSmall);
    EXPECT_TRUE(disjoint(blocks));
    // Sizes the redzone of a sanitizer build pushes past the largest class
    // are large allocations there.
    EXPECT_EQ(objects_during, objects_before + kLargestSmall - toro::memory::kRedzoneBytes);
    EXPECT_EQ(objects_after, objects_before);
}

// Rounds of random sizes, half of the live objects freed in random order
// after each: the survivors keep their contents and reused memory never
// lands on a live object.
TEST(Allocator, RandomSmallSizesStayAlignedDisjointAndIntact) {
    std::vector<Block> live;
    live.reserve(20000);
    std::size_t nulls = 0, misaligned = 0, corrupted = 0;
    int status = boot(1, [&] {
        Rng rng{42};
        std::uint64_t next_tag = 1;
        for (int round = 0; round < 6; ++round) {
            for (int i = 0; i < 3000; ++i) {
                // Half the requests up to 128 bytes, the rest up to 2048.
                std::size_t size = rng.below(2) ? 1 + rng.below(128) : 1 + rng.below(kLargestSmall);
                void* pointer = toro::allocate(size);
                if (pointer == nullptr) {
                    ++nulls;
                    continue;
                }
                if (!aligned(pointer, 16)) ++misaligned;
                fill(pointer, size, next_tag);
                live.push_back({pointer, size, next_tag++});
            }
            for (const Block& block : live) {
                if (!intact(block.pointer, block.size, block.tag)) ++corrupted;
            }
            for (std::size_t n = live.size() / 2; n > 0; --n) {
                std::size_t pick = rng.below(live.size());
                toro::free(live[pick].pointer);
                live[pick] = live.back();
                live.pop_back();
            }
        }
        for (const Block& block : live) {
            if (!intact(block.pointer, block.size, block.tag)) ++corrupted;
        }
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    EXPECT_EQ(misaligned, 0u);
    EXPECT_EQ(corrupted, 0u);
    EXPECT_TRUE(disjoint(live));
}

TEST(Allocator, AllocateZeroGivesNullAndFreeOfNullIsANoOp) {
    void* zero = reinterpret_cast<void*>(1);
    toro::MemoryStats before{}, after{};
    int status = boot(1, [&] {
        before = toro::memory_stats();
        zero = toro::allocate(0);
        toro::free(nullptr);
        toro::free(nullptr);
        after = toro::memory_stats();
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(zero, nullptr);
    EXPECT_EQ(after.objects_in_use, before.objects_in_use);
    EXPECT_EQ(after.free_page_bytes, before.free_page_bytes);
    EXPECT_EQ(after.large_bytes_in_use, before.large_bytes_in_use);
}

TEST(Allocator, SizesAboveTwoKibAreWholePageAlignedAndDisjoint) {
    const std::size_t sizes[] = {2049, 3000,  4095,  4096,   4097,   8191,
                                 8192, 12289, 65536, 100000, 1 << 20};
    std::vector<Block> blocks;
    std::size_t nulls = 0, misaligned = 0, corrupted = 0;
    int status = boot(1, [&] {
        blocks.reserve(2 * std::size(sizes));
        for (int copy = 0; copy < 2; ++copy) {
            for (std::size_t size : sizes) {
                void* pointer = toro::allocate(size);
                if (pointer == nullptr) {
                    ++nulls;
                    continue;
                }
                if (!aligned(pointer, kPage)) ++misaligned;
                std::uint64_t tag = size * 2 + copy;
                fill(pointer, size, tag);
                blocks.push_back({pointer, size, tag});
            }
        }
        for (const Block& block : blocks) {
            if (!intact(block.pointer, block.size, block.tag)) ++corrupted;
        }
        for (const Block& block : blocks) toro::free(block.pointer);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    EXPECT_EQ(misaligned, 0u);
    EXPECT_EQ(corrupted, 0u);
    EXPECT_TRUE(disjoint(blocks));
}

// ---------------------------------------------------------------------------
// Statistics

struct ClassCounts {
    std::size_t size;
    unsigned size_class;
    std::size_t class_before, class_during, class_after;
    std::size_t objects_before, objects_during, objects_after;
    std::size_t other_classes_changed;
};

TEST(Allocator, ObjectCountsRiseInTheServingSizeClassAndFallOnFree) {
    const std::size_t sizes[] = {1, 16, 17, 33, 100, 129, 700, 1025, 2047, 2048};
    constexpr std::size_t kCount = 500;
    std::vector<ClassCounts> results;
    std::size_t nulls = 0;
    int status = boot(1, [&] {
        static void* pointers[kCount];
        for (std::size_t size : sizes) {
            ClassCounts counts{};
            // Sanitizer builds add a redzone to every request.
            size = std::min<std::size_t>(size, 2048 - toro::memory::kRedzoneBytes);
            counts.size = size;
            toro::MemoryStats before = toro::memory_stats();
            unsigned c = class_of(before, size + toro::memory::kRedzoneBytes);
            if (c == toro::kSizeClassCount) return 1;
            counts.size_class = c;
            counts.class_before = before.class_objects_in_use[c];
            counts.objects_before = before.objects_in_use;
            for (void*& pointer : pointers) {
                pointer = toro::allocate(size);
                if (pointer == nullptr) ++nulls;
            }
            toro::MemoryStats during = toro::memory_stats();
            counts.class_during = during.class_objects_in_use[c];
            counts.objects_during = during.objects_in_use;
            for (unsigned other = 0; other < toro::kSizeClassCount; ++other) {
                if (other != c &&
                    during.class_objects_in_use[other] != before.class_objects_in_use[other]) {
                    ++counts.other_classes_changed;
                }
            }
            for (void* pointer : pointers) toro::free(pointer);
            toro::MemoryStats after = toro::memory_stats();
            counts.class_after = after.class_objects_in_use[c];
            counts.objects_after = after.objects_in_use;
            results.push_back(counts);
        }
        return 0;
    });
    ASSERT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    ASSERT_EQ(results.size(), std::size(sizes));
    for (const ClassCounts& counts : results) {
        SCOPED_TRACE(testing::Message() << "size " << counts.size);
        EXPECT_EQ(counts.class_during, counts.class_before + kCount);
        EXPECT_EQ(counts.objects_during, counts.objects_before + kCount);
        EXPECT_EQ(counts.other_classes_changed, 0u);
        EXPECT_EQ(counts.class_after, counts.class_before);
        EXPECT_EQ(counts.objects_after, counts.objects_before);
    }
}

TEST(Allocator, SizeClassesAreSixteenByteMultiplesUpToTwoKib) {
    toro::MemoryStats stats{};
    ASSERT_EQ(boot(1, [&] {
        stats = toro::memory_stats();
        return 0;
    }), 0);
    EXPECT_EQ(stats.class_size[0], 16u);
    EXPECT_EQ(stats.class_size[toro::kSizeClassCount - 1], kLargestSmall);
    for (unsigned c = 0; c < toro::kSizeClassCount; ++c) {
        EXPECT_EQ(stats.class_size[c] % 16, 0u) << "class " << c;
        if (c > 0) EXPECT_GT(stats.class_size[c], stats.class_size[c - 1]) << "class " << c;
    }
}

// Large blocks and page blocks are counted in whole power-of-two pages, and
// come out of free_page_bytes exactly; the four page figures always add up
// to total_bytes on a quiet machine.
TEST(Allocator, LargeAndPageBytesFollowAllocateAndAllocatePages) {
    struct Step {
        std::size_t large_delta, pages_delta, free_delta, objects_delta;
    };
    std::vector<Step> steps;
    std::size_t unbalanced = 0, nulls = 0;
    std::size_t large_after = 1, pages_after = 1, free_before = 0, free_after = 1;
    std::size_t large_before = 0, pages_before = 0;
    int status = boot(1, [&] {
        auto balanced = [](const toro::MemoryStats& s) {
            return s.free_page_bytes + s.slab_bytes + s.large_bytes_in_use + s.page_bytes_in_use ==
                   s.total_bytes;
        };
        toro::MemoryStats start = toro::memory_stats();
        large_before = start.large_bytes_in_use;
        pages_before = start.page_bytes_in_use;
        free_before = start.free_page_bytes;
        if (!balanced(start)) ++unbalanced;
        void* large[4] = {};
        void* pages[3] = {};
        const std::size_t large_sizes[4] = {2049, 4096, 5000, 40000};
        const unsigned orders[3] = {0, 3, 5};
        toro::MemoryStats previous = start;
        auto record = [&] {
            toro::MemoryStats now = toro::memory_stats();
            steps.push_back({now.large_bytes_in_use - previous.large_bytes_in_use,
                             now.page_bytes_in_use - previous.page_bytes_in_use,
                             previous.free_page_bytes - now.free_page_bytes,
                             now.objects_in_use - previous.objects_in_use});
            if (!balanced(now)) ++unbalanced;
            previous = now;
        };
        for (int i = 0; i < 4; ++i) {
            large[i] = toro::allocate(large_sizes[i]);
            if (large[i] == nullptr) ++nulls;
            record();
        }
        for (int i = 0; i < 3; ++i) {
            pages[i] = toro::allocate_pages(orders[i]);
            if (pages[i] == nullptr) ++nulls;
            record();
        }
        for (void* pointer : large) toro::free(pointer);
        for (int i = 0; i < 3; ++i) toro::free_pages(pages[i], orders[i]);
        toro::MemoryStats end = toro::memory_stats();
        large_after = end.large_bytes_in_use;
        pages_after = end.page_bytes_in_use;
        free_after = end.free_page_bytes;
        if (!balanced(end)) ++unbalanced;
        return 0;
    });
    ASSERT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    EXPECT_EQ(unbalanced, 0u);
    ASSERT_EQ(steps.size(), 7u);
    // allocate(2049), (4096), (5000), (40000): 1, 1, 2 and 16 pages (the
    // 4096 takes 2 with a sanitizer's redzone).
    const std::size_t large_expected[4] = {large_bytes_for(2049), large_bytes_for(4096),
                                           large_bytes_for(5000), large_bytes_for(40000)};
    EXPECT_EQ(large_expected[3], 16 * kPage);
    for (int i = 0; i < 4; ++i) {
        SCOPED_TRACE(testing::Message() << "allocate step " << i);
        EXPECT_EQ(steps[i].large_delta, large_expected[i]);
        EXPECT_EQ(steps[i].pages_delta, 0u);
        EXPECT_EQ(steps[i].free_delta, large_expected[i]);
        EXPECT_EQ(steps[i].objects_delta, 0u);
    }
    const std::size_t pages_expected[3] = {kPage, 8 * kPage, 32 * kPage};
    for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE(testing::Message() << "allocate_pages step " << i);
        EXPECT_EQ(steps[4 + i].pages_delta, pages_expected[i]);
        EXPECT_EQ(steps[4 + i].large_delta, 0u);
        EXPECT_EQ(steps[4 + i].free_delta, pages_expected[i]);
    }
    EXPECT_EQ(large_after, large_before);
    EXPECT_EQ(pages_after, pages_before);
    EXPECT_EQ(free_after, free_before);
}

// Objects freed on another CPU go to their owner's inbox: the owner's slabs
// stay held until it reclaims, then go back to the page allocator; and an
// owner short of objects takes the inbox back instead of growing.
TEST(Allocator, RemoteFreesReturnToTheOwnerOnReclaimOrWhenItRunsShort) {
    constexpr std::size_t kCount = 1000;
    toro::MemoryStats baseline{}, allocated{}, remote_freed{}, reclaimed{};
    std::size_t slabs_first_round = 0, slabs_second_round = 0, nulls = 0;
    int status = boot(2, [&] {
        static void* pointers[kCount];
        if (!reclaim_everywhere()) return 1;
        baseline = toro::memory_stats();
        auto allocate_all = [&] {
            for (void*& pointer : pointers) {
                pointer = toro::allocate(64);
                if (pointer == nullptr) ++nulls;
            }
        };
        auto free_all_on_cpu_1 = [&] {
            toro::Thread* thread = toro::spawn([&] {
                for (void* pointer : pointers) toro::free(pointer);
                return 0;
            }, on_cpu(1));
            return thread != nullptr && toro::join(thread) == 0;
        };
        allocate_all();
        allocated = toro::memory_stats();
        slabs_first_round = allocated.slab_bytes;
        if (!free_all_on_cpu_1()) return 2;
        remote_freed = toro::memory_stats();
        allocate_all();  // CPU 0 runs short and drains its inbox
        slabs_second_round = toro::memory_stats().slab_bytes;
        if (!free_all_on_cpu_1()) return 3;
        if (!reclaim_everywhere()) return 4;
        reclaimed = toro::memory_stats();
        return 0;
    });
    ASSERT_EQ(status, 0);
    EXPECT_EQ(nulls, 0u);
    EXPECT_EQ(allocated.objects_in_use, baseline.objects_in_use + kCount);
    EXPECT_GE(allocated.slab_bytes, baseline.slab_bytes + kCount * 64);
    // The frees count at once; the memory waits in CPU 0's inbox.
    EXPECT_EQ(remote_freed.objects_in_use, baseline.objects_in_use);
    EXPECT_GE(remote_freed.slab_bytes, slabs_first_round);
    EXPECT_LE(slabs_second_round, slabs_first_round);
    EXPECT_EQ(reclaimed.objects_in_use, baseline.objects_in_use);
    EXPECT_EQ(reclaimed.slab_bytes, baseline.slab_bytes);
    EXPECT_EQ(reclaimed.free_page_bytes, baseline.free_page_bytes);
}

// ---------------------------------------------------------------------------
// Random allocation and frees across four CPUs, half of them remote

namespace remote {

constexpr unsigned kCpus = 4;
constexpr std::uint32_t kOperations = 20000;
constexpr std::size_t kMaxLive = 256;

struct Item {
    void* pointer;
    std::uint32_t size;
    std::uint32_t cpu;
    std::uint32_t index;
};
using Inbox = toro::MessageQueue<Item, 256>;

struct Shared {
    Inbox* inboxes[kCpus] = {};
    std::atomic<unsigned> finished_sending{0};
    // Per (cpu, operation): written by that CPU's worker only.
    std::vector<std::uint8_t> allocated = std::vector<std::uint8_t>(kCpus * kOperations);
    // Per (cpu, operation): how many times it was freed, by any CPU.
    std::vector<std::atomic<std::uint8_t>> frees =
        std::vector<std::atomic<std::uint8_t>>(kCpus * kOperations);
    std::vector<Item> live = std::vector<Item>(kCpus * kMaxLive);
    std::atomic<std::uint64_t> corrupted{0}, misaligned{0}, nulls{0}, bad_items{0};
    std::atomic<std::uint64_t> sent{0}, received{0}, local_frees{0};
};

std::size_t random_size(Rng& rng) {
    std::size_t kind = rng.below(32);
    if (kind == 0) return kLargestSmall + 1 + rng.below(3 * kPage);  // a few pages
    if (kind < 16) return 1 + rng.below(128);
    return 1 + rng.below(kLargestSmall);
}

int worker(Shared& shared, unsigned cpu) {
    Rng rng{0xC0FFEE00ull + cpu};
    Item* live = &shared.live[cpu * kMaxLive];
    std::size_t live_count = 0;
    auto release = [&](const Item& item) {
        if (item.cpu >= kCpus || item.index >= kOperations) {
            shared.bad_items++;
            return;
        }
        if (!intact(item.pointer, item.size, tag_of(item.cpu, item.index))) shared.corrupted++;
        shared.frees[item.cpu * kOperations + item.index]++;
        toro::free(item.pointer);
    };
    auto drain = [&] {
        Item item;
        while (shared.inboxes[cpu]->try_receive(item)) {
            shared.received++;
            release(item);  // a remote free, unless this CPU allocated it
        }
    };
    auto hand_off_or_free = [&](const Item& item) {
        unsigned to = static_cast<unsigned>((cpu + 1 + rng.below(kCpus - 1)) % kCpus);
        if (shared.inboxes[to]->try_send(item)) {
            shared.sent++;
            return;
        }
        shared.local_frees++;  // the receiver is behind: never block on it
        release(item);
    };
    for (std::uint32_t op = 0; op < kOperations; ++op) {
        drain();
        bool allocate = live_count == 0 || (live_count < kMaxLive && rng.below(100) < 55);
        if (allocate) {
            std::size_t size = random_size(rng);
            void* pointer = toro::allocate(size);
            if (pointer == nullptr) {
                shared.nulls++;
                continue;
            }
            if (!aligned(pointer, size > kLargestSmall ? kPage : 16)) shared.misaligned++;
            fill(pointer, size, tag_of(cpu, op));
            shared.allocated[cpu * kOperations + op] = 1;
            live[live_count++] = {pointer, static_cast<std::uint32_t>(size), cpu, op};
        } else {
            std::size_t pick = rng.below(live_count);
            Item item = live[pick];
            live[pick] = live[--live_count];
            if (rng.below(2) == 0) {
                hand_off_or_free(item);
            } else {
                shared.local_frees++;
                release(item);
            }
        }
        if (op % 64 == 0) toro::yield();
    }
    while (live_count > 0) {  // the survivors: half handed off, half freed here
        Item item = live[--live_count];
        if (live_count % 2 == 0) {
            hand_off_or_free(item);
        } else {
            shared.local_frees++;
            release(item);
        }
    }
    // Everything sent before a sender says it finished; drain until all
    // have, then once more.
    shared.finished_sending++;
    for (;;) {
        bool all_finished = shared.finished_sending.load() == kCpus;
        drain();
        if (all_finished) break;
        toro::yield();
    }
    return 0;
}

}  // namespace remote

TEST(Allocator, RemoteFreesAcrossFourCpusLoseNothing) {
    using remote::kCpus;
    using remote::kOperations;
    remote::Shared shared;
    toro::MemoryStats baseline{}, after{};
    int failures = -1;
    int status = boot(kCpus, [&] {
        if (!reclaim_everywhere()) return 1;
        baseline = toro::memory_stats();
        for (remote::Inbox*& inbox : shared.inboxes) {
            inbox = toro::make<remote::Inbox>();
            if (inbox == nullptr) return 2;
        }
        toro::Thread* workers[kCpus];
        for (unsigned cpu = 0; cpu < kCpus; ++cpu) {
            workers[cpu] = toro::spawn([&shared, cpu] { return remote::worker(shared, cpu); },
                                       on_cpu(cpu, "worker"));
            if (workers[cpu] == nullptr) return 3;
        }
        failures = 0;
        for (toro::Thread* worker : workers) failures += toro::join(worker);
        for (remote::Inbox* inbox : shared.inboxes) toro::destroy(inbox);
        if (!reclaim_everywhere()) return 4;
        after = toro::memory_stats();
        return 0;
    });
    ASSERT_EQ(status, 0);
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(shared.corrupted.load(), 0u);
    EXPECT_EQ(shared.misaligned.load(), 0u);
    EXPECT_EQ(shared.nulls.load(), 0u);
    EXPECT_EQ(shared.bad_items.load(), 0u);
    EXPECT_EQ(shared.received.load(), shared.sent.load());
    // The hand-off really happened, in bulk. (How much depends on how the
    // host schedules the CPU threads: a full queue makes the sender free
    // the object itself. A loaded host once gave 7,999; 1/40 leaves room.)
    EXPECT_GT(shared.sent.load(), kCpus * kOperations / 40);

    std::size_t allocations = 0, never_freed = 0, freed_twice = 0, freed_unallocated = 0;
    for (std::size_t slot = 0; slot < shared.frees.size(); ++slot) {
        unsigned frees = shared.frees[slot].load();
        if (shared.allocated[slot]) {
            ++allocations;
            if (frees == 0) ++never_freed;
            if (frees > 1) ++freed_twice;
        } else if (frees != 0) {
            ++freed_unallocated;
        }
    }
    EXPECT_GT(allocations, kCpus * kOperations / 3);
    EXPECT_EQ(allocations, shared.sent.load() + shared.local_frees.load());
    EXPECT_EQ(never_freed, 0u);
    EXPECT_EQ(freed_twice, 0u);
    EXPECT_EQ(freed_unallocated, 0u);

    EXPECT_EQ(after.objects_in_use, baseline.objects_in_use);
    EXPECT_EQ(after.free_page_bytes, baseline.free_page_bytes);
    EXPECT_EQ(after.slab_bytes, baseline.slab_bytes);
    EXPECT_EQ(after.large_bytes_in_use, baseline.large_bytes_in_use);
    EXPECT_EQ(after.page_bytes_in_use, baseline.page_bytes_in_use);
    for (unsigned c = 0; c < toro::kSizeClassCount; ++c) {
        EXPECT_EQ(after.class_objects_in_use[c], baseline.class_objects_in_use[c]) << "class " << c;
    }
}

// ---------------------------------------------------------------------------
// Exhaustion and absurd requests

MachineShape small_machine() {
    MachineShape shape;
    shape.cpus = 1;
    shape.memory_bytes = 8u << 20;
    return shape;
}

struct ExhaustionRound {
    std::size_t blocks = 0;
    std::size_t objects = 0;
    std::size_t corrupted = 0;
    bool spawn_failed = false;
    bool large_still_null = false;
    toro::MemoryStats exhausted{};
    toro::MemoryStats freed{};
};

// Fills a small machine with 64 KiB blocks, then small objects, until each
// gives null; checks the contents; frees it all and reclaims.
ExhaustionRound exhaust_and_recover() {
    constexpr std::size_t kBlock = 64 * 1024;
    constexpr std::size_t kSmallSizes[] = {24, 200, 1000};
    ExhaustionRound round;
    std::vector<Block> blocks, objects;
    blocks.reserve(256);
    objects.reserve(64 * 1024);
    for (;;) {
        void* pointer = toro::allocate(kBlock);
        if (pointer == nullptr) break;
        fill(pointer, kBlock, blocks.size());
        blocks.push_back({pointer, kBlock, blocks.size()});
    }
    for (;;) {
        std::size_t size = kSmallSizes[objects.size() % std::size(kSmallSizes)];
        void* pointer = toro::allocate(size);
        if (pointer == nullptr) break;
        std::uint64_t tag = (1ull << 40) + objects.size();
        fill(pointer, size, tag);
        objects.push_back({pointer, size, tag});
    }
    round.large_still_null = toro::allocate(kBlock) == nullptr;
    round.spawn_failed = toro::spawn([] { return 0; }) == nullptr;
    round.exhausted = toro::memory_stats();
    round.blocks = blocks.size();
    round.objects = objects.size();
    for (const Block& block : blocks) {
        if (!intact(block.pointer, block.size, block.tag)) ++round.corrupted;
    }
    for (const Block& object : objects) {
        if (!intact(object.pointer, object.size, object.tag)) ++round.corrupted;
    }
    for (const Block& block : blocks) toro::free(block.pointer);
    for (const Block& object : objects) toro::free(object.pointer);
    toro::memory_reclaim();
    round.freed = toro::memory_stats();
    return round;
}

TEST(Allocator, ExhaustionGivesNullKeepsContentsAndAllocationRecovers) {
    toro::MemoryStats baseline{};
    ExhaustionRound first, second;
    int status = boot(small_machine(), [&](int, char**) {
        toro::memory_reclaim();
        baseline = toro::memory_stats();
        first = exhaust_and_recover();
        second = exhaust_and_recover();
        return 0;
    });
    ASSERT_EQ(status, 0);
    EXPECT_LE(baseline.total_bytes, 8u << 20);
    for (const ExhaustionRound* round : {&first, &second}) {
        SCOPED_TRACE(round == &first ? "first round" : "second round");
        EXPECT_GT(round->blocks, 0u);
        EXPECT_GT(round->objects, 0u);
        EXPECT_EQ(round->corrupted, 0u);
        EXPECT_TRUE(round->large_still_null);
        EXPECT_TRUE(round->spawn_failed);
        // Exhausted: not even one 64 KiB block of pages left.
        EXPECT_LT(round->exhausted.free_page_bytes, 16 * kPage);
        EXPECT_EQ(round->exhausted.objects_in_use, baseline.objects_in_use + round->objects);
        EXPECT_EQ(round->exhausted.large_bytes_in_use,
                  baseline.large_bytes_in_use + round->blocks * large_bytes_for(64 * 1024));
        EXPECT_EQ(round->freed.objects_in_use, baseline.objects_in_use);
        EXPECT_EQ(round->freed.large_bytes_in_use, baseline.large_bytes_in_use);
        EXPECT_EQ(round->freed.slab_bytes, baseline.slab_bytes);
        EXPECT_EQ(round->freed.free_page_bytes, baseline.free_page_bytes);
    }
    EXPECT_EQ(second.blocks, first.blocks);
    EXPECT_EQ(second.objects, first.objects);
}

TEST(Allocator, AbsurdRequestsGiveNullAndChangeNothing) {
    std::vector<void*> results;
    toro::MemoryStats before{}, after{};
    int status = boot(1, [&] {
        before = toro::memory_stats();
        results.push_back(toro::allocate(SIZE_MAX / 2));
        results.push_back(toro::allocate(SIZE_MAX));
        results.push_back(toro::allocate(SIZE_MAX - 4095));
        results.push_back(toro::allocate(std::size_t{1} << 40));
        results.push_back(toro::allocate(before.total_bytes + 1));
        results.push_back(toro::allocate_pages(20));  // 4 GiB on a 64 MiB machine
        results.push_back(toro::allocate_pages(21));
        results.push_back(toro::allocate_pages(64));
        results.push_back(toro::allocate_pages(1000));
        results.push_back(toro::allocate_pages(~0u));
        after = toro::memory_stats();
        return 0;
    });
    ASSERT_EQ(status, 0);
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i], nullptr) << "request " << i;
    }
    EXPECT_EQ(after.free_page_bytes, before.free_page_bytes);
    EXPECT_EQ(after.large_bytes_in_use, before.large_bytes_in_use);
    EXPECT_EQ(after.page_bytes_in_use, before.page_bytes_in_use);
    EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

int return_zero(void*) { return 0; }

TEST(Allocator, SpawnWithAnAbsurdStackFailsWithoutLeaking) {
    toro::Thread* results[4] = {};
    toro::MemoryStats before{}, after{};
    int normal_spawn = -1;
    int status = boot(small_machine(), [&](int, char**) {
        toro::memory_reclaim();
        before = toro::memory_stats();
        toro::ThreadOptions huge;
        huge.stack_size = std::size_t{1} << 30;
        results[0] = toro::spawn(return_zero, nullptr, huge);
        results[1] = toro::spawn([] { return 0; }, huge);
        toro::ThreadOptions bigger_than_the_machine;  // a sane order, but no such block
        bigger_than_the_machine.stack_size = std::size_t{32} << 20;
        results[2] = toro::spawn(return_zero, nullptr, bigger_than_the_machine);
        results[3] = toro::spawn([] { return 0; }, bigger_than_the_machine);
        toro::memory_reclaim();
        after = toro::memory_stats();
        toro::Thread* normal = toro::spawn([] { return 5; });
        normal_spawn = normal ? toro::join(normal) : -2;
        return 0;
    });
    ASSERT_EQ(status, 0);
    for (toro::Thread* result : results) EXPECT_EQ(result, nullptr);
    EXPECT_EQ(after.objects_in_use, before.objects_in_use);
    EXPECT_EQ(after.free_page_bytes, before.free_page_bytes);
    EXPECT_EQ(after.page_bytes_in_use, before.page_bytes_in_use);
    EXPECT_EQ(normal_spawn, 5);
}

// ---------------------------------------------------------------------------
// Frees of memory the allocator never handed out panic: exit status 1.

constexpr int kDidNotPanic = 2;

TEST(Allocator, FreeOfAKernelStackAddressPanics) {
    EXPECT_EQ(boot(1, [] {
        int local = 0;
        toro::free(&local);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfAnAddressOutsideKernelMemoryPanics) {
    static int host_variable = 0;
    EXPECT_EQ(boot(1, [] {
        toro::free(&host_variable);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfAnInteriorPointerOfASmallObjectPanics) {
    EXPECT_EQ(boot(1, [] {
        char* object = static_cast<char*>(toro::allocate(64));
        if (object == nullptr) return 3;
        toro::free(object + 8);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfAnInteriorPointerOfALargeBlockPanics) {
    for (std::size_t offset : {std::size_t{8}, kPage, 3 * kPage}) {
        SCOPED_TRACE(testing::Message() << "offset " << offset);
        EXPECT_EQ(boot(1, [offset] {
            char* block = static_cast<char*>(toro::allocate(16 * kPage));
            if (block == nullptr) return 3;
            toro::free(block + offset);
            return kDidNotPanic;
        }), 1);
    }
}

TEST(Allocator, FreeOfASlabHeaderPanics) {
    EXPECT_EQ(boot(1, [] {
        void* object = toro::allocate(32);
        if (object == nullptr) return 3;
        auto slab = reinterpret_cast<std::uintptr_t>(object) & ~std::uintptr_t{16 * 1024 - 1};
        toro::free(reinterpret_cast<void*>(slab));
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfALargeBlockTwicePanics) {
    EXPECT_EQ(boot(1, [] {
        void* block = toro::allocate(3 * kPage);
        if (block == nullptr) return 3;
        toro::free(block);
        toro::free(block);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfAllocatePagesMemoryPanics) {
    EXPECT_EQ(boot(1, [] {
        void* pages = toro::allocate_pages(2);
        if (pages == nullptr) return 3;
        toro::free(pages);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreePagesWithTheWrongOrderPanics) {
    for (unsigned wrong : {0u, 2u, 4u, 30u}) {
        SCOPED_TRACE(testing::Message() << "freed as order " << wrong);
        EXPECT_EQ(boot(1, [wrong] {
            void* pages = toro::allocate_pages(3);
            if (pages == nullptr) return 3;
            toro::free_pages(pages, wrong);
            return kDidNotPanic;
        }), 1);
    }
}

TEST(Allocator, FreePagesTwicePanics) {
    EXPECT_EQ(boot(1, [] {
        void* pages = toro::allocate_pages(1);
        if (pages == nullptr) return 3;
        toro::free_pages(pages, 1);
        toro::free_pages(pages, 1);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreePagesOfMemoryFromAllocatePanics) {
    EXPECT_EQ(boot(1, [] {
        void* block = toro::allocate(2 * kPage);
        if (block == nullptr) return 3;
        toro::free_pages(block, 1);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, BadFreeOnAnotherCpuStopsTheWholeMachine) {
    int status = boot(2, [] {
        char* object = static_cast<char*>(toro::allocate(256));
        if (object == nullptr) return 3;
        toro::Thread* thread = toro::spawn([object] {
            toro::free(object + 16);  // inside the object, not its start
            return 0;
        }, on_cpu(1));
        if (thread == nullptr) return 4;
        toro::join(thread);
        return kDidNotPanic;
    });
    EXPECT_EQ(status, 1);
}

// Gaps in the detection of bad frees (see the report): a small object freed
// twice, or a slab slot that was never handed out, passes every check in
// ObjectAllocator::slab_of, so free() does not panic as toro/memory.h says
// and the slab's free list and free_count are corrupted silently. Disabled:
// they fail today; run with --gtest_also_run_disabled_tests.

TEST(Allocator, FreeOfASmallObjectTwicePanics) {
    EXPECT_EQ(boot(1, [] {
        void* object = toro::allocate(64);
        if (object == nullptr) return 3;
        toro::free(object);
        toro::free(object);
        return kDidNotPanic;
    }), 1);
}

TEST(Allocator, FreeOfANeverAllocatedSlabSlotPanics) {
    EXPECT_EQ(boot(1, [] {
        char* object = static_cast<char*>(toro::allocate(64));
        if (object == nullptr) return 3;
        toro::free(object + 64);  // the next slot: still untouched in a fresh slab
        return kDidNotPanic;
    }), 1);
}

// Across CPUs the owner catches it when it takes its inbox back.
TEST(Allocator, FreeOfASmallObjectTwiceFromAnotherCpuPanicsOnTheOwner) {
    EXPECT_EQ(boot(2, [] {
        void* object = toro::allocate(64);
        if (object == nullptr) return 3;
        toro::ThreadOptions options;
        options.cpu = 1;
        toro::join(toro::spawn([object] {
            toro::free(object);
            toro::free(object);
            return 0;
        }, options));
        toro::memory_reclaim();
        return kDidNotPanic;
    }), 1);
}

#ifdef TORO_HEAP_POISONING
extern "C" int __asan_address_is_poisoned(void const volatile* address);
#endif

TEST(Allocator, ASanBuildPoisonsTheBytesPastEachAllocationAndFreedObjects) {
#ifndef TORO_HEAP_POISONING
    GTEST_SKIP() << "not an AddressSanitizer build";
#else
    int status = boot(1, [] {
        for (std::size_t size : {1, 8, 100, 1024, 2032, 2048, 4096, 10000}) {
            auto* bytes = static_cast<char*>(toro::allocate(size));
            EXPECT_FALSE(__asan_address_is_poisoned(bytes)) << size;
            EXPECT_FALSE(__asan_address_is_poisoned(bytes + size - 1)) << size;
            EXPECT_TRUE(__asan_address_is_poisoned(bytes + size)) << size;
            EXPECT_TRUE(__asan_address_is_poisoned(bytes + size + toro::memory::kRedzoneBytes - 1))
                << size;
            toro::free(bytes);
            // A freed small object, past its free-list link.
            if (size >= 16 && size < 2048) EXPECT_TRUE(__asan_address_is_poisoned(bytes + 8)) << size;
        }
        return 0;
    });
    EXPECT_EQ(status, 0);
#endif
}

TEST(AllocatorDeathTest, AReadPastAKernelAllocationIsReportedUnderASan) {
#ifndef TORO_HEAP_POISONING
    GTEST_SKIP() << "not an AddressSanitizer build";
#else
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(boot(1,
                      [] {
                          auto* bytes = static_cast<volatile char*>(toro::allocate(100));
                          return static_cast<int>(bytes[100]);
                      }),
                 "use-after-poison");
#endif
}

}  // namespace
