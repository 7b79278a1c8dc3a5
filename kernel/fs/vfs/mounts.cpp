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

MountRef ref_of(Mount* mount) {
    return mount == nullptr ? MountRef{} : MountRef{mount, mount->generation};
}

// Whether `found` is still mounted: a slot is only unmounted (and its
// generation counted) after in_use is cleared under this lock.
bool still_mounted(MountRef found) {
    return found.mount->in_use && found.mount->generation == found.generation;
}

Mount* find_root() {
    for (Mount& mount : mounts) {
        if (mount.in_use && mount.parent == nullptr) return &mount;
    }
    return nullptr;
}

Mount* find_mount_on(const Location& location) {
    for (Mount& mount : mounts) {
        if (mount.in_use && mount.parent == location.mount &&
            mount.parent_generation == location.generation && mount.covered == location.inode) {
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

MountRef root_mount() {
    SpinLockGuard guard(table_lock);
    forget_previous_boot_locked();
    return ref_of(find_root());
}

MountRef mount_on(const Location& location) {
    SpinLockGuard guard(table_lock);
    return ref_of(find_mount_on(location));
}

// The mount whose root `path` names; a null mount when none does.
static MountRef mount_at(const char* path) {
    Resolved resolved;
    if (resolve(path, true, &resolved) != Error::kOk || !resolved.exists) return MountRef{};
    Result<Location> root = root_of(resolved.target.mount_ref());
    if (!root.ok() || resolved.target.inode != root->inode) return MountRef{};
    return resolved.target.mount_ref();
}

}  // namespace toro::fs

namespace toro {

using fs::FileSystem;
using fs::Mount;

Error mount(const char* path, Disk* disk, const FileSystemType& type, unsigned flags) {
    if (disk == nullptr || path == nullptr) return Error::kNoDevice;
    fs::Location covered;  // in the parent mount; none for "/"
    if (fs::root_mount().mount == nullptr) {
        if (path[0] != '/' || path[1] != '\0') return Error::kNoEntry;  // "/" comes first
    } else {
        fs::Resolved resolved;
        TORO_TRY(fs::resolve(path, true, &resolved));
        if (!resolved.exists) return Error::kNoEntry;
        Stat status{};
        TORO_TRY(fs::with_mount(resolved.target, [&](fs::FileSystem& file_system) {
            return file_system.get_attributes(resolved.target.inode, &status);
        }));
        if (status.type != FileType::kDirectory) return Error::kNotDirectory;
        if (fs::mount_on(resolved.target).mount != nullptr) return Error::kBusy;
        covered = resolved.target;
    }
    Result<fs::FileSystem*> mounted = type.mount(disk, (flags & kMountReadOnly) != 0);
    if (!mounted.ok()) return mounted.error();
    {
        SpinLockGuard guard(fs::table_lock);
        // Checked again here: another CPU may have mounted on the same spot,
        // or unmounted the parent.
        Mount* parent = covered.mount;
        bool taken = parent == nullptr ? fs::find_root() != nullptr
                                       : !fs::still_mounted(covered.mount_ref()) ||
                                             fs::find_mount_on(covered) != nullptr;
        for (Mount& slot : fs::mounts) {
            if (taken || slot.in_use || slot.retiring) continue;
            slot.file_system = *mounted;
            slot.parent = parent;
            slot.parent_generation = covered.generation;
            slot.covered = covered.inode;
            slot.open_files = 0;
            slot.in_use = true;
            return Error::kOk;
        }
    }
    // No slot, or the place is taken: the file system goes again, outside
    // the spinlock (it writes to the disk), and kBusy is the answer
    // whatever its unmount says.
    (void)(*mounted)->unmount();
    return Error::kBusy;
}

Error unmount(const char* path) {
    fs::MountRef found = fs::mount_at(path);
    if (found.mount == nullptr) return Error::kInvalid;
    Mount* mount = found.mount;
    {
        SpinLockGuard guard(fs::table_lock);
        if (!fs::still_mounted(found)) return Error::kInvalid;  // another CPU unmounted it first
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
        mount->file_system = nullptr;  // a call that found the mount earlier gets kNoEntry,
        ++mount->generation;           // also once the slot is mounted again
        error = file_system->unmount();
    }
    SpinLockGuard guard(fs::table_lock);
    mount->retiring = false;
    return error;
}

Error sync() {
    fs::MountRef mounted[fs::kMaxMounts];
    std::size_t count = 0;
    {
        SpinLockGuard guard(fs::table_lock);
        fs::forget_previous_boot_locked();
        for (Mount& mount : fs::mounts) {
            if (mount.in_use) mounted[count++] = fs::ref_of(&mount);
        }
    }
    Error first_error = Error::kOk;
    for (std::size_t i = 0; i < count; ++i) {
        Error error = fs::with_mount(
            mounted[i], [](fs::FileSystem& file_system) { return file_system.sync(); });
        if (error == Error::kNoEntry) continue;  // unmounted since: synced by its unmount
        if (first_error == Error::kOk) first_error = error;
    }
    return first_error;
}

}  // namespace toro
