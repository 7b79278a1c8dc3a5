// The interface between the VFS and a filesystem driver. Inodes are named
// by number; names are (pointer, length) pairs, never NUL-terminated, at
// most 255 bytes and free of '/' (the VFS checks). The VFS calls a mounted
// filesystem from one thread at a time (its mount's mutex), so a driver
// needs no locks of its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/disk.h"
#include "toro/error.h"
#include "toro/fs.h"

namespace toro::fs {

using InodeNumber = std::uint64_t;

struct Name {
    const char* bytes;
    std::size_t length;
};

class FileSystem {
protected:
    ~FileSystem() = default;  // deleted through unmount()

public:
    virtual InodeNumber root() const = 0;
    virtual bool read_only() const = 0;

    virtual Result<InodeNumber> lookup(InodeNumber directory, Name name) = 0;
    virtual Error get_attributes(InodeNumber inode, Stat* out) = 0;
    virtual Result<std::size_t> read(InodeNumber file, std::uint64_t offset, void* buffer,
                                     std::size_t length) = 0;
    virtual Result<std::size_t> write(InodeNumber file, std::uint64_t offset, const void* buffer,
                                      std::size_t length) = 0;
    virtual Error truncate(InodeNumber file, std::uint64_t size) = 0;
    // The entry after `*cookie` (0 to start); false at the end.
    virtual Result<bool> read_directory(InodeNumber directory, std::uint64_t* cookie,
                                        DirectoryEntry* out) = 0;
    virtual Result<std::size_t> read_link(InodeNumber link, char* buffer, std::size_t capacity) = 0;

    // `type` is kRegular or kDirectory.
    virtual Result<InodeNumber> create(InodeNumber directory, Name name, FileType type,
                                       std::uint32_t mode) = 0;
    virtual Result<InodeNumber> create_symlink(InodeNumber directory, Name name, Name target) = 0;
    virtual Error link(InodeNumber directory, Name name, InodeNumber inode) = 0;
    virtual Error unlink(InodeNumber directory, Name name) = 0;       // not a directory
    virtual Error remove_directory(InodeNumber directory, Name name) = 0;
    virtual Error rename(InodeNumber from_directory, Name from_name, InodeNumber to_directory,
                         Name to_name) = 0;

    // Open files: an unlinked inode lives until its last release. retain
    // fails with kNoEntry when the inode has no links and no opens (it was
    // unlinked after it was looked up), kNoMemory when it cannot be counted.
    virtual Error retain(InodeNumber inode) = 0;
    virtual Error release(InodeNumber inode) = 0;

    virtual Error sync() = 0;
    // Syncs, marks the filesystem clean, and frees the driver.
    virtual Error unmount() = 0;
};

}  // namespace toro::fs

namespace toro {

struct FileSystemType {
    const char* name;
    // Reads and checks `disk`; on success the new filesystem. Messages
    // about refused or downgraded features go to the console.
    Result<fs::FileSystem*> (*mount)(Disk* disk, bool read_only);
};

}  // namespace toro
