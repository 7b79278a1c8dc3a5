// Mounting ext2 images whose superblock or group descriptors lie about the
// geometry: the mount must refuse them (kCorrupt) rather than trust numbers
// that do not fit, or refuse to write what writing would corrupt further.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "ext2_image.h"
#include "kernel_harness.h"
#include "toro/ext2.h"
#include "toro/fs.h"

namespace {

using toro::Error;

// Superblock fields (ext2 layout §3.1), as offsets into the image.
constexpr std::size_t kInodesPerGroupAt = 1024 + 40;
constexpr std::size_t kInodeSizeAt = 1024 + 88;
// Group 0's descriptor (§3.2), in the block after the superblock's (1 KiB blocks).
constexpr std::size_t kBlockBitmapAt = 2048 + 0;
constexpr std::size_t kInodeTableAt = 2048 + 8;

Error mount_result(std::vector<std::uint8_t>* image) {
    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].memory = image;
    Error result = Error::kOk;
    toro_test::boot(shape, [&](int, char**) {
        result = toro::mount("/", toro::disk(0), toro::ext2_file_system);
        if (result == Error::kOk) EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
    return result;
}

TEST(Ext2Mount, RefusesAnInodeTableWhoseSizeWrapsIn32Bits) {
    // 64 KiB blocks: the largest inodes per group (8 × 65536) times the
    // largest inode size (65536) is 2^35 bytes.
    auto image = toro_test::make_ext2_image(4 << 20, "-b 65536 -O ^resize_inode");
    ASSERT_FALSE(image.empty()) << "mke2fs failed (is e2fsprogs installed?)";
    ASSERT_EQ(mount_result(&image), Error::kOk);  // untouched, it mounts

    // 262145 inodes of 16 KiB: 2^32 + 16384 bytes, 65537 blocks on a disk
    // of 64. Computed in 32 bits it wraps to 16384 bytes, one block.
    std::uint32_t inodes_per_group = (1u << 18) + 1;
    std::uint16_t inode_size = 16384;
    std::memcpy(&image[kInodesPerGroupAt], &inodes_per_group, sizeof inodes_per_group);
    std::memcpy(&image[kInodeSizeAt], &inode_size, sizeof inode_size);
    EXPECT_EQ(mount_result(&image), Error::kCorrupt);
}

TEST(Ext2Mount, MountsReadOnlyWhenABitmapLiesInTheInodeTable) {
    // Found by ext2_fuzz: its inodes written into the block bitmap's block
    // marked blocks free that one of its files held, and the next file got
    // them too (a byte read back was the second file's).
    auto image = toro_test::make_ext2_image(1 << 20, "-b 1024");
    ASSERT_FALSE(image.empty()) << "mke2fs failed (is e2fsprogs installed?)";
    std::uint32_t inode_table;
    std::memcpy(&inode_table, &image[kInodeTableAt], sizeof inode_table);
    std::uint32_t block_bitmap = inode_table + 1;
    std::memcpy(&image[kBlockBitmapAt], &block_bitmap, sizeof block_bitmap);
    std::vector<std::uint8_t> before = image;

    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].memory = &image;
    toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
        EXPECT_EQ(toro::mkdir("/new"), Error::kReadOnly);
        toro::Stat root{};
        EXPECT_EQ(toro::stat("/", &root), Error::kOk);  // reading is still allowed
        EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
    EXPECT_TRUE(image == before) << "a read-only mount wrote to the image";
}

}  // namespace
