// The VFS's internal state: the mount table, path resolution, and the
// table of open files. See toro/fs.h for the API it serves.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fs/file_system.h"
#include "toro/mutex.h"

namespace toro::fs {

inline constexpr std::size_t kMaxMounts = 16;
inline constexpr std::size_t kMaxPath = 4096;
inline constexpr std::size_t kMaxName = 255;
inline constexpr unsigned kMaxSymlinkFollows = 40;

struct Mount {
    bool in_use = false;
    FileSystem* file_system = nullptr;
    Mount* parent = nullptr;            // null for "/"
    InodeNumber covered = 0;            // the directory of `parent` it hides
    unsigned open_files = 0;
    Mutex lock;                         // one call into the filesystem at a time
};

// A file in the tree: which mount, which inode.
struct Location {
    Mount* mount = nullptr;
    InodeNumber inode = 0;
};

// What a path names: its parent directory and last name always; the file
// itself when `exists`.
struct Resolved {
    Location parent;
    Location target;
    bool exists = false;
    char name[kMaxName + 1];
    std::size_t name_length = 0;
};

// Clears the mount table if it belongs to an earlier boot in this process.
void forget_previous_boot();
// The mount whose root is the tree's root, or null before the first mount.
Mount* root_mount();
// The mount covering (mount, inode), or null.
Mount* mount_on(const Location& location);

// Resolves an absolute path. Intermediate symlinks are always followed; the
// last one only with `follow_last`. kNoEntry when a directory on the way is
// missing (not when only the last name is).
Error resolve(const char* path, bool follow_last, Resolved* out);

// Runs `call` with the mount's lock held.
template <typename Call>
auto with_mount(Mount* mount, Call call) {
    MutexGuard guard(mount->lock);
    return call(*mount->file_system);
}

}  // namespace toro::fs
