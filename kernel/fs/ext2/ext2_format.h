// ext2's on-disk structures, little-endian, as "The Second Extended File
// System" (Dave Poirier's layout document) gives them. Only fields the
// driver uses are named; the rest are kept as padding of the right size.
#pragma once

#include <cstdint>

// The driver copies these structures between the disk and memory as they
// are, with no byte swapping: ext2 stores every field little-endian, so a
// big-endian target would read every number wrong. Say so at build time
// rather than as a "corrupt" filesystem at mount.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "ext2 structures are read raw: the target must be little-endian");

namespace toro::ext2 {

inline constexpr std::uint16_t kMagic = 0xEF53;
inline constexpr std::uint64_t kSuperblockOffset = 1024;
inline constexpr std::uint32_t kRootInode = 2;
inline constexpr std::uint32_t kGoodOldFirstInode = 11;
inline constexpr std::uint32_t kGoodOldInodeSize = 128;
inline constexpr unsigned kDirectBlocks = 12;
inline constexpr unsigned kSingleIndirect = 12, kDoubleIndirect = 13, kTripleIndirect = 14;
inline constexpr unsigned kFastSymlinkBytes = 60;

struct Superblock {
    std::uint32_t inodes_count;
    std::uint32_t blocks_count;
    std::uint32_t reserved_blocks_count;
    std::uint32_t free_blocks_count;
    std::uint32_t free_inodes_count;
    std::uint32_t first_data_block;
    std::uint32_t log_block_size;
    std::uint32_t log_fragment_size;
    std::uint32_t blocks_per_group;
    std::uint32_t fragments_per_group;
    std::uint32_t inodes_per_group;
    std::uint32_t mount_time;
    std::uint32_t write_time;
    std::uint16_t mount_count;
    std::int16_t max_mount_count;
    std::uint16_t magic;
    std::uint16_t state;            // 1 clean, 2 errors
    std::uint16_t errors;
    std::uint16_t minor_revision;
    std::uint32_t last_check;
    std::uint32_t check_interval;
    std::uint32_t creator_os;
    std::uint32_t revision;
    std::uint16_t default_reserved_uid;
    std::uint16_t default_reserved_gid;
    // Revision 1 (dynamic) fields.
    std::uint32_t first_inode;
    std::uint16_t inode_size;
    std::uint16_t block_group_number;
    std::uint32_t feature_compat;
    std::uint32_t feature_incompat;
    std::uint32_t feature_ro_compat;
    std::uint8_t uuid[16];
    char volume_name[16];
    char last_mounted[64];
    std::uint32_t algorithm_usage_bitmap;
    std::uint8_t prealloc_blocks;
    std::uint8_t prealloc_dir_blocks;
    std::uint16_t reserved_gdt_blocks;  // with resize_inode: after each descriptor copy
    std::uint8_t padding_1[588 - 208];
    std::uint32_t backup_groups[2];     // with sparse_super2: the groups holding copies
    std::uint8_t padding_2[1024 - 596];
};
static_assert(sizeof(Superblock) == 1024);
static_assert(__builtin_offsetof(Superblock, reserved_gdt_blocks) == 206);
static_assert(__builtin_offsetof(Superblock, backup_groups) == 588);

inline constexpr std::uint16_t kStateClean = 1;
inline constexpr std::uint16_t kStateErrors = 2;

// Features (ext2 layout document §3.1.32 and e2fsprogs' names).
inline constexpr std::uint32_t kCompatDirPrealloc = 0x1, kCompatImagicInodes = 0x2,
                               kCompatHasJournal = 0x4, kCompatExtAttr = 0x8,
                               kCompatResizeInode = 0x10, kCompatDirIndex = 0x20,
                               kCompatSparseSuper2 = 0x200;
inline constexpr std::uint32_t kIncompatCompression = 0x1, kIncompatFiletype = 0x2,
                               kIncompatRecover = 0x4, kIncompatJournalDev = 0x8,
                               kIncompatMetaBg = 0x10, kIncompatExtents = 0x40,
                               kIncompat64Bit = 0x80, kIncompatMmp = 0x100,
                               kIncompatFlexBg = 0x200, kIncompatEaInode = 0x400,
                               kIncompatDirData = 0x1000, kIncompatCsumSeed = 0x2000,
                               kIncompatLargeDir = 0x4000, kIncompatInlineData = 0x8000,
                               kIncompatEncrypt = 0x10000, kIncompatCasefold = 0x20000;
inline constexpr std::uint32_t kRoCompatSparseSuper = 0x1, kRoCompatLargeFile = 0x2,
                               kRoCompatBtreeDir = 0x4, kRoCompatHugeFile = 0x8,
                               kRoCompatGdtCsum = 0x10, kRoCompatDirNlink = 0x20,
                               kRoCompatExtraIsize = 0x40, kRoCompatQuota = 0x100,
                               kRoCompatBigalloc = 0x200, kRoCompatMetadataCsum = 0x400;

struct GroupDescriptor {
    std::uint32_t block_bitmap;
    std::uint32_t inode_bitmap;
    std::uint32_t inode_table;
    std::uint16_t free_blocks_count;
    std::uint16_t free_inodes_count;
    std::uint16_t used_dirs_count;
    std::uint16_t flags;
    std::uint8_t reserved[12];
};
static_assert(sizeof(GroupDescriptor) == 32);

struct Inode {
    std::uint16_t mode;
    std::uint16_t uid;
    std::uint32_t size;
    std::uint32_t access_time;
    std::uint32_t change_time;
    std::uint32_t modify_time;
    std::uint32_t delete_time;
    std::uint16_t gid;
    std::uint16_t links_count;
    std::uint32_t blocks;           // 512-byte units
    std::uint32_t flags;
    std::uint32_t os_specific_1;
    std::uint32_t block[15];
    std::uint32_t generation;
    std::uint32_t file_acl;
    std::uint32_t size_high;        // i_dir_acl: the high 32 bits of a regular file's size
    std::uint32_t fragment_address;
    std::uint8_t os_specific_2[12];
};
static_assert(sizeof(Inode) == 128);

inline constexpr std::uint16_t kModeTypeMask = 0xF000;
inline constexpr std::uint16_t kModeFifo = 0x1000, kModeCharDevice = 0x2000,
                               kModeDirectory = 0x4000, kModeBlockDevice = 0x6000,
                               kModeRegular = 0x8000, kModeSymlink = 0xA000,
                               kModeSocket = 0xC000;
inline constexpr std::uint32_t kInodeIndexFlag = 0x1000;   // htree directory
inline constexpr std::uint32_t kInodeExtentsFlag = 0x80000;
inline constexpr std::uint32_t kInodeInlineDataFlag = 0x10000000;

struct DirectoryEntryHeader {
    std::uint32_t inode;
    std::uint16_t record_length;
    std::uint8_t name_length;
    std::uint8_t file_type;         // with the filetype feature; else name_length's high byte
};
static_assert(sizeof(DirectoryEntryHeader) == 8);

inline constexpr std::uint8_t kFileTypeUnknown = 0, kFileTypeRegular = 1,
                              kFileTypeDirectory = 2, kFileTypeCharDevice = 3,
                              kFileTypeBlockDevice = 4, kFileTypeFifo = 5,
                              kFileTypeSocket = 6, kFileTypeSymlink = 7;

// The extended-attribute block header: only its reference count matters
// here (a freed inode drops its reference).
struct AttributeBlockHeader {
    std::uint32_t magic;            // 0xEA020000
    std::uint32_t reference_count;
    std::uint32_t blocks;
};
inline constexpr std::uint32_t kAttributeMagic = 0xEA020000;

}  // namespace toro::ext2
