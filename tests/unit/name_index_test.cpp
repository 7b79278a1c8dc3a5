// ext2's in-memory name index (kernel/fs/ext2/name_index.h): positions by
// hash, collisions, removal, growth. The directory code that keeps it
// complete is tested through the VFS (vfs_test.cpp, big directories).
#include <gtest/gtest.h>

#include <vector>

#include "fs/ext2/name_index.h"
#include "kernel_harness.h"

namespace {

using toro::ext2::NameIndex;

std::vector<NameIndex::Position> found(const NameIndex& index, std::uint32_t hash) {
    std::vector<NameIndex::Position> positions;
    index.find(hash, [&](NameIndex::Position position) {
        positions.push_back(position);
        return false;
    });
    return positions;
}

TEST(NameIndex, KeepsEveryPositionOfAHashAndForgetsRemovedOnes) {
    int code = toro_test::boot(1, [] {
        NameIndex index;
        EXPECT_TRUE(found(index, 7).empty());
        // Colliding hashes, and many others to make the table grow past them.
        EXPECT_TRUE(index.insert(7, {1, 12}));
        EXPECT_TRUE(index.insert(7, {2, 24}));
        for (std::uint32_t i = 0; i < 5000; ++i) EXPECT_TRUE(index.insert(i * 2654435761u, {i, 0}));
        EXPECT_TRUE(index.insert(7, {3, 36}));
        EXPECT_EQ(found(index, 7).size(), 3u + (7 % 2654435761u == 0));
        index.remove(7, {2, 24});
        std::vector<NameIndex::Position> left = found(index, 7);
        EXPECT_EQ(left.size(), 2u);
        for (const auto& position : left) EXPECT_NE(position.logical_block, 2u);
        index.remove(7, {9, 9});  // absent: nothing changes
        EXPECT_EQ(found(index, 7).size(), 2u);
        for (std::uint32_t i = 0; i < 5000; ++i) index.remove(i * 2654435761u, {i, 0});
        EXPECT_EQ(index.size(), 2u);
        EXPECT_TRUE(found(index, 2654435761u).empty());
        EXPECT_EQ(NameIndex::hash({"a", 1}), NameIndex::hash({"a", 1}));
        EXPECT_NE(NameIndex::hash({"a", 1}), NameIndex::hash({"b", 1}));
        index.clear();
        EXPECT_TRUE(found(index, 7).empty());
        return 0;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
