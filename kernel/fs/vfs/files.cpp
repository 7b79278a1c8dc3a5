// Open files and the path calls of toro/fs.h. A descriptor holds a
// (mount, inode) pair, its offset and flags; the filesystem keeps the inode
// alive while it is open (retain/release).
#include "fs/text.h"
#include "fs/vfs/vfs.h"
#include "toro/boot_epoch.h"
#include "toro/spinlock.h"

namespace toro::fs {

namespace {

constexpr int kMaxOpenFiles = 256;
constexpr unsigned kAccessMask = 3;

struct OpenFile {
    bool in_use = false;
    Location location;
    FileType type = FileType::kUnknown;
    unsigned flags = 0;
    std::uint64_t offset = 0;           // also the directory cookie
};

SpinLock files_lock;
OpenFile files[kMaxOpenFiles];

bool can_write(unsigned flags) {
    unsigned access = flags & kAccessMask;
    return access == kOpenWrite || access == kOpenReadWrite;
}

bool can_read(unsigned flags) { return (flags & kAccessMask) != kOpenWrite; }

std::uint64_t files_epoch = 0;

OpenFile* file_of(int fd) {
    if (files_epoch != boot_epoch()) return nullptr;
    if (fd < 0 || fd >= kMaxOpenFiles || !files[fd].in_use) return nullptr;
    return &files[fd];
}

Error attributes(const Location& location, Stat* out) {
    return with_mount(location, [&](FileSystem& file_system) {
        return file_system.get_attributes(location.inode, out);
    });
}

Error check_name(const Resolved& resolved) {
    if (resolved.name_length == 0 || resolved.name_length > kMaxName) return Error::kInvalid;
    return Error::kOk;
}

Name name_of(const Resolved& resolved) { return Name{resolved.name, resolved.name_length}; }

Result<int> take_descriptor(const Location& location, FileType type, unsigned flags) {
    SpinLockGuard guard(files_lock);
    if (files_epoch != boot_epoch()) {  // the previous machine's files are gone
        for (OpenFile& file : files) file.in_use = false;
        files_epoch = boot_epoch();
    }
    for (int fd = 0; fd < kMaxOpenFiles; ++fd) {
        if (files[fd].in_use) continue;
        files[fd] = OpenFile{true, location, type, flags, 0};
        return fd;
    }
    return Error::kTooManyOpen;
}

// An open file keeps its inode (retain) and its mount (open_files);
// both under the mount's lock, which unmount checks open_files under.
Error retain(const Location& location, FileSystem& file_system) {
    TORO_TRY(file_system.retain(location.inode));
    ++location.mount->open_files;
    return Error::kOk;
}

Error release(const Location& location, FileSystem& file_system) {
    --location.mount->open_files;
    return file_system.release(location.inode);
}

// Opens the file `resolved` names, creating it when asked, and retains it
// (the caller releases it if the open fails later). The creation, or the
// check that the file still exists, and the retain happen under one hold
// of the mount's lock: a thread on another CPU may have unlinked or made
// the name since it was resolved.
Result<Location> open_or_create(Resolved& resolved, unsigned flags, std::uint32_t mode) {
    bool create = (flags & kOpenCreate) != 0;
    bool exclusive = create && (flags & kOpenExclusive) != 0;
    if (resolved.exists) {
        if (exclusive) return Error::kExists;
        Error retained = with_mount(resolved.target, [&](FileSystem& file_system) {
            return retain(resolved.target, file_system);
        });
        // Unlinked meanwhile: gone (or, with O_CREAT, made anew below).
        if (retained != Error::kNoEntry || !create) {
            if (retained != Error::kOk) return retained;
            return resolved.target;
        }
    }
    if (!create) return Error::kNoEntry;
    TORO_TRY(check_name(resolved));
    Result<InodeNumber> opened = with_mount(resolved.parent, [&](FileSystem& file_system) {
        Name name = name_of(resolved);
        Result<InodeNumber> number = file_system.create(resolved.parent.inode, name, FileType::kRegular, mode);
        if (!number.ok() && number.error() == Error::kExists && !exclusive) {
            number = file_system.lookup(resolved.parent.inode, name);  // made meanwhile: open it
        }
        if (!number.ok()) return number;
        Location created{resolved.parent.mount, resolved.parent.generation, *number};
        Error retained = retain(created, file_system);
        return retained == Error::kOk ? number : Result<InodeNumber>(retained);
    });
    if (!opened.ok()) return opened.error();
    return Location{resolved.parent.mount, resolved.parent.generation, *opened};
}

// The rest of open() for a retained file: type checks, truncation, a
// descriptor.
Result<int> finish_open(const Location& location, unsigned flags) {
    Stat status{};
    TORO_TRY(attributes(location, &status));
    if (status.type == FileType::kSymlink) return Error::kLoop;  // kOpenNoFollow on a link
    if (status.type == FileType::kDirectory && can_write(flags)) return Error::kIsDirectory;
    if (status.type != FileType::kDirectory && (flags & kOpenDirectory)) return Error::kNotDirectory;
    // Retained, so the mount cannot go (unmount is kBusy) and file_system is set.
    if (can_write(flags) && location.mount->file_system->read_only()) return Error::kReadOnly;
    if ((flags & kOpenTruncate) && can_write(flags) && status.type == FileType::kRegular &&
        status.size != 0) {
        TORO_TRY(with_mount(location, [&](FileSystem& file_system) {
            return file_system.truncate(location.inode, 0);
        }));
    }
    return take_descriptor(location, status.type, flags);
}

}  // namespace

}  // namespace toro::fs

namespace toro {

using fs::FileSystem;
using fs::Location;
using fs::Resolved;
using fs::with_mount;

Result<int> open(const char* path, unsigned flags, std::uint32_t mode) {
    Resolved resolved;
    bool follow = (flags & kOpenNoFollow) == 0 && !((flags & kOpenCreate) && (flags & kOpenExclusive));
    TORO_TRY(fs::resolve(path, follow, &resolved));
    Result<Location> location = fs::open_or_create(resolved, flags, mode);
    if (!location.ok()) return location.error();
    Result<int> fd = fs::finish_open(*location, flags);
    if (!fd.ok()) {
        // The open's own error is the one to report.
        (void)with_mount(*location, [&](FileSystem& file_system) {
            return fs::release(*location, file_system);
        });
    }
    return fd;
}

Error close(int fd) {
    Location location;
    {
        // Found and freed under one hold of the lock: of two CPUs closing
        // the same descriptor, only one gets its file to release.
        SpinLockGuard guard(fs::files_lock);
        fs::OpenFile* file = fs::file_of(fd);
        if (file == nullptr) return Error::kBadDescriptor;
        location = file->location;
        file->in_use = false;
    }
    return with_mount(location, [&](FileSystem& file_system) {
        return fs::release(location, file_system);
    });
}

Result<std::size_t> pread(int fd, void* buffer, std::size_t length, std::uint64_t offset) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr || !fs::can_read(file->flags)) return Error::kBadDescriptor;
    if (file->type == FileType::kDirectory) return Error::kIsDirectory;
    return with_mount(file->location, [&](FileSystem& file_system) {
        return file_system.read(file->location.inode, offset, buffer, length);
    });
}

Result<std::size_t> pwrite(int fd, const void* buffer, std::size_t length, std::uint64_t offset) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr || !fs::can_write(file->flags)) return Error::kBadDescriptor;
    return with_mount(file->location, [&](FileSystem& file_system) {
        return file_system.write(file->location.inode, offset, buffer, length);
    });
}

Result<std::size_t> read(int fd, void* buffer, std::size_t length) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr) return Error::kBadDescriptor;
    Result<std::size_t> done = pread(fd, buffer, length, file->offset);
    if (done.ok()) file->offset += *done;
    return done;
}

Result<std::size_t> write(int fd, const void* buffer, std::size_t length) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr || !fs::can_write(file->flags)) return Error::kBadDescriptor;
    Location location = file->location;
    Result<std::size_t> done =
        with_mount(location, [&](FileSystem& file_system) -> Result<std::size_t> {
            if (file->flags & kOpenAppend) {  // the end, read under the same lock as the write
                Stat status{};
                TORO_TRY(file_system.get_attributes(location.inode, &status));
                file->offset = status.size;
            }
            return file_system.write(location.inode, file->offset, buffer, length);
        });
    if (done.ok()) file->offset += *done;
    return done;
}

Result<std::uint64_t> seek(int fd, std::int64_t offset, Whence whence) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr) return Error::kBadDescriptor;
    if (file->type == FileType::kDirectory) return Error::kIsDirectory;
    std::int64_t base = 0;
    if (whence == Whence::kCurrent) base = static_cast<std::int64_t>(file->offset);
    if (whence == Whence::kEnd) {
        Stat status{};
        TORO_TRY(fs::attributes(file->location, &status));
        base = static_cast<std::int64_t>(status.size);
    }
    if ((offset < 0 && base + offset < 0) || (offset > 0 && base > INT64_MAX - offset)) {
        return Error::kInvalid;
    }
    file->offset = static_cast<std::uint64_t>(base + offset);
    return file->offset;
}

Error fsync(int fd) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr) return Error::kBadDescriptor;
    return with_mount(file->location, [](FileSystem& file_system) { return file_system.sync(); });
}

Error ftruncate(int fd, std::uint64_t size) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr || !fs::can_write(file->flags)) return Error::kBadDescriptor;
    return with_mount(file->location, [&](FileSystem& file_system) {
        return file_system.truncate(file->location.inode, size);
    });
}

Error fstat(int fd, Stat* out) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr) return Error::kBadDescriptor;
    return fs::attributes(file->location, out);
}

Result<bool> readdir(int fd, DirectoryEntry* out) {
    fs::OpenFile* file = fs::file_of(fd);
    if (file == nullptr) return Error::kBadDescriptor;
    if (file->type != FileType::kDirectory) return Error::kNotDirectory;
    return with_mount(file->location, [&](FileSystem& file_system) {
        return file_system.read_directory(file->location.inode, &file->offset, out);
    });
}

static Error stat_path(const char* path, bool follow, Stat* out) {
    Resolved resolved;
    TORO_TRY(fs::resolve(path, follow, &resolved));
    if (!resolved.exists) return Error::kNoEntry;
    return fs::attributes(resolved.target, out);
}

Error stat(const char* path, Stat* out) { return stat_path(path, true, out); }
Error lstat(const char* path, Stat* out) { return stat_path(path, false, out); }

// Resolves the parent of a name that is about to be created.
static Error resolve_new(const char* path, Resolved* resolved) {
    TORO_TRY(fs::resolve(path, false, resolved));
    if (resolved->exists) return Error::kExists;
    return fs::check_name(*resolved);
}

Error mkdir(const char* path, std::uint32_t mode) {
    Resolved resolved;
    TORO_TRY(resolve_new(path, &resolved));
    Result<fs::InodeNumber> created = with_mount(resolved.parent, [&](FileSystem& file_system) {
        return file_system.create(resolved.parent.inode, fs::name_of(resolved), FileType::kDirectory,
                                  mode);
    });
    return created.ok() ? Error::kOk : created.error();
}

Error symlink(const char* target, const char* path) {
    Resolved resolved;
    TORO_TRY(resolve_new(path, &resolved));
    fs::Name target_name{target, fs::text_length(target)};
    Result<fs::InodeNumber> created = with_mount(resolved.parent, [&](FileSystem& file_system) {
        return file_system.create_symlink(resolved.parent.inode, fs::name_of(resolved), target_name);
    });
    return created.ok() ? Error::kOk : created.error();
}

Error link(const char* existing, const char* new_path) {
    Resolved source;
    TORO_TRY(fs::resolve(existing, false, &source));
    if (!source.exists) return Error::kNoEntry;
    Resolved resolved;
    TORO_TRY(resolve_new(new_path, &resolved));
    if (!fs::same_mount(resolved.parent, source.target)) return Error::kCrossDevice;
    return with_mount(resolved.parent, [&](FileSystem& file_system) {
        return file_system.link(resolved.parent.inode, fs::name_of(resolved), source.target.inode);
    });
}

// A path whose last name must exist, for removing it.
static Error resolve_existing(const char* path, Resolved* resolved) {
    TORO_TRY(fs::resolve(path, false, resolved));
    if (!resolved->exists) return Error::kNoEntry;
    Result<Location> top = fs::root_of(resolved->target.mount_ref());
    if (!top.ok()) return top.error();
    if (fs::mount_on(resolved->target).mount != nullptr || resolved->target.inode == top->inode) {
        return Error::kBusy;  // a mount point or a filesystem's root
    }
    return fs::check_name(*resolved);
}

Error unlink(const char* path) {
    Resolved resolved;
    TORO_TRY(resolve_existing(path, &resolved));
    return with_mount(resolved.parent, [&](FileSystem& file_system) {
        return file_system.unlink(resolved.parent.inode, fs::name_of(resolved));
    });
}

Error rmdir(const char* path) {
    Resolved resolved;
    TORO_TRY(resolve_existing(path, &resolved));
    return with_mount(resolved.parent, [&](FileSystem& file_system) {
        return file_system.remove_directory(resolved.parent.inode, fs::name_of(resolved));
    });
}

Error rename(const char* from, const char* to) {
    Resolved source;
    TORO_TRY(resolve_existing(from, &source));
    Resolved destination;
    TORO_TRY(fs::resolve(to, false, &destination));
    TORO_TRY(fs::check_name(destination));
    if (!fs::same_mount(source.parent, destination.parent)) return Error::kCrossDevice;
    return with_mount(source.parent, [&](FileSystem& file_system) {
        return file_system.rename(source.parent.inode, fs::name_of(source), destination.parent.inode,
                                  fs::name_of(destination));
    });
}

Result<std::size_t> readlink(const char* path, char* buffer, std::size_t capacity) {
    Resolved resolved;
    TORO_TRY(fs::resolve(path, false, &resolved));
    if (!resolved.exists) return Error::kNoEntry;
    return with_mount(resolved.target, [&](FileSystem& file_system) {
        return file_system.read_link(resolved.target.inode, buffer, capacity);
    });
}

Error truncate(const char* path, std::uint64_t size) {
    Resolved resolved;
    TORO_TRY(fs::resolve(path, true, &resolved));
    if (!resolved.exists) return Error::kNoEntry;
    return with_mount(resolved.target, [&](FileSystem& file_system) {
        return file_system.truncate(resolved.target.inode, size);
    });
}

}  // namespace toro
