// The ext2 driver's state and its internal interface. One Ext2 per mounted
// filesystem; the VFS serialises calls (see fs/file_system.h).
//
// The files of this folder:
//   mount.cpp      superblock and group descriptors: checks, features, sync
//   inode.cpp      inode table access, attributes, open counts, freeing
//   block_map.cpp  a file's logical blocks: direct to triple indirect
//   allocator.cpp  block and inode bitmaps, following block groups
//   directory.cpp  linear directories: iterate, find, add, remove
//   name_index.cpp the in-memory name index of big directories
//   file.cpp       read, write, truncate, symlinks
//   namespace.cpp  create, link, unlink, rmdir, rename
#pragma once

#include <cstddef>
#include <cstdint>

#include "fs/block_cache.h"
#include "fs/ext2/ext2_format.h"
#include "fs/ext2/name_index.h"
#include "fs/file_system.h"

namespace toro::ext2 {

using fs::InodeNumber;
using fs::Name;

// Where a directory entry sits, for removing or rewriting it.
struct EntryLocation {
    std::uint64_t logical_block;
    std::uint32_t offset;           // of the entry within the block
    std::uint32_t previous_offset;  // of the entry before it, or ~0u if first
    std::uint32_t inode;
    std::uint8_t file_type;
    std::uint32_t directory;        // the directory's inode number
};

// One open inode: unlinked inodes with opens are freed at the last release.
struct OpenInode {
    std::uint32_t inode;
    std::uint32_t opens;
};

class Ext2 final : public fs::FileSystem {
public:
    static Result<fs::FileSystem*> mount(Disk* disk, bool read_only);

    InodeNumber root() const override { return kRootInode; }
    bool read_only() const override { return read_only_; }
    Result<InodeNumber> lookup(InodeNumber directory, Name name) override;
    Error get_attributes(InodeNumber inode, Stat* out) override;
    Result<std::size_t> read(InodeNumber file, std::uint64_t offset, void* buffer,
                             std::size_t length) override;
    Result<std::size_t> write(InodeNumber file, std::uint64_t offset, const void* buffer,
                              std::size_t length) override;
    Error truncate(InodeNumber file, std::uint64_t size) override;
    Result<bool> read_directory(InodeNumber directory, std::uint64_t* cookie,
                                DirectoryEntry* out) override;
    Result<std::size_t> read_link(InodeNumber link, char* buffer, std::size_t capacity) override;
    Result<InodeNumber> create(InodeNumber directory, Name name, FileType type,
                               std::uint32_t mode) override;
    Result<InodeNumber> create_symlink(InodeNumber directory, Name name, Name target) override;
    Error link(InodeNumber directory, Name name, InodeNumber inode) override;
    Error unlink(InodeNumber directory, Name name) override;
    Error remove_directory(InodeNumber directory, Name name) override;
    Error rename(InodeNumber from_directory, Name from_name, InodeNumber to_directory,
                 Name to_name) override;
    Error retain(InodeNumber inode) override;
    Error release(InodeNumber inode) override;
    Error sync() override;
    Error unmount() override;

    // --- mount.cpp
    Ext2(Disk* disk, fs::BlockCache* cache) : disk_(disk), cache_(cache) {}
    ~Ext2();
    Error load_superblock();
    Error check_geometry();
    Error check_features(bool* read_only);
    Error load_group_descriptors();
    Error write_superblock();
    Error write_group_descriptors();
    std::uint32_t now_seconds() const;

    // --- inode.cpp
    Error load_inode(std::uint32_t number, Inode* out);
    Error store_inode(std::uint32_t number, const Inode& inode);
    Result<std::uint32_t> checked_inode(InodeNumber number) const;
    std::uint64_t file_size(const Inode& inode) const;
    void set_file_size(Inode* inode, std::uint64_t size);
    bool is_fast_symlink(const Inode& inode) const;
    bool is_open(std::uint32_t number) const;
    Error drop_link(std::uint32_t number, Inode* inode);
    Error free_inode_and_blocks(std::uint32_t number, Inode* inode);

    // --- block_map.cpp
    // The physical block of `logical`, or 0 for a hole. With `allocate`,
    // a hole (and any missing indirect block) is allocated near `goal`.
    Result<std::uint32_t> map_block(Inode* inode, std::uint64_t logical, bool allocate);
    // Frees every block at or past `first_logical`, indirect ones included.
    Error free_blocks_from(Inode* inode, std::uint64_t first_logical);
    std::uint64_t max_logical_blocks() const;

    // --- allocator.cpp
    Result<std::uint32_t> allocate_block(std::uint32_t goal);
    Error free_block(std::uint32_t block);
    Result<std::uint32_t> allocate_inode(std::uint32_t parent, bool directory);
    Error free_inode(std::uint32_t number, bool directory);
    bool block_in_data_area(std::uint32_t block) const;

    // --- directory.cpp
    Result<bool> find_entry(std::uint32_t number, const Inode& directory, Name name,
                            EntryLocation* where);
    Result<bool> find_indexed(const NameIndex& index, const Inode& directory, Name name,
                              EntryLocation* where);
    NameIndex* name_index_for(std::uint32_t number, const Inode& directory);
    void note_added(NameIndex* index, Name name, std::uint64_t logical, std::uint32_t offset,
                    std::uint32_t needed);
    void note_removed(const EntryLocation& where, Name name);
    void drop_name_index(std::uint32_t directory);
    Error add_entry(std::uint32_t directory_number, Inode* directory, Name name,
                    std::uint32_t inode, std::uint8_t file_type);
    Error remove_entry(const Inode& directory, const EntryLocation& where);
    Error set_entry_inode(const Inode& directory, const EntryLocation& where, std::uint32_t inode,
                          std::uint8_t file_type);
    Result<bool> is_empty_directory(const Inode& directory);
    Error make_directory_block(std::uint32_t self, std::uint32_t parent, Inode* directory);
    void clear_index(Inode* directory);

    // --- file.cpp
    Error resize(std::uint32_t number, Inode* inode, std::uint64_t size);

    // --- namespace.cpp
    Result<std::uint32_t> new_inode(std::uint32_t parent, std::uint16_t mode);
    Error is_ancestor(std::uint32_t ancestor, std::uint32_t directory, bool* result);

    Disk* disk_;
    fs::BlockCache* cache_;
    Superblock super_{};
    GroupDescriptor* groups_ = nullptr;
    std::uint32_t group_count_ = 0;
    std::uint32_t block_size_ = 0;
    std::uint32_t inode_size_ = kGoodOldInodeSize;
    std::uint32_t first_inode_ = kGoodOldFirstInode;
    std::uint32_t pointers_per_block_ = 0;
    std::uint32_t group_descriptor_blocks_ = 0;
    std::uint32_t inode_table_blocks_ = 0;  // per group; checked to fit at mount
    bool read_only_ = false;
    bool has_filetype_ = false;
    std::uint64_t mount_ns_ = 0;
    std::uint32_t mount_seconds_ = 0;
    // Name indexes of the big directories used last (name_index.h).
    static constexpr std::uint64_t kIndexedDirectoryBlocks = 4;
    static constexpr std::size_t kMaxIndexedEntries = 1u << 20;
    NameIndex name_indexes_[4];
    std::uint64_t name_index_clock_ = 0;
    OpenInode* open_inodes_ = nullptr;
    std::size_t open_inode_count_ = 0;
    std::size_t open_inode_capacity_ = 0;
};

std::uint8_t file_type_of_mode(std::uint16_t mode);
FileType vfs_type_of_mode(std::uint16_t mode);
FileType vfs_type_of_entry(std::uint8_t file_type);

}  // namespace toro::ext2
