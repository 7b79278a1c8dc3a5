// Block and inode allocation from the groups' bitmaps (ext2 layout §3.2).
// New blocks go at or after a goal (the file's previous block) so files stay
// contiguous; new inodes go in the parent's group, new directories in the
// group with the fewest directories among those with room.
#include "fs/ext2/ext2.h"

namespace toro::ext2 {

namespace {

// The first clear bit in [from, limit) of `bitmap`, or limit.
std::uint32_t find_clear_bit(const std::uint8_t* bitmap, std::uint32_t from, std::uint32_t limit) {
    std::uint32_t bit = from;
    while (bit < limit) {
        if ((bit & 7) == 0 && bitmap[bit >> 3] == 0xff) {
            bit += 8;
            continue;
        }
        if ((bitmap[bit >> 3] & (1u << (bit & 7))) == 0) return bit;
        ++bit;
    }
    return limit;
}

}  // namespace

bool Ext2::block_in_data_area(std::uint32_t block) const {
    return block >= super_.first_data_block && block < super_.blocks_count;
}

// True for a group holding a copy of the superblock and the group
// descriptors: every group; with sparse_super only groups 0, 1 and the
// powers of 3, 5 and 7; with sparse_super2 group 0 and the two the
// superblock names (ext2 layout §3.1, s_feature_ro_compat; e2fsprogs'
// ext2fs_bg_has_super, which checks sparse_super2 first).
static bool has_superblock_copy(const Superblock& super, std::uint32_t group) {
    if (group == 0 || super.revision == 0) return true;
    if ((super.feature_compat & kCompatSparseSuper2) != 0) {
        return group == super.backup_groups[0] || group == super.backup_groups[1];
    }
    if ((super.feature_ro_compat & kRoCompatSparseSuper) == 0 || group == 1) return true;
    constexpr std::uint64_t kBases[] = {3, 5, 7};
    for (std::uint64_t base : kBases) {
        std::uint64_t power = base;
        while (power < group) power *= base;
        if (power == group) return true;
    }
    return false;
}

// True for the blocks a group keeps for itself: its superblock copy, the
// descriptors' copy and the reserved GDT blocks after it (resize_inode's
// room for growing the descriptors), its bitmaps and inode table. A
// corrupt bitmap that says they are free must not hand them out: a file
// written over a backup would destroy what e2fsck recovers from.
static bool is_group_metadata(const Ext2& ext2, std::uint32_t group, std::uint32_t block) {
    const Superblock& super = ext2.super_;
    const GroupDescriptor& descriptor = ext2.groups_[group];
    if (has_superblock_copy(super, group)) {
        std::uint64_t start =
            super.first_data_block + std::uint64_t{group} * super.blocks_per_group;
        bool resizable = super.revision >= 1 && (super.feature_compat & kCompatResizeInode) != 0;
        std::uint64_t end =
            start + 1 + ext2.group_descriptor_blocks_ + (resizable ? super.reserved_gdt_blocks : 0);
        if (block >= start && block < end) return true;
    }
    return block == descriptor.block_bitmap || block == descriptor.inode_bitmap ||
           (block >= descriptor.inode_table &&
            block - descriptor.inode_table < ext2.inode_table_blocks_);
}

Result<std::uint32_t> Ext2::allocate_block(std::uint32_t goal) {
    if (read_only_) return Error::kReadOnly;
    if (super_.free_blocks_count == 0) return Error::kNoSpace;
    if (!block_in_data_area(goal)) goal = super_.first_data_block;
    std::uint32_t first_group = (goal - super_.first_data_block) / super_.blocks_per_group;
    for (std::uint32_t step = 0; step <= group_count_; ++step) {
        std::uint32_t group = (first_group + step) % group_count_;
        if (groups_[group].free_blocks_count == 0) continue;
        std::uint32_t group_start = super_.first_data_block + group * super_.blocks_per_group;
        std::uint32_t limit = super_.blocks_count - group_start < super_.blocks_per_group
                                  ? super_.blocks_count - group_start
                                  : super_.blocks_per_group;
        std::uint32_t from = step == 0 ? goal - group_start : 0;
        std::uint32_t goal_offset = from;
        bool wrapped = from == 0;
        Result<fs::BlockHandle> bitmap = cache_->read(groups_[group].block_bitmap);
        if (!bitmap.ok()) return bitmap.error();
        for (;;) {
            std::uint32_t bit = find_clear_bit(bitmap->data(), from, limit);
            if (bit >= limit && !wrapped) {  // then the goal group's blocks before the goal
                wrapped = true;
                limit = goal_offset;
                from = 0;
                continue;
            }
            if (bit >= limit) break;
            std::uint32_t block = group_start + bit;
            if (is_group_metadata(*this, group, block)) {
                from = bit + 1;
                continue;
            }
            bitmap->data()[bit >> 3] |= static_cast<std::uint8_t>(1u << (bit & 7));
            bitmap->mark_dirty();
            --groups_[group].free_blocks_count;
            --super_.free_blocks_count;
            return block;
        }
    }
    return Error::kNoSpace;
}

Error Ext2::free_block(std::uint32_t block) {
    if (!block_in_data_area(block)) return Error::kCorrupt;
    std::uint32_t group = (block - super_.first_data_block) / super_.blocks_per_group;
    std::uint32_t bit = (block - super_.first_data_block) % super_.blocks_per_group;
    if (is_group_metadata(*this, group, block)) return Error::kCorrupt;
    Result<fs::BlockHandle> bitmap = cache_->read(groups_[group].block_bitmap);
    if (!bitmap.ok()) return bitmap.error();
    std::uint8_t mask = static_cast<std::uint8_t>(1u << (bit & 7));
    if ((bitmap->data()[bit >> 3] & mask) == 0) return Error::kCorrupt;  // freed twice
    bitmap->data()[bit >> 3] &= static_cast<std::uint8_t>(~mask);
    bitmap->mark_dirty();
    ++groups_[group].free_blocks_count;
    ++super_.free_blocks_count;
    cache_->forget(block);
    return Error::kOk;
}

Result<std::uint32_t> Ext2::allocate_inode(std::uint32_t parent, bool directory) {
    if (read_only_) return Error::kReadOnly;
    if (super_.free_inodes_count == 0) return Error::kNoSpace;
    std::uint32_t first_group = (parent - 1) / super_.inodes_per_group;
    if (directory) {
        std::uint32_t average = super_.free_inodes_count / group_count_;
        for (std::uint32_t g = 0; g < group_count_; ++g) {
            const GroupDescriptor& candidate = groups_[g];
            if (candidate.free_inodes_count == 0 || candidate.free_inodes_count < average) continue;
            if (candidate.used_dirs_count < groups_[first_group].used_dirs_count ||
                groups_[first_group].free_inodes_count < average) {
                first_group = g;
            }
        }
    }
    for (std::uint32_t step = 0; step < group_count_; ++step) {
        std::uint32_t group = (first_group + step) % group_count_;
        if (groups_[group].free_inodes_count == 0) continue;
        std::uint32_t first_number = group * super_.inodes_per_group + 1;
        std::uint32_t limit = super_.inodes_count - (first_number - 1) < super_.inodes_per_group
                                  ? super_.inodes_count - (first_number - 1)
                                  : super_.inodes_per_group;
        std::uint32_t from = group == 0 ? first_inode_ - 1 : 0;
        Result<fs::BlockHandle> bitmap = cache_->read(groups_[group].inode_bitmap);
        if (!bitmap.ok()) return bitmap.error();
        std::uint32_t bit = find_clear_bit(bitmap->data(), from, limit);
        if (bit >= limit) continue;
        bitmap->data()[bit >> 3] |= static_cast<std::uint8_t>(1u << (bit & 7));
        bitmap->mark_dirty();
        --groups_[group].free_inodes_count;
        --super_.free_inodes_count;
        if (directory) ++groups_[group].used_dirs_count;
        return first_number + bit;
    }
    return Error::kNoSpace;
}

Error Ext2::free_inode(std::uint32_t number, bool directory) {
    if (number < first_inode_ || number > super_.inodes_count) return Error::kCorrupt;
    std::uint32_t group = (number - 1) / super_.inodes_per_group;
    std::uint32_t bit = (number - 1) % super_.inodes_per_group;
    Result<fs::BlockHandle> bitmap = cache_->read(groups_[group].inode_bitmap);
    if (!bitmap.ok()) return bitmap.error();
    std::uint8_t mask = static_cast<std::uint8_t>(1u << (bit & 7));
    if ((bitmap->data()[bit >> 3] & mask) == 0) return Error::kCorrupt;
    bitmap->data()[bit >> 3] &= static_cast<std::uint8_t>(~mask);
    bitmap->mark_dirty();
    ++groups_[group].free_inodes_count;
    ++super_.free_inodes_count;
    if (directory && groups_[group].used_dirs_count > 0) --groups_[group].used_dirs_count;
    return Error::kOk;
}

}  // namespace toro::ext2
