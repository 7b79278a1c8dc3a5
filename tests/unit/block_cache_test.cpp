// The block cache: bounded, write-back, read-ahead (kernel/fs/block_cache.h).
#include <gtest/gtest.h>

#include <vector>

#include "faulty_disk.h"
#include "fs/block_cache.h"
#include "kernel_harness.h"
#include "toro/memory.h"

namespace {

constexpr std::size_t kBlock = 1024;

toro_test::MachineShape shape_with(std::vector<std::uint8_t>* medium) {
    toro_test::MachineShape shape;
    hal_posix::DiskConfig disk;
    disk.memory = medium;
    shape.disks.push_back(disk);
    return shape;
}

std::vector<std::uint8_t> numbered_blocks(std::size_t count) {
    std::vector<std::uint8_t> medium(count * kBlock);
    for (std::size_t i = 0; i < count; ++i) medium[i * kBlock] = static_cast<std::uint8_t>(i);
    return medium;
}

TEST(BlockCache, KeepsAtMostItsCapacityAndServesHitsFromMemory) {
    auto medium = numbered_blocks(256);
    toro_test::boot(shape_with(&medium), [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 32);
        for (std::uint64_t b = 0; b < 200; b += 3) {  // strided: no read-ahead
            auto block = cache.read(b);
            EXPECT_TRUE(block.ok());
            EXPECT_EQ(block->data()[0], static_cast<std::uint8_t>(b));
        }
        auto before = cache.stats();
        EXPECT_EQ(before.blocks_read, 67u);
        EXPECT_TRUE(cache.read(198).ok());       // recent: a hit
        EXPECT_EQ(cache.stats().hits, before.hits + 1);
        EXPECT_TRUE(cache.read(0).ok());          // evicted long ago: a miss
        EXPECT_EQ(cache.stats().misses, before.misses + 1);
        EXPECT_EQ(cache.read(256).error(), toro::Error::kRange);
        return 0;
    });
}

TEST(BlockCache, WritesBackOnlyOnFlushOrEviction) {
    auto medium = numbered_blocks(64);
    toro_test::boot(shape_with(&medium), [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 16);
        {
            auto block = cache.read(5);
            block->data()[1] = 0x5a;
            block->mark_dirty();
        }
        EXPECT_EQ(medium[5 * kBlock + 1], 0);     // not yet written
        EXPECT_EQ(cache.flush(), toro::Error::kOk);
        EXPECT_EQ(medium[5 * kBlock + 1], 0x5a);
        {
            auto fresh = cache.overwrite(9);      // no read, zeroed, dirty
            EXPECT_EQ(fresh->data()[0], 0);
            fresh->data()[2] = 0x77;
        }
        for (std::uint64_t b = 20; b < 60; b += 2) EXPECT_TRUE(cache.read(b).ok());  // evicts 9
        EXPECT_EQ(medium[9 * kBlock + 2], 0x77);
        return 0;
    });
}

TEST(BlockCache, ReadsAheadOnSequentialMisses) {
    auto medium = numbered_blocks(512);
    toro_test::boot(shape_with(&medium), [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 256);
        for (std::uint64_t b = 0; b < 400; ++b) {
            auto block = cache.read(b);
            EXPECT_EQ(block->data()[0], static_cast<std::uint8_t>(b));
        }
        EXPECT_LT(cache.stats().read_requests, 20u);  // windows of up to 64 blocks
        return 0;
    });
}

TEST(BlockCache, BulkReadsPreferDirtyCachedBlocks) {
    auto medium = numbered_blocks(64);
    toro_test::boot(shape_with(&medium), [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 16);
        {
            auto block = cache.read(3);
            block->data()[0] = 0xee;
            block->mark_dirty();
        }
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(8 * kBlock));
        EXPECT_EQ(cache.read_blocks(0, 8, buffer), toro::Error::kOk);
        EXPECT_EQ(buffer[3 * kBlock], 0xee);
        EXPECT_EQ(buffer[4 * kBlock], 4);
        toro::free(buffer);
        return 0;
    });
}

TEST(BlockCache, ReportsAFailedWriteBackAndKeepsTheBlockDirty) {
    auto medium = numbered_blocks(64);
    toro_test::MachineShape shape = shape_with(&medium);
    shape.disks[0].read_only = true;
    toro_test::boot(shape, [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 16);
        {
            auto block = cache.read(1);
            block->mark_dirty();
        }
        EXPECT_EQ(cache.flush(), toro::Error::kReadOnly);
        EXPECT_EQ(cache.flush(), toro::Error::kReadOnly);  // still dirty: tried again
        return 0;
    });
}

TEST(BlockCache, ABadBlockInTheReadAheadWindowFailsOnlyItself) {
    auto medium = numbered_blocks(64);
    toro_test::FaultyDisk device(&medium);
    device.fail_reads(20 * (kBlock / 512), kBlock / 512);  // block 20
    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].device = &device;
    toro_test::boot(shape, [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 32);
        for (std::uint64_t b = 16; b < 20; ++b) {  // sequential: the window grows over 20
            auto block = cache.read(b);
            EXPECT_TRUE(block.ok()) << b;
            if (block.ok()) EXPECT_EQ(block->data()[0], b);
        }
        EXPECT_EQ(cache.read(20).error(), toro::Error::kIo);
        auto after = cache.read(21);
        EXPECT_TRUE(after.ok());
        if (after.ok()) EXPECT_EQ(after->data()[0], 21);
        return 0;
    });
    EXPECT_GE(device.failures(), 2u);  // the window's read, then block 20's own
}

TEST(BlockCache, AnUnwritableDirtyBlockIsPassedOverWhenEvicting) {
    auto medium = numbered_blocks(64);
    toro_test::FaultyDisk device(&medium);
    device.fail_writes(0, 2);  // block 0
    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].device = &device;
    toro_test::boot(shape, [&](int, char**) {
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 4);
        {
            auto block = cache.read(0);
            block->data()[1] = 0x42;
            block->mark_dirty();
        }
        for (std::uint64_t b = 10; b < 40; b += 3) EXPECT_TRUE(cache.read(b).ok()) << b;
        EXPECT_EQ(cache.flush(), toro::Error::kIo);  // block 0, still dirty, still cached
        device.fail_writes(0, 0);
        EXPECT_EQ(cache.flush(), toro::Error::kOk);
        return 0;
    });
    EXPECT_EQ(medium[1], 0x42);
}

TEST(BlockCache, FlushWritesEachDirtyBlockOnceInAscendingRuns) {
    auto medium = numbered_blocks(128);
    toro_test::FaultyDisk device(&medium);
    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].device = &device;
    using Run = toro_test::FaultyDisk::SectorRun;
    constexpr std::uint64_t kSectors = kBlock / 512;
    toro_test::boot(shape, [&](int, char**) {
        // 64 blocks: runs of at most 16 (a quarter), one request each.
        toro::fs::BlockCache cache(toro::disk(0), kBlock, 64);
        for (std::uint64_t clean : {6, 8, 11, 19, 42, 50}) EXPECT_TRUE(cache.read(clean).ok());
        // Dirtied out of order: 3-5, 10, 20-41 (longer than a run), 63.
        std::vector<std::uint64_t> dirty = {40, 63, 3, 21, 5, 10, 4, 20, 41};
        for (std::uint64_t b = 22; b < 40; ++b) dirty.push_back(b);
        for (std::uint64_t b : dirty) {
            auto block = cache.overwrite(b);
            EXPECT_TRUE(block.ok()) << b;
            if (!block.ok()) continue;
            block->data()[0] = static_cast<std::uint8_t>(b);
            block->data()[1] = 0xd1;
        }
        EXPECT_EQ(cache.flush(), toro::Error::kOk);
        std::vector<Run> expected = {{3 * kSectors, 3 * kSectors},
                                     {10 * kSectors, 1 * kSectors},
                                     {20 * kSectors, 16 * kSectors},
                                     {36 * kSectors, 6 * kSectors},
                                     {63 * kSectors, 1 * kSectors}};
        EXPECT_EQ(device.writes(), expected);
        EXPECT_EQ(cache.stats().blocks_written, dirty.size());
        EXPECT_EQ(cache.flush(), toro::Error::kOk);  // nothing dirty: nothing written
        EXPECT_EQ(device.writes().size(), expected.size());
        return 0;
    });
    for (std::uint64_t b = 0; b < 128; ++b) {
        bool was_dirty = (b >= 3 && b <= 5) || b == 10 || (b >= 20 && b <= 41) || b == 63;
        EXPECT_EQ(medium[b * kBlock], static_cast<std::uint8_t>(b)) << b;
        EXPECT_EQ(medium[b * kBlock + 1], was_dirty ? 0xd1 : 0) << b;
    }
}

}  // namespace
