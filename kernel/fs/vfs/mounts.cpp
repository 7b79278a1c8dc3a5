// The mount table. Mounting and unmounting are rare: a spinlock guards the
// table, and each mount's own mutex guards calls into its filesystem.
#include <new>

#include "fs/vfs/vfs.h"
#include "toro/boot_epoch.h"
#include "toro/print.h"
#include "toro/spinlock.h"

namespace toro::fs {

namespace {

SpinLock table_lock;
Mount mounts[kMaxMounts];
std::uint64_t mounts_epoch = 0;

// The helpers below read the table: callers hold table_lock, because
// mount and unmount fill and free slots on other CPUs.
bool has_children(const Mount* mount) {
    for (const Mount& other : mounts) {
        if (other.in_use && other.parent == mount) return true;
    }
    return false;
}

Mount* find_root() {
    for (Mount& mount : mounts) {
        if (mount.in_use && mount.parent == nullptr) return &mount;
    }
    return nullptr;
}

Mount* find_mount_on(const Location& location) {
    for (Mount& mount : mounts) {
        if (mount.in_use && mount.parent == location.mount && mount.covered == location.inode) {
            return &mount;
        }
    }
    return nullptr;
}

void forget_previous_boot_locked() {
    if (mounts_epoch == boot_epoch()) return;
    for (Mount& mount : mounts) {
        mount.in_use = false;
        mount.retiring = false;
        mount.file_system = nullptr;
        mount.parent = nullptr;
        mount.open_files = 0;
        new (&mount.lock) Mutex();
    }
    mounts_epoch = boot_epoch();
}

}  // namespace

void forget_previous_boot() {
    SpinLockGuard guard(table_lock);
    forget_previous_boot_locked();
}

Mount* root_mount() {
    SpinLockGuard guard(table_lock);
    forget_previous_boot_locked();
    return find_root();
}

Mount* mount_on(const Location& location) {
    SpinLockGuard guard(table_lock);
    return find_mount_on(location);
}

// The mount whose root `path` names, or null.
static Mount* mount_at(const char* path) {
    Resolved resolved;
    if (resolve(path, true, &resolved) != Error::kOk || !resolved.exists) return nullptr;
    Mount* mount = resolved.target.mount;
    Result<InodeNumber> root = with_mount(mount, [](FileSystem& file_system) -> Result<InodeNumber> {
        return file_system.root();
    });
    return root.ok() && resolved.target.inode == *root ? mount : nullptr;
}

}  // namespace toro::fs

namespace toro {

using fs::FileSystem;
using fs::Mount;

Error mount(const char* path, Disk* disk, const FileSystemType& type, unsigned flags) {
    if (disk == nullptr || path == nullptr) return Error::kNoDevice;
    Mount* parent = nullptr;
    fs::InodeNumber covered = 0;
    if (fs::root_mount() == nullptr) {
        if (path[0] != '/' || path[1] != '\0') return Error::kNoEntry;  // "/" comes first
    } else {
        fs::Resolved resolved;
        TORO_TRY(fs::resolve(path, true, &resolved));
        if (!resolved.exists) return Error::kNoEntry;
        Stat status{};
        TORO_TRY(fs::with_mount(resolved.target.mount, [&](fs::FileSystem& file_system) {
            return file_system.get_attributes(resolved.target.inode, &status);
        }));
        if (status.type != FileType::kDirectory) return Error::kNotDirectory;
        if (fs::mount_on(resolved.target) != nullptr) return Error::kBusy;
        parent = resolved.target.mount;
        covered = resolved.target.inode;
    }
    Result<fs::FileSystem*> mounted = type.mount(disk, (flags & kMountReadOnly) != 0);
    if (!mounted.ok()) return mounted.error();
    {
        SpinLockGuard guard(fs::table_lock);
        // Checked again here: another CPU may have mounted on the same spot.
        bool taken = parent == nullptr ? fs::find_root() != nullptr
                                       : fs::find_mount_on({parent, covered}) != nullptr;
        for (Mount& slot : fs::mounts) {
            if (taken || slot.in_use || slot.retiring) continue;
            slot.file_system = *mounted;
            slot.parent = parent;
            slot.covered = covered;
            slot.open_files = 0;
            slot.in_use = true;
            return Error::kOk;
        }
    }
    (*mounted)->unmount();  // outside the spinlock: it writes to the disk
    return Error::kBusy;
}

Error unmount(const char* path) {
    Mount* mount = fs::mount_at(path);
    if (mount == nullptr) return Error::kInvalid;
    {
        SpinLockGuard guard(fs::table_lock);
        if (!mount->in_use) return Error::kInvalid;  // another CPU unmounted it first
        if (fs::has_children(mount)) return Error::kBusy;
        mount->in_use = false;  // no new lookups reach it from here on
        mount->retiring = true;
    }
    Error error;
    {
        MutexGuard guard(mount->lock);  // waits for a call already inside
        if (mount->open_files != 0) {   // counted under this lock, by open and close
            SpinLockGuard table_guard(fs::table_lock);
            mount->in_use = true;
            mount->retiring = false;
            return Error::kBusy;
        }
        FileSystem* file_system = mount->file_system;
        mount->file_system = nullptr;  // a call that found the mount earlier gets kNoEntry
        error = file_system->unmount();
    }
    SpinLockGuard guard(fs::table_lock);
    mount->retiring = false;
    return error;
}

Error sync() {
    Mount* mounted[fs::kMaxMounts];
    std::size_t count = 0;
    {
        SpinLockGuard guard(fs::table_lock);
        fs::forget_previous_boot_locked();
        for (Mount& mount : fs::mounts) {
            if (mount.in_use) mounted[count++] = &mount;
        }
    }
    Error first_error = Error::kOk;
    for (std::size_t i = 0; i < count; ++i) {
        Error error = fs::with_mount(mounted[i], [](fs::FileSystem& file_system) { return file_system.sync(); });
        if (error == Error::kNoEntry) continue;  // unmounted since: synced by its unmount
        if (first_error == Error::kOk) first_error = error;
    }
    return first_error;
}

}  // namespace toro
