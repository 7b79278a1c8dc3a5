// Inodes: the inode table, attributes, open counts, and freeing an inode
// whose last link and last open are gone.
#include "fs/ext2/ext2.h"
#include "toro/memory.h"

namespace toro::ext2 {

std::uint8_t file_type_of_mode(std::uint16_t mode) {
    switch (mode & kModeTypeMask) {
        case kModeRegular: return kFileTypeRegular;
        case kModeDirectory: return kFileTypeDirectory;
        case kModeSymlink: return kFileTypeSymlink;
        case kModeCharDevice: return kFileTypeCharDevice;
        case kModeBlockDevice: return kFileTypeBlockDevice;
        case kModeFifo: return kFileTypeFifo;
        case kModeSocket: return kFileTypeSocket;
        default: return kFileTypeUnknown;
    }
}

FileType vfs_type_of_entry(std::uint8_t file_type) {
    switch (file_type) {
        case kFileTypeRegular: return FileType::kRegular;
        case kFileTypeDirectory: return FileType::kDirectory;
        case kFileTypeSymlink: return FileType::kSymlink;
        case kFileTypeCharDevice: return FileType::kCharDevice;
        case kFileTypeBlockDevice: return FileType::kBlockDevice;
        case kFileTypeFifo: return FileType::kFifo;
        case kFileTypeSocket: return FileType::kSocket;
        default: return FileType::kUnknown;
    }
}

FileType vfs_type_of_mode(std::uint16_t mode) { return vfs_type_of_entry(file_type_of_mode(mode)); }

Result<std::uint32_t> Ext2::checked_inode(InodeNumber number) const {
    if (number < 1 || number > super_.inodes_count) return Error::kCorrupt;
    return static_cast<std::uint32_t>(number);
}

Error Ext2::load_inode(std::uint32_t number, Inode* out) {
    if (number < 1 || number > super_.inodes_count) return Error::kCorrupt;
    std::uint32_t index = (number - 1) % super_.inodes_per_group;
    const GroupDescriptor& group = groups_[(number - 1) / super_.inodes_per_group];
    std::uint64_t byte = std::uint64_t{index} * inode_size_;
    Result<fs::BlockHandle> handle = cache_->read(group.inode_table + byte / block_size_);
    if (!handle.ok()) return handle.error();
    __builtin_memcpy(out, handle->data() + byte % block_size_, sizeof(Inode));
    return Error::kOk;
}

Error Ext2::store_inode(std::uint32_t number, const Inode& inode) {
    if (read_only_) return Error::kReadOnly;
    if (number < 1 || number > super_.inodes_count) return Error::kCorrupt;
    std::uint32_t index = (number - 1) % super_.inodes_per_group;
    const GroupDescriptor& group = groups_[(number - 1) / super_.inodes_per_group];
    std::uint64_t byte = std::uint64_t{index} * inode_size_;
    Result<fs::BlockHandle> handle = cache_->read(group.inode_table + byte / block_size_);
    if (!handle.ok()) return handle.error();
    __builtin_memcpy(handle->data() + byte % block_size_, &inode, sizeof(Inode));
    handle->mark_dirty();
    return Error::kOk;
}

// Regular files of revision 1 keep the high 32 bits of their size in the
// field revision 0 called i_dir_acl.
std::uint64_t Ext2::file_size(const Inode& inode) const {
    std::uint64_t size = inode.size;
    if (super_.revision == 1 && (inode.mode & kModeTypeMask) == kModeRegular) {
        size |= std::uint64_t{inode.size_high} << 32;
    }
    return size;
}

void Ext2::set_file_size(Inode* inode, std::uint64_t size) {
    inode->size = static_cast<std::uint32_t>(size);
    if ((inode->mode & kModeTypeMask) == kModeRegular && super_.revision == 1) {
        inode->size_high = static_cast<std::uint32_t>(size >> 32);
        if (size > 0x7fffffffu && (super_.feature_ro_compat & kRoCompatLargeFile) == 0) {
            super_.feature_ro_compat |= kRoCompatLargeFile;
        }
    }
}

// A fast symlink keeps its target in i_block; its only block, if any, is
// an extended-attribute block.
bool Ext2::is_fast_symlink(const Inode& inode) const {
    std::uint32_t attribute_sectors = inode.file_acl != 0 ? block_size_ / 512 : 0;
    return (inode.mode & kModeTypeMask) == kModeSymlink && inode.blocks == attribute_sectors;
}

Error Ext2::get_attributes(InodeNumber number, Stat* out) {
    Result<std::uint32_t> checked = checked_inode(number);
    if (!checked.ok()) return checked.error();
    Inode inode;
    TORO_TRY(load_inode(*checked, &inode));
    out->inode = number;
    out->type = vfs_type_of_mode(inode.mode);
    out->mode = inode.mode & 07777u;
    out->links = inode.links_count;
    out->uid = inode.uid;
    out->gid = inode.gid;
    out->size = file_size(inode);
    out->blocks = inode.blocks;
    out->access_time = inode.access_time;
    out->modify_time = inode.modify_time;
    out->change_time = inode.change_time;
    return Error::kOk;
}

bool Ext2::is_open(std::uint32_t number) const {
    for (std::size_t i = 0; i < open_inode_count_; ++i) {
        if (open_inodes_[i].inode == number) return true;
    }
    return false;
}

Error Ext2::retain(InodeNumber number) {
    for (std::size_t i = 0; i < open_inode_count_; ++i) {
        if (open_inodes_[i].inode == number) {
            ++open_inodes_[i].opens;
            return Error::kOk;
        }
    }
    Inode inode;
    TORO_TRY(load_inode(static_cast<std::uint32_t>(number), &inode));
    // Unlinked since it was looked up (by another CPU). On a read-only
    // mount nothing unlinks, and a corrupt image's reachable inode with no
    // links may still be read; writable, its last close would free it.
    if (inode.links_count == 0 && !read_only_) return Error::kNoEntry;
    if (open_inode_count_ == open_inode_capacity_) {
        std::size_t capacity = open_inode_capacity_ ? open_inode_capacity_ * 2 : 16;
        auto* grown = static_cast<OpenInode*>(allocate(capacity * sizeof(OpenInode)));
        if (grown == nullptr) return Error::kNoMemory;
        for (std::size_t i = 0; i < open_inode_count_; ++i) grown[i] = open_inodes_[i];
        free(open_inodes_);
        open_inodes_ = grown;
        open_inode_capacity_ = capacity;
    }
    open_inodes_[open_inode_count_++] = {static_cast<std::uint32_t>(number), 1};
    return Error::kOk;
}

Error Ext2::release(InodeNumber number) {
    for (std::size_t i = 0; i < open_inode_count_; ++i) {
        if (open_inodes_[i].inode != number) continue;
        if (--open_inodes_[i].opens != 0) return Error::kOk;
        open_inodes_[i] = open_inodes_[--open_inode_count_];
        if (read_only_) return Error::kOk;
        Inode inode;
        TORO_TRY(load_inode(static_cast<std::uint32_t>(number), &inode));
        if (inode.links_count == 0) {
            return free_inode_and_blocks(static_cast<std::uint32_t>(number), &inode);
        }
        return Error::kOk;
    }
    return Error::kOk;
}

// One link fewer; at zero links (and no opens) the inode and its blocks go.
Error Ext2::drop_link(std::uint32_t number, Inode* inode) {
    if (inode->links_count > 0) --inode->links_count;
    inode->change_time = now_seconds();
    if (inode->links_count > 0 || is_open(number)) return store_inode(number, *inode);
    return free_inode_and_blocks(number, inode);
}

Error Ext2::free_inode_and_blocks(std::uint32_t number, Inode* inode) {
    bool directory = (inode->mode & kModeTypeMask) == kModeDirectory;
    if (directory) drop_name_index(number);
    // Device and fifo inodes keep device numbers in i_block, fast symlinks
    // their target: only files, directories and slow symlinks own blocks.
    std::uint16_t type = inode->mode & kModeTypeMask;
    bool owns_blocks = type == kModeRegular || type == kModeDirectory ||
                       (type == kModeSymlink && !is_fast_symlink(*inode));
    if (owns_blocks) TORO_TRY(free_blocks_from(inode, 0));
    if (inode->file_acl != 0 && block_in_data_area(inode->file_acl)) {
        Result<fs::BlockHandle> handle = cache_->read(inode->file_acl);
        if (!handle.ok()) return handle.error();
        auto* header = reinterpret_cast<AttributeBlockHeader*>(handle->data());
        bool last = header->magic != kAttributeMagic || header->reference_count <= 1;
        if (!last) {
            --header->reference_count;
            handle->mark_dirty();
        }
        handle->release();
        if (last) TORO_TRY(free_block(inode->file_acl));
        inode->file_acl = 0;
    }
    inode->links_count = 0;
    inode->blocks = 0;
    inode->delete_time = now_seconds();
    TORO_TRY(store_inode(number, *inode));
    return free_inode(number, directory);
}

}  // namespace toro::ext2
