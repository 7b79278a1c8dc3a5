// The ext2 block allocator against a block bitmap that lies: blocks a
// group keeps for the filesystem (backup superblocks, backup group
// descriptors, reserved GDT blocks) must never be handed out to a file,
// whatever the bitmap says.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ext2_image.h"
#include "kernel_harness.h"
#include "toro/ext2.h"
#include "toro/fs.h"

namespace {

using toro::Error;

// 1 KiB blocks, 1024 blocks per group, 8 groups; one block of group
// descriptors. Offsets as ext2 layout §3.1 and §3.2 give them.
constexpr std::size_t kBlock = 1024;
constexpr std::uint32_t kBlocksPerGroup = 1024;
constexpr std::uint32_t kGroups = 8;
constexpr std::size_t kSuperblockAt = 1024;
constexpr std::size_t kFreeBlocksAt = kSuperblockAt + 12;
constexpr std::size_t kReservedGdtBlocksAt = kSuperblockAt + 206;
constexpr std::size_t kGroupDescriptorsAt = 2 * kBlock;

template <typename T>
T field(const std::vector<std::uint8_t>& image, std::size_t at) {
    T value;
    std::memcpy(&value, &image[at], sizeof value);
    return value;
}

template <typename T>
void set_field(std::vector<std::uint8_t>* image, std::size_t at, T value) {
    std::memcpy(&(*image)[at], &value, sizeof value);
}

// The blocks [first, first + count) that a group keeps for the filesystem
// after its superblock copy.
struct Span {
    std::uint32_t first, count;
};

// Marks the span free in its group's block bitmap and adds it to the free
// counts, as a corrupt bitmap would; the counts agree with the bitmap so
// the allocator does reach these bits.
void mark_free(std::vector<std::uint8_t>* image, std::uint32_t group, Span span) {
    std::size_t descriptor = kGroupDescriptorsAt + group * 32;
    std::uint32_t bitmap = field<std::uint32_t>(*image, descriptor);
    std::uint32_t group_start = 1 + group * kBlocksPerGroup;
    std::uint16_t freed = 0;
    for (std::uint32_t block = span.first; block < span.first + span.count; ++block) {
        std::uint32_t bit = block - group_start;
        std::uint8_t& byte = (*image)[bitmap * kBlock + bit / 8];
        if ((byte & (1u << (bit % 8))) == 0) continue;
        byte = static_cast<std::uint8_t>(byte & ~(1u << (bit % 8)));
        ++freed;
    }
    set_field<std::uint16_t>(
        image, descriptor + 12,
        static_cast<std::uint16_t>(field<std::uint16_t>(*image, descriptor + 12) + freed));
    set_field<std::uint32_t>(image, kFreeBlocksAt,
                             field<std::uint32_t>(*image, kFreeBlocksAt) + freed);
}

std::string bytes_of(const std::vector<std::uint8_t>& image, Span span) {
    return std::string(image.begin() + span.first * kBlock,
                       image.begin() + (span.first + span.count) * kBlock);
}

// Fills the disk with one file of 0xa5 bytes until the allocator says it
// is full.
void fill_disk(std::vector<std::uint8_t>* image) {
    toro_test::MachineShape shape;
    shape.disks.push_back({});
    shape.disks[0].memory = image;
    toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
        auto fd = toro::open("/fill", toro::kOpenWrite | toro::kOpenCreate);
        EXPECT_TRUE(fd.ok());
        if (fd.ok()) {
            std::vector<std::uint8_t> chunk(16 * kBlock, 0xa5);
            Error last = Error::kOk;
            for (;;) {
                auto written = toro::write(*fd, chunk.data(), chunk.size());
                if (!written.ok()) {
                    last = written.error();
                    break;
                }
                if (*written < chunk.size()) {
                    last = toro::write(*fd, chunk.data(), chunk.size()).error();
                    break;
                }
            }
            EXPECT_EQ(last, Error::kNoSpace);
            EXPECT_EQ(toro::close(*fd), Error::kOk);
        }
        EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
}

// For each group of `groups`, which hold a copy of the superblock: the
// copy (but group 0's, the primary, which sync rewrites), the descriptors'
// copy and the reserved GDT blocks, all marked free; after filling the disk
// every one holds what it held. In each of `plain_groups`, which hold no
// copy, the last block a copy would take is free, and the file's (data or
// indirect block) once the disk is full.
void expect_copies_kept(const std::string& options, const std::vector<std::uint32_t>& groups,
                        const std::vector<std::uint32_t>& plain_groups = {}) {
    auto image = toro_test::make_ext2_image(kGroups * kBlocksPerGroup * kBlock, options);
    ASSERT_FALSE(image.empty()) << "mke2fs failed (is e2fsprogs installed?)";
    std::uint32_t reserved = field<std::uint16_t>(image, kReservedGdtBlocksAt);
    std::vector<Span> kept;
    for (std::uint32_t group : groups) {
        std::uint32_t start = 1 + group * kBlocksPerGroup;
        Span span = group == 0 ? Span{start + 2, reserved} : Span{start, 2 + reserved};
        if (span.count == 0) continue;
        mark_free(&image, group, span);
        kept.push_back(span);
    }
    std::vector<std::string> before;
    for (Span span : kept) before.push_back(bytes_of(image, span));
    std::vector<Span> used;
    for (std::uint32_t group : plain_groups) {
        used.push_back({1 + group * kBlocksPerGroup + 1 + reserved, 1});
    }
    std::vector<std::string> before_used;
    for (Span span : used) before_used.push_back(bytes_of(image, span));
    fill_disk(&image);
    for (std::size_t i = 0; i < kept.size(); ++i) {
        EXPECT_TRUE(bytes_of(image, kept[i]) == before[i])
            << "blocks " << kept[i].first << ".." << kept[i].first + kept[i].count - 1
            << " were handed out";
    }
    for (std::size_t i = 0; i < used.size(); ++i) {
        EXPECT_TRUE(bytes_of(image, used[i]) != before_used[i])
            << "block " << used[i].first << " was not used";
    }
}

TEST(Ext2Allocator, NeverHandsOutSparseBackupsOrReservedGdtBlocksABitmapCallsFree) {
    // sparse_super: copies in groups 0, 1 and powers of 3, 5, 7; with
    // resize_inode, reserved GDT blocks after each copy of the descriptors.
    expect_copies_kept("-b 1024 -g 1024", {0, 1, 3, 5, 7});
}

TEST(Ext2Allocator, NeverHandsOutTheBackupsOfEveryGroupWithoutSparseSuper) {
    expect_copies_kept("-b 1024 -g 1024 -O ^sparse_super,^resize_inode", {1, 2, 3, 4, 5, 6, 7});
}

TEST(Ext2Allocator, WithSparseSuper2KeepsOnlyTheNamedBackupGroups) {
    // mke2fs puts sparse_super2's two copies in groups 1 and 7 (the last).
    expect_copies_kept("-b 1024 -g 1024 -O sparse_super2", {0, 1, 7}, {2, 3, 4, 5, 6});
}

}  // namespace
