// Mounting ext2: read and distrust the superblock and group descriptors,
// decide what the features allow, and write both back on sync/unmount.
#include "fs/ext2/ext2.h"
#include "toro/memory.h"
#include "toro/print.h"
#include "toro/ext2.h"
#include "toro/thread.h"

namespace toro::ext2 {

namespace {

constexpr std::size_t kCacheBytes = 8u << 20;

struct FeatureName {
    std::uint32_t bit;
    const char* name;
};

constexpr FeatureName kIncompatNames[] = {
    {kIncompatCompression, "compression"}, {kIncompatRecover, "needs_recovery"},
    {kIncompatJournalDev, "journal_dev"},  {kIncompatMetaBg, "meta_bg"},
    {kIncompatExtents, "extent"},          {kIncompat64Bit, "64bit"},
    {kIncompatMmp, "mmp"},                 {kIncompatEaInode, "ea_inode"},
    {kIncompatDirData, "dirdata"},         {kIncompatCsumSeed, "metadata_csum_seed"},
    {kIncompatLargeDir, "large_dir"},      {kIncompatInlineData, "inline_data"},
    {kIncompatEncrypt, "encrypt"},         {kIncompatCasefold, "casefold"},
};

constexpr FeatureName kRoCompatNames[] = {
    {kRoCompatHugeFile, "huge_file"},       {kRoCompatGdtCsum, "uninit_bg"},
    {kRoCompatDirNlink, "dir_nlink"},       {kRoCompatExtraIsize, "extra_isize"},
    {kRoCompatQuota, "quota"},              {kRoCompatBigalloc, "bigalloc"},
    {kRoCompatMetadataCsum, "metadata_csum"},
};

// Appends the names of the bits of `features` to `out`, unknown bits in hex.
void name_features(std::uint32_t features, const FeatureName* names, std::size_t count, char* out,
                   std::size_t capacity) {
    std::size_t used = 0;
    out[0] = '\0';
    for (std::size_t i = 0; i < count; ++i) {
        if ((features & names[i].bit) == 0) continue;
        used += format(out + used, used < capacity ? capacity - used : 0, "%s%s",
                       used ? ", " : "", names[i].name);
        features &= ~names[i].bit;
    }
    if (features != 0 && used < capacity) {
        format(out + used, capacity - used, "%sunknown 0x%x", used ? ", " : "", features);
    }
}

// True if a group's block bitmap, inode bitmap and inode table share a
// block, or one lies on the primary superblock or group descriptors (which
// end at `descriptors_end`). Each is then written over another: an inode
// written into the block bitmap's block frees or takes blocks at random,
// and the driver hands one block to two files. e2fsck calls it corruption.
bool group_metadata_overlaps(const GroupDescriptor& group, std::uint64_t inode_table_blocks,
                             std::uint64_t descriptors_end) {
    auto in_table = [&](std::uint64_t block) {
        return block >= group.inode_table && block - group.inode_table < inode_table_blocks;
    };
    return group.block_bitmap == group.inode_bitmap || in_table(group.block_bitmap) ||
           in_table(group.inode_bitmap) || group.block_bitmap < descriptors_end ||
           group.inode_bitmap < descriptors_end || group.inode_table < descriptors_end;
}

}  // namespace

Result<fs::FileSystem*> Ext2::mount(Disk* disk, bool read_only) {
    if (disk->sector_size() > 1024 || 1024 % disk->sector_size() != 0) return Error::kInvalid;
    Ext2 probe(disk, nullptr);
    TORO_TRY(probe.load_superblock());
    TORO_TRY(probe.check_geometry());
    bool forced_read_only = false;
    TORO_TRY(probe.check_features(&forced_read_only));
    read_only = read_only || forced_read_only || disk->read_only();

    std::size_t capacity = kCacheBytes / probe.block_size_;
    auto* cache = make<fs::BlockCache>(disk, probe.block_size_, capacity);
    Ext2* ext2 = cache != nullptr && cache->ready() ? make<Ext2>(disk, cache) : nullptr;
    if (ext2 == nullptr) {
        destroy(cache);
        return Error::kNoMemory;
    }
    ext2->super_ = probe.super_;
    ext2->block_size_ = probe.block_size_;
    ext2->inode_size_ = probe.inode_size_;
    ext2->first_inode_ = probe.first_inode_;
    ext2->pointers_per_block_ = probe.pointers_per_block_;
    ext2->group_count_ = probe.group_count_;
    ext2->group_descriptor_blocks_ = probe.group_descriptor_blocks_;
    ext2->inode_table_blocks_ = probe.inode_table_blocks_;
    ext2->has_filetype_ = probe.has_filetype_;
    ext2->read_only_ = read_only;
    ext2->mount_ns_ = now_ns();
    ext2->mount_seconds_ = ext2->super_.write_time;
    Error error = ext2->load_group_descriptors();  // may make the mount read-only
    if (error == Error::kOk && !ext2->read_only_) {
        ext2->super_.mount_time = ext2->now_seconds();
        ext2->super_.mount_count++;
        ext2->super_.state &= static_cast<std::uint16_t>(~kStateClean);  // in use: not clean
        error = ext2->write_superblock();
        if (error == Error::kOk) error = ext2->cache_->flush();
    }
    if (error != Error::kOk) {
        destroy(ext2);
        return error;
    }
    return static_cast<fs::FileSystem*>(ext2);
}

Ext2::~Ext2() {
    free(groups_);
    free(open_inodes_);
    destroy(cache_);
}

Error Ext2::load_superblock() {
    auto* bytes = static_cast<std::uint8_t*>(allocate(sizeof(Superblock)));
    if (bytes == nullptr) return Error::kNoMemory;
    std::size_t sectors = sizeof(Superblock) / disk_->sector_size();
    Error error = disk_->sector_count() < (kSuperblockOffset + sizeof(Superblock)) / disk_->sector_size()
                      ? Error::kInvalid
                      : disk_->read(kSuperblockOffset / disk_->sector_size(), sectors, bytes);
    if (error == Error::kOk) __builtin_memcpy(&super_, bytes, sizeof super_);
    free(bytes);
    if (error == Error::kInvalid) {
        print("ext2: %s: too small to hold a superblock\n", disk_->name());
        return Error::kInvalid;
    }
    if (error != Error::kOk) return error;
    if (super_.magic != kMagic) {
        print("ext2: %s: no ext2 superblock (magic 0x%04x, not 0xef53)\n", disk_->name(),
              super_.magic);
        return Error::kInvalid;
    }
    return Error::kOk;
}

// Every number later code trusts is checked here, once.
Error Ext2::check_geometry() {
    const Superblock& s = super_;
    auto refuse = [this](const char* what) {
        print("ext2: %s: corrupt superblock: %s\n", disk_->name(), what);
        return Error::kCorrupt;
    };
    if (s.revision > 1) return refuse("revision is newer than 1");
    if (s.log_block_size > 6) return refuse("block size above 64 KiB");
    block_size_ = 1024u << s.log_block_size;
    pointers_per_block_ = block_size_ / 4;
    if (s.revision == 1) {
        inode_size_ = s.inode_size;
        first_inode_ = s.first_inode;
        if (inode_size_ < 128 || inode_size_ > block_size_ || (inode_size_ & (inode_size_ - 1)) != 0) {
            return refuse("bad inode size");
        }
        if (first_inode_ < kGoodOldFirstInode) return refuse("first inode below 11");
    }
    if (s.blocks_per_group == 0 || s.blocks_per_group > 8 * block_size_) {
        return refuse("bad blocks per group");
    }
    if (s.inodes_per_group == 0 || s.inodes_per_group > 8 * block_size_) {
        return refuse("bad inodes per group");
    }
    if (s.first_data_block != (block_size_ == 1024 ? 1u : 0u)) return refuse("bad first data block");
    if (s.blocks_count <= s.first_data_block + 1) return refuse("too few blocks");
    group_count_ = (s.blocks_count - s.first_data_block + s.blocks_per_group - 1) / s.blocks_per_group;
    if (static_cast<std::uint64_t>(group_count_) * s.inodes_per_group < s.inodes_count ||
        s.inodes_count < first_inode_ || s.inodes_count < kRootInode) {
        return refuse("inode count does not match the groups");
    }
    std::uint64_t disk_blocks = disk_->sector_count() / (block_size_ / disk_->sector_size());
    if (s.blocks_count > disk_blocks) {
        print("ext2: %s: filesystem has %u blocks but the disk only %llu\n", disk_->name(),
              s.blocks_count, static_cast<unsigned long long>(disk_blocks));
        return Error::kCorrupt;
    }
    group_descriptor_blocks_ =
        static_cast<std::uint32_t>((std::uint64_t{group_count_} * sizeof(GroupDescriptor) +
                                    block_size_ - 1) / block_size_);
    if (s.first_data_block + 1 + group_descriptor_blocks_ >= s.blocks_count) {
        return refuse("group descriptors do not fit");
    }
    // In 64 bits: inodes per group (up to 8 × the block size) times the
    // inode size (up to the block size) reaches 2^35 with 64 KiB blocks,
    // and a product wrapped in 32 bits would make a huge table look small.
    std::uint64_t table_blocks =
        (std::uint64_t{s.inodes_per_group} * inode_size_ + block_size_ - 1) / block_size_;
    if (table_blocks >= s.blocks_count) return refuse("inode table larger than the filesystem");
    inode_table_blocks_ = static_cast<std::uint32_t>(table_blocks);
    return Error::kOk;
}

Error Ext2::check_features(bool* read_only) {
    if (super_.revision == 0) return Error::kOk;  // revision 0 has no feature fields
    char names[256];
    std::uint32_t incompat = super_.feature_incompat & ~(kIncompatFiletype | kIncompatFlexBg);
    if (incompat != 0) {
        name_features(incompat, kIncompatNames, sizeof kIncompatNames / sizeof kIncompatNames[0],
                      names, sizeof names);
        print("ext2: %s: unsupported features: %s\n", disk_->name(), names);
        return Error::kNotSupported;
    }
    has_filetype_ = (super_.feature_incompat & kIncompatFiletype) != 0;
    std::uint32_t ro = super_.feature_ro_compat &
                       ~(kRoCompatSparseSuper | kRoCompatLargeFile | kRoCompatBtreeDir);
    if (ro != 0) {
        name_features(ro, kRoCompatNames, sizeof kRoCompatNames / sizeof kRoCompatNames[0], names,
                      sizeof names);
        print("ext2: %s: mounted read-only: cannot write features: %s\n", disk_->name(), names);
        *read_only = true;
    }
    if ((super_.feature_compat & kCompatHasJournal) != 0) {
        print("ext2: %s: mounted read-only: has a journal (ext3), which ext2 does not keep\n",
              disk_->name());
        *read_only = true;
    }
    if ((super_.state & kStateErrors) != 0 || (super_.state & kStateClean) == 0) {
        print("ext2: %s: mounted read-only: not cleanly unmounted or has errors; run e2fsck\n",
              disk_->name());
        *read_only = true;
    }
    return Error::kOk;
}

Error Ext2::load_group_descriptors() {
    groups_ = static_cast<GroupDescriptor*>(allocate(group_descriptor_blocks_ * block_size_));
    if (groups_ == nullptr) return Error::kNoMemory;
    std::uint32_t first = super_.first_data_block + 1;
    TORO_TRY(cache_->read_blocks(first, group_descriptor_blocks_,
                                 reinterpret_cast<std::uint8_t*>(groups_)));
    for (std::uint32_t g = 0; g < group_count_; ++g) {
        const GroupDescriptor& group = groups_[g];
        bool table_fits = group.inode_table >= super_.first_data_block &&
                          group.inode_table < super_.blocks_count &&
                          inode_table_blocks_ <= super_.blocks_count - group.inode_table;
        if (!block_in_data_area(group.block_bitmap) || !block_in_data_area(group.inode_bitmap) ||
            !table_fits) {
            print("ext2: %s: corrupt group descriptor %u: bitmap or inode table outside the disk\n",
                  disk_->name(), g);
            return Error::kCorrupt;
        }
        // Reading such a group is as safe as reading any corrupt structure;
        // writing it would corrupt it further.
        std::uint64_t descriptors_end = std::uint64_t{first} + group_descriptor_blocks_;
        if (!read_only_ && group_metadata_overlaps(group, inode_table_blocks_, descriptors_end)) {
            print("ext2: %s: mounted read-only: group %u's metadata blocks overlap; run e2fsck\n",
                  disk_->name(), g);
            read_only_ = true;
        }
    }
    return Error::kOk;
}

// The time of day; without a real-time clock, the last time the superblock
// was written plus the time since mount, which at least never goes back.
std::uint32_t Ext2::now_seconds() const {
    std::uint64_t wall = wall_clock_ns();
    if (wall != 0) return static_cast<std::uint32_t>(wall / 1000000000u);
    return mount_seconds_ + static_cast<std::uint32_t>((now_ns() - mount_ns_) / 1000000000u);
}

Error Ext2::write_superblock() {
    super_.write_time = now_seconds();
    std::uint64_t block = kSuperblockOffset / block_size_;
    Result<fs::BlockHandle> handle = cache_->read(block);
    if (!handle.ok()) return handle.error();
    __builtin_memcpy(handle->data() + kSuperblockOffset % block_size_, &super_, sizeof super_);
    handle->mark_dirty();
    return Error::kOk;
}

Error Ext2::write_group_descriptors() {
    auto* bytes = reinterpret_cast<const std::uint8_t*>(groups_);
    for (std::uint32_t i = 0; i < group_descriptor_blocks_; ++i) {
        Result<fs::BlockHandle> handle = cache_->read(super_.first_data_block + 1 + i);
        if (!handle.ok()) return handle.error();
        if (__builtin_memcmp(handle->data(), bytes + i * block_size_, block_size_) != 0) {
            __builtin_memcpy(handle->data(), bytes + i * block_size_, block_size_);
            handle->mark_dirty();
        }
    }
    return Error::kOk;
}

Error Ext2::sync() {
    if (read_only_) return Error::kOk;
    TORO_TRY(write_group_descriptors());
    TORO_TRY(write_superblock());
    return cache_->flush();
}

Error Ext2::unmount() {
    Error error = Error::kOk;
    if (!read_only_) {
        // Orphans (unlinked while open) go now, as their last close would.
        while (open_inode_count_ > 0) {
            open_inodes_[0].opens = 1;
            Error released = release(open_inodes_[0].inode);
            if (released != Error::kOk && error == Error::kOk) error = released;
        }
        super_.state |= kStateClean;
        Error synced = sync();
        if (error == Error::kOk) error = synced;
    }
    destroy(this);
    return error;
}

}  // namespace toro::ext2

namespace toro {

const FileSystemType ext2_file_system{"ext2", &ext2::Ext2::mount};

}  // namespace toro
