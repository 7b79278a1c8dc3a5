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
    bool retiring = false;              // being unmounted: the slot is not free yet
    FileSystem* file_system = nullptr;
    Mount* parent = nullptr;            // null for "/"
    InodeNumber covered = 0;            // the directory of `parent` it hides
    unsigned open_files = 0;            // under `lock`, with each retain/release
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

// Runs `call` with the mount's lock held. A mount that a thread on another
// CPU unmounted since the caller found it answers kNoEntry: its files are
// gone.
template <typename Call>
auto with_mount(Mount* mount, Call call) -> decltype(call(*mount->file_system)) {
    MutexGuard guard(mount->lock);
    if (mount->file_system == nullptr) return Error::kNoEntry;
    return call(*mount->file_system);
}

// The root directory of `mount`; kNoEntry if another CPU unmounted it
// since the caller found it.
inline Result<Location> root_of(Mount* mount) {
    Result<InodeNumber> root = with_mount(mount, [](FileSystem& file_system) -> Result<InodeNumber> {
        return file_system.root();
    });
    if (!root.ok()) return root.error();
    return Location{mount, *root};
}

}  // namespace toro::fs
