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
    // Slots are reused, and a caller keeps what a lookup found across many
    // calls (a path is resolved, then acted on), long after the lookup let
    // go of the table's spinlock. So each unmount counts itself here (under
    // `lock`), a lookup copies the count (under the table's lock) into what
    // it returns, and with_mount answers kNoEntry when they differ: the
    // mount the caller found is gone, whatever mounted in its slot since.
    // A reference count would pin slots across whole path walks instead;
    // unmount already refuses mounts with open files, which is the one
    // long hold that must block it.
    std::uint64_t generation = 0;
    std::uint64_t parent_generation = 0;  // parent->generation when mounted
};

// A mount as a lookup of the table found it.
struct MountRef {
    Mount* mount = nullptr;
    std::uint64_t generation = 0;
};

// A file in the tree: which mounting of which slot, which inode.
struct Location {
    Mount* mount = nullptr;
    std::uint64_t generation = 0;
    InodeNumber inode = 0;

    MountRef mount_ref() const { return MountRef{mount, generation}; }
};

// Whether two locations are on the same mount (not merely the same slot).
inline bool same_mount(const Location& a, const Location& b) {
    return a.mount == b.mount && a.generation == b.generation;
}

// What a path names: its parent directory and last name always; the file
// itself when `exists`.
struct Resolved {
    Location parent;
    Location target;
    bool exists = false;
    char name[kMaxName + 1];
    std::size_t name_length = 0;
};

// The mount whose root is the tree's root; a null mount before the first
// mount.
MountRef root_mount();
// The mount covering `location`; a null mount when none does.
MountRef mount_on(const Location& location);

// Resolves an absolute path. Intermediate symlinks are always followed; the
// last one only with `follow_last`. kNoEntry when a directory on the way is
// missing (not when only the last name is).
Error resolve(const char* path, bool follow_last, Resolved* out);

// Runs `call` with the mount's lock held. A mount that a thread on another
// CPU unmounted since the caller found it answers kNoEntry: its files are
// gone (and the slot may hold another filesystem by now).
template <typename Call>
auto with_mount(MountRef found, Call call) -> decltype(call(*found.mount->file_system)) {
    MutexGuard guard(found.mount->lock);
    if (found.mount->generation != found.generation || found.mount->file_system == nullptr) {
        return Error::kNoEntry;
    }
    return call(*found.mount->file_system);
}

template <typename Call>
auto with_mount(const Location& location, Call call)
    -> decltype(call(*location.mount->file_system)) {
    return with_mount(location.mount_ref(), call);
}

// The root directory of `found`; kNoEntry if another CPU unmounted it
// since the caller found it.
inline Result<Location> root_of(MountRef found) {
    Result<InodeNumber> root = with_mount(
        found, [](FileSystem& file_system) -> Result<InodeNumber> { return file_system.root(); });
    if (!root.ok()) return root.error();
    return Location{found.mount, found.generation, *root};
}

}  // namespace toro::fs
