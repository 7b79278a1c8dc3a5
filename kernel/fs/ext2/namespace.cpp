// The namespace: creating, linking, unlinking and renaming. Inodes are
// reloaded after every step that stores them, so no stale copy is written.
#include "fs/ext2/ext2.h"

namespace toro::ext2 {

namespace {

constexpr std::uint16_t kMaxLinks = 65000;   // as Linux's ext2 (EXT2_LINK_MAX)

bool is_dot_or_dot_dot(Name name) {
    return (name.length == 1 && name.bytes[0] == '.') ||
           (name.length == 2 && name.bytes[0] == '.' && name.bytes[1] == '.');
}

bool is_directory(const Inode& inode) { return (inode.mode & kModeTypeMask) == kModeDirectory; }

// A directory whose entries may change: not one already removed (no links),
// which a thread on another CPU may have done since the path was resolved.
// Adding to it would hand blocks and inodes to a freed directory.
Error check_live_directory(const Inode& inode) {
    if (!is_directory(inode)) return Error::kNotDirectory;
    return inode.links_count == 0 ? Error::kNoEntry : Error::kOk;
}

}  // namespace

// A fresh inode: the whole on-disk slot cleared (a larger revision-1 inode
// keeps nothing of its previous life), then the first 128 bytes set.
Result<std::uint32_t> Ext2::new_inode(std::uint32_t parent, std::uint16_t mode) {
    Result<std::uint32_t> number = allocate_inode(parent, (mode & kModeTypeMask) == kModeDirectory);
    if (!number.ok()) return number.error();
    std::uint32_t index = (*number - 1) % super_.inodes_per_group;
    const GroupDescriptor& group = groups_[(*number - 1) / super_.inodes_per_group];
    std::uint64_t byte = std::uint64_t{index} * inode_size_;
    Result<fs::BlockHandle> table = cache_->read(group.inode_table + byte / block_size_);
    if (!table.ok()) return table.error();
    std::uint8_t* slot = table->data() + byte % block_size_;
    __builtin_memset(slot, 0, inode_size_);
    if (inode_size_ > sizeof(Inode)) {
        std::uint16_t extra_size = 32;  // i_extra_isize, as mke2fs sets it
        __builtin_memcpy(slot + sizeof(Inode), &extra_size, sizeof extra_size);
    }
    Inode inode{};
    inode.mode = mode;
    inode.access_time = inode.change_time = inode.modify_time = now_seconds();
    __builtin_memcpy(slot, &inode, sizeof inode);
    table->mark_dirty();
    return *number;
}

Result<InodeNumber> Ext2::create(InodeNumber directory_number, Name name, FileType type,
                                 std::uint32_t mode) {
    if (read_only_) return Error::kReadOnly;
    Result<std::uint32_t> parent = checked_inode(directory_number);
    if (!parent.ok()) return parent.error();
    Inode directory;
    TORO_TRY(load_inode(*parent, &directory));
    TORO_TRY(check_live_directory(directory));
    EntryLocation where;
    Result<bool> found = find_entry(*parent, directory, name, &where);
    if (!found.ok()) return found.error();
    if (*found) return Error::kExists;
    bool making_directory = type == FileType::kDirectory;
    if (making_directory && directory.links_count >= kMaxLinks) return Error::kTooManyLinks;

    std::uint16_t type_bits = making_directory ? kModeDirectory : kModeRegular;
    Result<std::uint32_t> number = new_inode(*parent, type_bits | (mode & 07777));
    if (!number.ok()) return number.error();
    Inode inode;
    TORO_TRY(load_inode(*number, &inode));
    inode.links_count = making_directory ? 2 : 1;
    Error error = making_directory ? make_directory_block(*number, *parent, &inode) : Error::kOk;
    if (error == Error::kOk) error = store_inode(*number, inode);
    if (error == Error::kOk) {
        error = add_entry(*parent, &directory, name, *number,
                          making_directory ? kFileTypeDirectory : kFileTypeRegular);
    }
    if (error != Error::kOk) {  // undo: the inode and its block go back
        // The first error is the one to report; should the undo fail too,
        // the inode stays allocated with no name, which e2fsck reclaims.
        (void)free_inode_and_blocks(*number, &inode);
        return error;
    }
    if (making_directory) {
        TORO_TRY(load_inode(*parent, &directory));
        ++directory.links_count;
        TORO_TRY(store_inode(*parent, directory));
    }
    return InodeNumber{*number};
}

Result<InodeNumber> Ext2::create_symlink(InodeNumber directory_number, Name name, Name target) {
    if (read_only_) return Error::kReadOnly;
    if (target.length == 0 || target.length >= block_size_ || target.length > 4095) {
        return target.length == 0 ? Error::kNoEntry : Error::kNameTooLong;
    }
    Result<std::uint32_t> parent = checked_inode(directory_number);
    if (!parent.ok()) return parent.error();
    Inode directory;
    TORO_TRY(load_inode(*parent, &directory));
    TORO_TRY(check_live_directory(directory));
    EntryLocation where;
    Result<bool> found = find_entry(*parent, directory, name, &where);
    if (!found.ok()) return found.error();
    if (*found) return Error::kExists;

    Result<std::uint32_t> number = new_inode(*parent, kModeSymlink | 0777);
    if (!number.ok()) return number.error();
    Inode inode;
    TORO_TRY(load_inode(*number, &inode));
    inode.links_count = 1;
    inode.size = static_cast<std::uint32_t>(target.length);
    Error error = Error::kOk;
    if (target.length < kFastSymlinkBytes) {
        __builtin_memcpy(inode.block, target.bytes, target.length);
    } else {
        Result<std::uint32_t> physical = map_block(&inode, 0, true);
        Result<fs::BlockHandle> block =
            physical.ok() ? cache_->overwrite(*physical) : Result<fs::BlockHandle>(physical.error());
        if (block.ok()) {
            __builtin_memcpy(block->data(), target.bytes, target.length);
        } else {
            error = block.error();
        }
    }
    if (error == Error::kOk) error = store_inode(*number, inode);
    if (error == Error::kOk) error = add_entry(*parent, &directory, name, *number, kFileTypeSymlink);
    if (error != Error::kOk) {
        // The first error is the one to report; should the undo fail too,
        // the inode stays allocated with no name, which e2fsck reclaims.
        (void)free_inode_and_blocks(*number, &inode);
        return error;
    }
    return InodeNumber{*number};
}

Error Ext2::link(InodeNumber directory_number, Name name, InodeNumber target) {
    if (read_only_) return Error::kReadOnly;
    Result<std::uint32_t> parent = checked_inode(directory_number);
    Result<std::uint32_t> number = checked_inode(target);
    if (!parent.ok() || !number.ok()) return Error::kCorrupt;
    Inode directory, inode;
    TORO_TRY(load_inode(*parent, &directory));
    TORO_TRY(load_inode(*number, &inode));
    TORO_TRY(check_live_directory(directory));
    if (is_directory(inode)) return Error::kNotPermitted;
    if (inode.links_count >= kMaxLinks) return Error::kTooManyLinks;
    EntryLocation where;
    Result<bool> found = find_entry(*parent, directory, name, &where);
    if (!found.ok()) return found.error();
    if (*found) return Error::kExists;
    TORO_TRY(add_entry(*parent, &directory, name, *number, file_type_of_mode(inode.mode)));
    ++inode.links_count;
    inode.change_time = now_seconds();
    return store_inode(*number, inode);
}

Error Ext2::unlink(InodeNumber directory_number, Name name) {
    if (read_only_) return Error::kReadOnly;
    Result<std::uint32_t> parent = checked_inode(directory_number);
    if (!parent.ok()) return parent.error();
    Inode directory;
    TORO_TRY(load_inode(*parent, &directory));
    TORO_TRY(check_live_directory(directory));
    EntryLocation where;
    Result<bool> found = find_entry(*parent, directory, name, &where);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kNoEntry;
    Inode inode;
    TORO_TRY(load_inode(where.inode, &inode));
    if (is_directory(inode)) return Error::kIsDirectory;
    TORO_TRY(remove_entry(directory, where));
    directory.modify_time = directory.change_time = now_seconds();
    clear_index(&directory);
    TORO_TRY(store_inode(*parent, directory));
    return drop_link(where.inode, &inode);
}

Error Ext2::remove_directory(InodeNumber directory_number, Name name) {
    if (read_only_) return Error::kReadOnly;
    if (name.length == 1 && name.bytes[0] == '.') return Error::kInvalid;
    if (is_dot_or_dot_dot(name)) return Error::kNotEmpty;
    Result<std::uint32_t> parent = checked_inode(directory_number);
    if (!parent.ok()) return parent.error();
    Inode directory;
    TORO_TRY(load_inode(*parent, &directory));
    EntryLocation where;
    Result<bool> found = find_entry(*parent, directory, name, &where);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kNoEntry;
    Inode inode;
    TORO_TRY(load_inode(where.inode, &inode));
    if (!is_directory(inode)) return Error::kNotDirectory;
    Result<bool> empty = is_empty_directory(inode);
    if (!empty.ok()) return empty.error();
    if (!*empty) return Error::kNotEmpty;
    TORO_TRY(remove_entry(directory, where));
    if (directory.links_count > 2) --directory.links_count;  // its ".." is gone
    directory.modify_time = directory.change_time = now_seconds();
    clear_index(&directory);
    TORO_TRY(store_inode(*parent, directory));
    inode.links_count = 1;  // "." goes with it: drop_link takes the last
    return drop_link(where.inode, &inode);
}

// Whether `ancestor` is `directory` or above it, following "..". A hostile
// loop of ".." entries ends at the step limit as kCorrupt.
Error Ext2::is_ancestor(std::uint32_t ancestor, std::uint32_t directory, bool* result) {
    std::uint32_t current = directory;
    for (unsigned steps = 0; steps < 65536; ++steps) {
        if (current == ancestor) {
            *result = true;
            return Error::kOk;
        }
        if (current == kRootInode) {
            *result = false;
            return Error::kOk;
        }
        Result<InodeNumber> up = lookup(current, Name{"..", 2});
        if (!up.ok()) return up.error();
        current = static_cast<std::uint32_t>(*up);
    }
    return Error::kCorrupt;
}

Error Ext2::rename(InodeNumber from_number, Name from_name, InodeNumber to_number, Name to_name) {
    if (read_only_) return Error::kReadOnly;
    if (is_dot_or_dot_dot(from_name) || is_dot_or_dot_dot(to_name)) return Error::kInvalid;
    Result<std::uint32_t> from_parent = checked_inode(from_number);
    Result<std::uint32_t> to_parent = checked_inode(to_number);
    if (!from_parent.ok() || !to_parent.ok()) return Error::kCorrupt;
    Inode from_directory, to_directory;
    TORO_TRY(load_inode(*from_parent, &from_directory));
    TORO_TRY(load_inode(*to_parent, &to_directory));
    TORO_TRY(check_live_directory(from_directory));
    TORO_TRY(check_live_directory(to_directory));
    EntryLocation source;
    Result<bool> found = find_entry(*from_parent, from_directory, from_name, &source);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kNoEntry;
    Inode moving;
    TORO_TRY(load_inode(source.inode, &moving));
    bool moving_directory = is_directory(moving);
    bool new_parent = *from_parent != *to_parent;
    if (moving_directory && new_parent) {
        bool inside = false;
        TORO_TRY(is_ancestor(source.inode, *to_parent, &inside));
        if (inside) return Error::kInvalid;  // into itself or below
    }

    EntryLocation target;
    found = find_entry(*to_parent, to_directory, to_name, &target);
    if (!found.ok()) return found.error();
    if (*found) {
        if (target.inode == source.inode) return Error::kOk;  // the same file: nothing to do
        Inode replaced;
        TORO_TRY(load_inode(target.inode, &replaced));
        if (is_directory(replaced)) {
            if (!moving_directory) return Error::kIsDirectory;
            Result<bool> empty = is_empty_directory(replaced);
            if (!empty.ok()) return empty.error();
            if (!*empty) return Error::kNotEmpty;
        } else if (moving_directory) {
            return Error::kNotDirectory;
        }
        TORO_TRY(set_entry_inode(to_directory, target, source.inode, file_type_of_mode(moving.mode)));
        if (is_directory(replaced)) {
            TORO_TRY(load_inode(*to_parent, &to_directory));
            if (to_directory.links_count > 2) --to_directory.links_count;
            TORO_TRY(store_inode(*to_parent, to_directory));
            replaced.links_count = 1;
        }
        TORO_TRY(drop_link(target.inode, &replaced));
    } else {
        if (moving_directory && new_parent && to_directory.links_count >= kMaxLinks) {
            return Error::kTooManyLinks;
        }
        TORO_TRY(add_entry(*to_parent, &to_directory, to_name, source.inode,
                           file_type_of_mode(moving.mode)));
    }
    // Adding may have split the record before the source: find it again.
    TORO_TRY(load_inode(*from_parent, &from_directory));
    found = find_entry(*from_parent, from_directory, from_name, &source);
    if (!found.ok()) return found.error();
    if (!*found) return Error::kCorrupt;
    TORO_TRY(remove_entry(from_directory, source));
    from_directory.modify_time = from_directory.change_time = now_seconds();
    clear_index(&from_directory);
    if (moving_directory && new_parent) --from_directory.links_count;
    TORO_TRY(store_inode(*from_parent, from_directory));
    if (moving_directory && new_parent) {
        TORO_TRY(load_inode(source.inode, &moving));
        EntryLocation dot_dot;
        found = find_entry(source.inode, moving, Name{"..", 2}, &dot_dot);
        if (!found.ok()) return found.error();
        if (*found) TORO_TRY(set_entry_inode(moving, dot_dot, *to_parent, kFileTypeDirectory));
        TORO_TRY(load_inode(*to_parent, &to_directory));
        ++to_directory.links_count;
        TORO_TRY(store_inode(*to_parent, to_directory));
    }
    TORO_TRY(load_inode(source.inode, &moving));
    moving.change_time = now_seconds();
    return store_inode(source.inode, moving);
}

}  // namespace toro::ext2
