// The Filesystem unit's application API: a VFS over mounted disks.
//
// Paths are absolute ("/a/b"); "." and ".." work, symbolic links are
// followed (at most 40 per lookup). File descriptors are shared by every
// thread of the machine. Calls block the calling kernel thread while disks
// work; each mounted filesystem runs one call at a time.
//
// Errors are POSIX's (toro/error.h): kNoEntry, kExists, kNotDirectory,
// kIsDirectory, kNotEmpty, kNoSpace, kReadOnly, kNameTooLong, kLoop,
// kBadDescriptor, kInvalid, kIo (the disk failed), kCorrupt (the
// filesystem's structures are damaged; nothing was changed).
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/disk.h"
#include "toro/error.h"

namespace toro {

// A filesystem driver; ext2's is toro::ext2_file_system (toro/ext2.h).
struct FileSystemType;

inline constexpr unsigned kMountReadOnly = 1;

// Mounts `disk` at `path` (an existing directory, or "/" for the first
// mount). Names any feature the driver refuses in the console message.
Error mount(const char* path, Disk* disk, const FileSystemType& type, unsigned flags = 0);
// Writes everything back and marks the filesystem clean. kBusy while files
// are open on it or other mounts are below it.
Error unmount(const char* path);
// Writes back every mounted filesystem's dirty data.
Error sync();

enum OpenFlags : unsigned {
    kOpenRead = 0x0,
    kOpenWrite = 0x1,
    kOpenReadWrite = 0x2,
    kOpenCreate = 0x40,
    kOpenExclusive = 0x80,
    kOpenTruncate = 0x200,
    kOpenAppend = 0x400,
    kOpenDirectory = 0x10000,
    kOpenNoFollow = 0x20000,
};

enum class FileType : std::uint8_t {
    kUnknown, kRegular, kDirectory, kSymlink, kCharDevice, kBlockDevice, kFifo, kSocket
};

struct Stat {
    std::uint64_t inode;
    FileType type;
    std::uint32_t mode;      // permission bits (07777)
    std::uint32_t links;
    std::uint32_t uid, gid;
    std::uint64_t size;
    std::uint64_t blocks;    // 512-byte units allocated
    std::int64_t access_time, modify_time, change_time;  // seconds since 1970
};

struct DirectoryEntry {
    std::uint64_t inode;
    FileType type;           // kUnknown when the filesystem does not record it
    char name[256];          // NUL-terminated
};

Result<int> open(const char* path, unsigned flags, std::uint32_t mode = 0644);
Error close(int fd);
Result<std::size_t> read(int fd, void* buffer, std::size_t length);
Result<std::size_t> write(int fd, const void* buffer, std::size_t length);
Result<std::size_t> pread(int fd, void* buffer, std::size_t length, std::uint64_t offset);
Result<std::size_t> pwrite(int fd, const void* buffer, std::size_t length, std::uint64_t offset);
enum class Whence { kSet, kCurrent, kEnd };
Result<std::uint64_t> seek(int fd, std::int64_t offset, Whence whence);
Error fsync(int fd);
Error ftruncate(int fd, std::uint64_t size);
Error fstat(int fd, Stat* out);
// The next entry of an open directory ("." and ".." included); false at
// the end.
Result<bool> readdir(int fd, DirectoryEntry* out);

Error stat(const char* path, Stat* out);    // follows a final symlink
Error lstat(const char* path, Stat* out);   // does not
Error mkdir(const char* path, std::uint32_t mode = 0755);
Error rmdir(const char* path);
Error unlink(const char* path);
Error rename(const char* from, const char* to);
Error link(const char* existing, const char* new_path);
Error symlink(const char* target, const char* path);
// Copies the link's target (not NUL-terminated) and gives its length.
Result<std::size_t> readlink(const char* path, char* buffer, std::size_t capacity);
Error truncate(const char* path, std::uint64_t size);

}  // namespace toro
