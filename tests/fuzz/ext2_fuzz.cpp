// libFuzzer target: the input is an ext2 disk image.
//
// One hosted machine (1 CPU, 32 MiB) is booted, on the first input, in a
// thread of this process and serves every input after it: its application
// thread waits for an input, runs it, checks that the kernel is back where
// it started, and waits again. Its disk 0 (InputDisk below) reads the
// input's bytes in place, followed by zeros up to the size the superblock
// claims (at most 4 MiB), so an image cut by -max_len (toro.sh: 64 KiB)
// still mounts; the sectors the kernel writes go to an overlay that the
// next input clears. Nothing is copied per input but what the kernel writes.
// libFuzzer's thread and the machine's CPU thread take turns on one host
// CPU (ThreadPlacement below).
//
// Per input the application mounts the image read-write at "/", walks
// every entry (readdir, lstat, stat of symlinks, the first 64 KiB of each
// file and its far end, readlink; at most 256 entries), mutates what the image
// already holds (a write, truncate, rename and unlink of its first file; a
// rename, mkdir and rmdirs of its first directory), then builds files of
// its own (create, write, sparse write past the direct blocks, rename,
// truncate, link, a write through the link, fast and slow symlinks, unlink,
// a partial-block overwrite) and reads each file it wrote back, every byte.
// It unmounts, mounts again, reads them back once more, walks the root and
// unmounts.
//
// Data check. Every error is an acceptable answer to a hostile image, but
// a read that succeeds must return what was written. toro/fs.h promises no
// more than POSIX for a failed call, and ext2's write (file.cpp) copies
// whole pieces into the cache before it may fail storing the inode, so the
// model (FileModel) is: a write or truncate that succeeded defines its
// bytes and the size; one that failed leaves each byte it covered either as
// it was or as the call would have made it, and the size anywhere between
// the two. A rename, link or unlink that failed makes the names it touched
// unknown (they are not read back); an open or read that fails is a
// refusal and ends that file's check. What an open that succeeds reads is
// checked: a regular file, its size within the model's bounds, each byte
// one the model allows. The files are the harness's own (created with
// kOpenExclusive), made after the image's own files were changed, and the
// root's new entries come before any data: a corrupt bitmap may hand an
// existing file's or directory's blocks to them (only a scan of every inode
// could tell), but nothing writes those blocks through their first owner
// afterwards, so what reads back wrong is the driver's doing.
//
// Between inputs the kernel must be back at its baseline: the mount gone
// (unmount answers neither kBusy nor kInvalid), and the allocator's objects,
// large blocks and pages in use what they were before the first input (an
// open file, a mount, a block cache or an inode left behind holds memory).
// A leftover, a crash, a sanitizer report, a kernel panic (the machine
// stops), a hang (libFuzzer's -timeout), a byte read back wrong or a broken
// API contract (FUZZ_CHECK) is a bug.
//
// Reproduce a crash: build-fuzz/tests/fuzz/ext2_fuzz crash-XXXX
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <thread>

#include "hal/devices.h"
#include "hal/events.h"
#include "hal_posix/machine.h"
#include "toro/app.h"
#include "toro/ext2.h"
#include "toro/fs.h"
#include "toro/memory.h"
#include "toro/toro.h"

extern const char toro_app_name[];
const char toro_app_name[] = "ext2_fuzz";

// Kernel faults must reach the sanitizer (which reports them and lets
// libFuzzer save the input), not the hosted HAL's handler, which exits.
extern "C" const char* __asan_default_options() {
    return "handle_segv=2:handle_sigbus=2:handle_sigill=2:handle_sigfpe=2:detect_leaks=0";
}
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

constexpr std::size_t kSectorBytes = 512;
constexpr std::size_t kMaxImageBytes = 4u << 20;
constexpr std::size_t kMaxSectors = kMaxImageBytes / kSectorBytes;
constexpr std::size_t kMaxSectorsPerRequest = 2048;
constexpr std::size_t kMachineMemory = 32u << 20;
// Bounds on one walk, so that a hostile image cannot turn into a timeout
// through sheer size (a sparse file of 2^40 bytes, a million entries).
constexpr unsigned kMaxDepth = 16;
constexpr unsigned kMaxEntries = 256;
constexpr std::uint64_t kMaxReadBytes = 64 * 1024;  // per file, from its start
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kPathBytes = 4096;

// A broken promise of toro/fs.h: report it as a crash so libFuzzer keeps it.
#define FUZZ_CHECK(condition)                                                           \
    do {                                                                                \
        if (!(condition)) {                                                             \
            std::fprintf(stderr, "ext2_fuzz: %s:%d: check failed: %s\n", __FILE__,      \
                         __LINE__, #condition);                                         \
            std::abort();                                                               \
        }                                                                               \
    } while (0)

// The machine's disk 0: the current input, read in place and followed by
// zeros up to the size its superblock claims (at most kMaxImageBytes), so
// that an input cut short by -max_len still mounts; the sectors written
// since load() are in an overlay. Requests complete inside submit(), on the
// calling CPU, as the hosted memory disks' do.
class InputDisk final : public hal::BlockDevice {
public:
    // Between inputs only (the kernel is waiting): the next image.
    void load(const std::uint8_t* bytes, std::size_t size) {
        for (std::size_t i = 0; i < written_count_; ++i) written_[written_sectors_[i]] = false;
        written_count_ = 0;
        bytes_ = bytes;
        size_ = size;
        std::uint64_t disk_bytes = size > claimed_bytes(bytes, size) ? size : claimed_bytes(bytes, size);
        if (disk_bytes > kMaxImageBytes) disk_bytes = kMaxImageBytes;
        sectors_ = (disk_bytes + kSectorBytes - 1) / kSectorBytes;
    }

    const char* name() const override { return "fuzz0"; }
    std::size_t sector_size() const override { return kSectorBytes; }
    std::uint64_t sector_count() const override { return sectors_; }
    bool read_only() const override { return false; }
    std::size_t max_sectors_per_request() const override { return kMaxSectorsPerRequest; }

    hal::DeviceStatus submit(hal::BlockRequest* request) override {
        using Operation = hal::BlockRequest::Operation;
        if (request->operation != Operation::kFlush) {
            if (request->sector_count == 0 || request->sector_count > kMaxSectorsPerRequest ||
                request->buffer == nullptr) {
                return hal::DeviceStatus::kInvalid;
            }
            if (request->first_sector > sectors_ ||
                request->sector_count > sectors_ - request->first_sector) {
                return hal::DeviceStatus::kOutOfRange;
            }
            for (std::size_t i = 0; i < request->sector_count; ++i) {
                std::uint8_t* buffer = request->buffer + i * kSectorBytes;
                auto sector = static_cast<std::size_t>(request->first_sector + i);
                if (request->operation == Operation::kWrite) {
                    write_sector(sector, buffer);
                } else {
                    read_sector(sector, buffer);
                }
            }
        }
        request->status = hal::DeviceStatus::kOk;
        request->completed.store(true, std::memory_order_release);
        hal::event_raise(request->completion_event);
        return hal::DeviceStatus::kOk;
    }

    bool cancel(hal::BlockRequest*) override { return false; }

private:
    // The bytes the superblock's s_blocks_count and s_log_block_size say
    // the filesystem spans (ext2 layout §3.1.1: offsets 4 and 24 of the
    // superblock at byte 1024), 0 when the input is too short to say.
    static std::uint64_t claimed_bytes(const std::uint8_t* bytes, std::size_t size) {
        constexpr std::size_t kBlocksCount = 1024 + 4, kLogBlockSize = 1024 + 24;
        if (size < kLogBlockSize + 4) return 0;
        std::uint32_t blocks, log_block_size;
        std::memcpy(&blocks, bytes + kBlocksCount, 4);
        std::memcpy(&log_block_size, bytes + kLogBlockSize, 4);
        if (log_block_size > 6) return 0;  // over 64 KiB: mount refuses it anyway
        return std::uint64_t{blocks} << (10 + log_block_size);
    }

    void read_sector(std::size_t sector, std::uint8_t* out) const {
        if (written_[sector]) {
            std::memcpy(out, overlay_[sector], kSectorBytes);
            return;
        }
        std::size_t start = sector * kSectorBytes;
        std::size_t present = start >= size_ ? 0 : size_ - start < kSectorBytes ? size_ - start : kSectorBytes;
        std::memcpy(out, bytes_ + start, present);
        std::memset(out + present, 0, kSectorBytes - present);
    }

    void write_sector(std::size_t sector, const std::uint8_t* in) {
        if (!written_[sector]) {
            written_[sector] = true;
            written_sectors_[written_count_++] = static_cast<std::uint32_t>(sector);
        }
        std::memcpy(overlay_[sector], in, kSectorBytes);
    }

    const std::uint8_t* bytes_ = nullptr;
    std::size_t size_ = 0;
    std::uint64_t sectors_ = 0;
    std::uint8_t overlay_[kMaxSectors][kSectorBytes] = {};
    bool written_[kMaxSectors] = {};
    std::uint32_t written_sectors_[kMaxSectors] = {};
    std::size_t written_count_ = 0;
};

InputDisk input_disk;

std::size_t length_of(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return length;
}

bool has_slash(const char* name) {
    for (; *name != '\0'; ++name) {
        if (*name == '/') return true;
    }
    return false;
}

bool is_dot_or_dot_dot(const char* name) {
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

class Walk {
public:
    Walk(char* path, std::uint8_t* buffer) : path_(path), buffer_(buffer) {}

    // Walks the tree below path_ (a directory; its inode `inode`).
    void directory(std::size_t path_length, unsigned depth, std::uint64_t inode);

    // The first regular file and directory met (besides the root), for
    // mutations of what the image already holds; empty if none.
    char first_file[kPathBytes] = {};
    char first_directory[kPathBytes] = {};

private:
    void entry(std::size_t path_length, unsigned depth);
    void regular_file(const toro::Stat& status);
    void symbolic_link();

    char* path_;
    std::uint8_t* buffer_;
    unsigned entries_ = 0;
    std::uint64_t ancestors_[kMaxDepth + 1] = {};
};

void Walk::directory(std::size_t path_length, unsigned depth, std::uint64_t inode) {
    ancestors_[depth] = inode;
    toro::Result<int> fd = toro::open(path_, toro::kOpenRead | toro::kOpenDirectory);
    if (!fd.ok()) return;
    toro::DirectoryEntry found;
    while (entries_ < kMaxEntries) {
        toro::Result<bool> more = toro::readdir(*fd, &found);
        if (!more.ok() || !*more) break;
        ++entries_;
        std::size_t name_length = length_of(found.name);
        FUZZ_CHECK(name_length < sizeof found.name);
        // A corrupt directory may hold names no path can reach ("a/b", "").
        if (name_length == 0 || is_dot_or_dot_dot(found.name) || has_slash(found.name)) continue;
        std::size_t separator = path_length == 1 ? 0 : 1;  // "/" + name, "/a" + "/" + name
        if (path_length + separator + name_length + 1 > kPathBytes) continue;
        if (separator) path_[path_length] = '/';
        __builtin_memcpy(path_ + path_length + separator, found.name, name_length + 1);
        entry(path_length + separator + name_length, depth);
        path_[path_length] = '\0';
    }
    toro::close(*fd);
}

void Walk::entry(std::size_t path_length, unsigned depth) {
    toro::Stat status{};
    if (toro::lstat(path_, &status) != toro::Error::kOk) return;
    toro::Stat followed{};
    if (status.type == toro::FileType::kSymlink) toro::stat(path_, &followed);
    switch (status.type) {
    case toro::FileType::kRegular:
        if (first_file[0] == '\0') __builtin_memcpy(first_file, path_, path_length + 1);
        regular_file(status);
        break;
    case toro::FileType::kSymlink:
        symbolic_link();
        break;
    case toro::FileType::kDirectory: {
        if (first_directory[0] == '\0') __builtin_memcpy(first_directory, path_, path_length + 1);
        if (depth >= kMaxDepth) break;
        bool loop = false;
        for (unsigned i = 0; i <= depth; ++i) loop = loop || ancestors_[i] == status.inode;
        if (!loop) directory(path_length, depth + 1, status.inode);
        break;
    }
    default:
        break;
    }
}

void Walk::regular_file(const toro::Stat& status) {
    toro::Result<int> fd = toro::open(path_, toro::kOpenRead | toro::kOpenNoFollow);
    if (!fd.ok()) return;
    std::uint64_t done = 0;
    while (done < kMaxReadBytes) {
        toro::Result<std::size_t> got = toro::read(*fd, buffer_, kChunkBytes);
        if (!got.ok() || *got == 0) break;
        FUZZ_CHECK(*got <= kChunkBytes);
        done += *got;
    }
    // The far end of a large file: its indirect blocks.
    if (status.size > kMaxReadBytes) {
        toro::Result<std::size_t> got = toro::pread(*fd, buffer_, kChunkBytes, status.size - 1);
        if (got.ok()) FUZZ_CHECK(*got <= 1);
        toro::pread(*fd, buffer_, kChunkBytes, status.size / 2);
    }
    toro::Stat again{};
    toro::fstat(*fd, &again);
    toro::close(*fd);
}

void Walk::symbolic_link() {
    char target[kPathBytes];
    toro::Result<std::size_t> length = toro::readlink(path_, target, sizeof target);
    if (length.ok()) FUZZ_CHECK(*length <= sizeof target);
}

// What the harness's writes should have left in one file (the data check
// of the file's top comment). Bytes at or past max_size are never read;
// bytes below it the file does not hold read as zeros.
constexpr std::size_t kModelBytes = 320 * 1024;  // past the furthest offset the harness writes
constexpr unsigned kModelFiles = 3;
constexpr unsigned kModelNames = 8;
constexpr std::size_t kModelPathBytes = 32;

enum Doubt : std::uint8_t { kExact, kEither, kAny };  // value; value or other; anything

struct FileModel {
    std::uint64_t min_size = 0, max_size = 0;
    std::uint8_t value[kModelBytes];
    std::uint8_t other[kModelBytes];
    std::uint8_t doubt[kModelBytes];

    void reset() {
        std::memset(value, 0, max_size);
        std::memset(other, 0, max_size);
        std::memset(doubt, kExact, max_size);
        min_size = max_size = 0;
    }
    // Bytes [offset, offset + length) become `bytes`, for sure (succeeded)
    // or maybe (failed).
    void set(std::uint64_t offset, const std::uint8_t* bytes, std::size_t length, bool succeeded) {
        if (succeeded) {
            std::memcpy(value + offset, bytes, length);
            std::memset(doubt + offset, kExact, length);
            return;
        }
        for (std::size_t i = 0; i < length; ++i) {
            std::uint64_t at = offset + i;
            if (doubt[at] == kExact && value[at] != bytes[i]) {
                other[at] = bytes[i];
                doubt[at] = kEither;
            } else if (doubt[at] == kEither && value[at] != bytes[i] && other[at] != bytes[i]) {
                doubt[at] = kAny;
            }
        }
    }
    // The first of `length` bytes read at `offset` the model does not
    // allow, or length.
    std::size_t first_wrong(std::uint64_t offset, const std::uint8_t* bytes, std::size_t length) const {
        if (std::memcmp(value + offset, bytes, length) == 0) return length;
        for (std::size_t i = 0; i < length; ++i) {
            std::uint64_t at = offset + i;
            bool allowed = doubt[at] == kAny || value[at] == bytes[i] ||
                           (doubt[at] == kEither && other[at] == bytes[i]);
            if (!allowed) return i;
        }
        return length;
    }
    // The size after a call that sets it to `size` (succeeded) or maybe.
    void resize(std::uint64_t size, bool succeeded) {
        if (succeeded) {
            min_size = max_size = size;
        } else {
            if (size < min_size) min_size = size;
            if (size > max_size) max_size = size;
        }
    }
};

// What the harness's write number `salt` puts at file offset `offset`:
// byte (offset + 97 * salt) * 131 + 7, a slice of a table (a loop over the
// bytes costs as much as the write itself under the sanitizers).
constexpr std::size_t kPatternPeriod = 256;
struct PatternTable {
    std::uint8_t bytes[kChunkBytes + kPatternPeriod];
    PatternTable() {
        for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<std::uint8_t>(i * 131 + 7);
    }
};
const PatternTable pattern_table;
void fill_pattern(std::uint8_t* out, std::size_t length, std::uint64_t offset, unsigned salt) {
    std::memcpy(out, pattern_table.bytes + (offset + 97u * salt) % kPatternPeriod, length);
}

// The harness's files and the names that reach them. Its calls on them go
// through here; a call on a name the model tracks updates the model with
// its result (a name it does not track: a create that failed, a rename
// that failed, is still called on, unchecked).
class Model {
public:
    // Before an input: no files, and `buffer` (kChunkBytes) for the calls.
    void reset(std::uint8_t* buffer) {
        buffer_ = buffer;
        for (FileModel& file : files_) file.reset();
        file_count_ = name_count_ = 0;
        salt_ = 0;
    }
    void create(const char* path);
    void write(const char* path, std::size_t length, std::uint64_t offset);
    void truncate(const char* path, std::uint64_t size);
    void rename(const char* from, const char* to);
    void link(const char* existing, const char* new_path);
    void unlink(const char* path);
    // Reads every file back through each of its names.
    void check() const;

private:
    struct Name {
        char path[kModelPathBytes];
        unsigned file;
    };
    int find(const char* path) const;
    void forget(const char* path);
    void check_file(const Name& name) const;

    std::uint8_t* buffer_ = nullptr;
    FileModel files_[kModelFiles];
    unsigned file_count_ = 0;
    Name names_[kModelNames];
    unsigned name_count_ = 0;
    unsigned salt_ = 0;
};

int Model::find(const char* path) const {
    for (unsigned i = 0; i < name_count_; ++i) {
        if (std::strcmp(names_[i].path, path) == 0) return static_cast<int>(i);
    }
    return -1;
}

void Model::forget(const char* path) {
    int found = find(path);
    if (found >= 0) names_[found] = names_[--name_count_];
}

void Model::create(const char* path) {
    FUZZ_CHECK(file_count_ < kModelFiles && name_count_ < kModelNames);
    toro::Result<int> fd = toro::open(path, toro::kOpenReadWrite | toro::kOpenCreate | toro::kOpenExclusive);
    if (!fd.ok()) return;
    toro::close(*fd);
    Name& name = names_[name_count_++];
    std::snprintf(name.path, sizeof name.path, "%s", path);
    name.file = file_count_++;
}

void Model::write(const char* path, std::size_t length, std::uint64_t offset) {
    FUZZ_CHECK(length <= kChunkBytes && offset + length <= kModelBytes);
    unsigned salt = ++salt_;
    fill_pattern(buffer_, length, offset, salt);
    toro::Result<int> fd = toro::open(path, toro::kOpenReadWrite | toro::kOpenNoFollow);
    if (!fd.ok()) return;  // nothing was written
    toro::Result<std::size_t> written = toro::pwrite(*fd, buffer_, length, offset);
    toro::close(*fd);
    int found = find(path);
    if (found < 0) return;  // not the harness's file (its create failed)
    FileModel& file = files_[names_[found].file];
    // A short count: the rest was not written (file.cpp stops at a piece).
    std::size_t done = written.ok() ? *written : length;
    if (written.ok()) FUZZ_CHECK(done <= length);
    file.set(offset, buffer_, done, written.ok());
    std::uint64_t end = offset + done;  // the size grows to `end`, surely or maybe
    if (written.ok() && end > file.min_size) file.min_size = end;
    if (end > file.max_size) file.max_size = end;
}

void Model::truncate(const char* path, std::uint64_t size) {
    FUZZ_CHECK(size <= kModelBytes);
    bool succeeded = toro::truncate(path, size) == toro::Error::kOk;
    int found = find(path);
    if (found < 0) return;
    FileModel& file = files_[names_[found].file];
    if (file.max_size > size) {
        std::memset(buffer_, 0, kChunkBytes);
        for (std::uint64_t at = size; at < file.max_size; at += kChunkBytes) {
            std::uint64_t left = file.max_size - at;
            file.set(at, buffer_, left < kChunkBytes ? left : kChunkBytes, succeeded);
        }
    }
    file.resize(size, succeeded);
}

void Model::rename(const char* from, const char* to) {
    if (toro::rename(from, to) != toro::Error::kOk) {
        forget(from);  // which of the two names exists, and for what, is unknown
        forget(to);
        return;
    }
    if (std::strcmp(from, to) == 0) return;
    forget(to);  // replaced
    int found = find(from);
    if (found < 0) return;
    std::snprintf(names_[found].path, sizeof names_[found].path, "%s", to);
}

void Model::link(const char* existing, const char* new_path) {
    FUZZ_CHECK(name_count_ < kModelNames && find(new_path) < 0);
    if (toro::link(existing, new_path) != toro::Error::kOk) return;
    int found = find(existing);
    if (found < 0) return;
    Name& name = names_[name_count_++];
    std::snprintf(name.path, sizeof name.path, "%s", new_path);
    name.file = names_[found].file;
}

void Model::unlink(const char* path) {
    toro::unlink(path);
    forget(path);  // gone, or unknown
}

void Model::check() const {
    for (unsigned i = 0; i < name_count_; ++i) check_file(names_[i]);
}

void Model::check_file(const Name& name) const {
    const FileModel& file = files_[name.file];
    toro::Result<int> fd = toro::open(name.path, toro::kOpenRead | toro::kOpenNoFollow);
    if (!fd.ok()) return;
    toro::Stat status{};
    if (toro::fstat(*fd, &status) == toro::Error::kOk) {
        FUZZ_CHECK(status.type == toro::FileType::kRegular);
        FUZZ_CHECK(status.size >= file.min_size && status.size <= file.max_size);
    }
    std::uint64_t done = 0;
    for (;;) {
        // One byte more than the model allows: a longer file is a failure too.
        toro::Result<std::size_t> got = toro::pread(*fd, buffer_, kChunkBytes, done);
        if (!got.ok()) break;  // refused
        FUZZ_CHECK(*got <= kChunkBytes && done + *got <= file.max_size);
        std::size_t wrong = file.first_wrong(done, buffer_, *got);
        if (wrong != *got) {
            std::fprintf(stderr, "ext2_fuzz: %s: byte %llu reads %u, written %u\n", name.path,
                         static_cast<unsigned long long>(done + wrong), buffer_[wrong],
                         file.value[done + wrong]);
            FUZZ_CHECK(wrong == *got);
        }
        if (*got == 0) {
            FUZZ_CHECK(done >= file.min_size);
            break;
        }
        done += *got;
    }
    toro::close(*fd);
}

// Changes what the image already holds: its structures are the hostile part.
void mutate_image(const Walk& walk, std::uint8_t* buffer) {
    bool ours = std::strncmp(walk.first_file, "/fuzz", 5) == 0;
    if (walk.first_file[0] != '\0' && !ours) {
        toro::Result<int> fd = toro::open(walk.first_file, toro::kOpenReadWrite | toro::kOpenNoFollow);
        if (fd.ok()) {
            fill_pattern(buffer, 3000, 1000, 0);
            toro::Result<std::size_t> written = toro::pwrite(*fd, buffer, 3000, 1000);
            if (written.ok()) FUZZ_CHECK(*written <= 3000);
            toro::fsync(*fd);
            toro::close(*fd);
        }
        toro::truncate(walk.first_file, 10);
        toro::rename(walk.first_file, "/fuzz_moved");
        toro::unlink("/fuzz_moved");
    }
    ours = std::strncmp(walk.first_directory, "/fuzz", 5) == 0;
    if (walk.first_directory[0] != '\0' && !ours) {
        toro::rename(walk.first_directory, "/fuzz_directory");
        toro::mkdir("/fuzz_directory/new");
        toro::rmdir("/fuzz_directory/new");
        toro::rmdir("/fuzz_directory");
    }
}

// The harness's own files, each call through the model.
void build_files(Model* model, std::uint8_t* buffer) {
    char target[200];
    for (std::size_t i = 0; i < sizeof target - 1; ++i) target[i] = static_cast<char>('a' + i % 26);
    target[sizeof target - 1] = '\0';

    // The root's entries first: the root is the one directory of the image
    // changed from here on, and a corrupt bitmap may have handed one of its
    // blocks to a file below, which an entry added later would overwrite.
    toro::mkdir("/fuzz");
    model->create("/fuzz_new");
    model->create("/fuzz/a");
    model->write("/fuzz/a", 5000, 0);
    model->write("/fuzz/a", 1, 300 * 1024);  // sparse: past the direct blocks
    model->rename("/fuzz/a", "/fuzz/b");
    model->truncate("/fuzz/b", 4000);
    model->link("/fuzz/b", "/fuzz/c");
    model->write("/fuzz/c", 2000, 3000);  // through the link, past the end
    toro::symlink("short", "/fuzz/fast");
    toro::symlink(target, "/fuzz/slow");  // longer than 60 bytes: a block of its own
    toro::Result<std::size_t> length = toro::readlink("/fuzz/slow", reinterpret_cast<char*>(buffer), kChunkBytes);
    if (length.ok()) FUZZ_CHECK(*length <= kChunkBytes);
    model->unlink("/fuzz/b");
    for (const char* path : {"/fuzz/fast", "/fuzz/slow"}) toro::unlink(path);
    model->write("/fuzz_new", 20000, 0);  // past the direct blocks of 1 KiB
    model->write("/fuzz_new", 1000, 500);  // within a block: read, modify, write
    toro::sync();
}

// One input, from mount to the last unmount.
void run_input(Model* model, char* path, std::uint8_t* buffer) {
    if (toro::mount("/", toro::disk(0), toro::ext2_file_system) != toro::Error::kOk) return;
    Walk* walk = toro::make<Walk>(path, buffer);
    FUZZ_CHECK(walk != nullptr);
    path[0] = '/';
    path[1] = '\0';
    toro::Stat root{};
    toro::stat("/", &root);
    walk->directory(1, 0, root.inode);
    mutate_image(*walk, buffer);
    toro::destroy(walk);
    build_files(model, buffer);
    model->check();
    toro::Error unmounted = toro::unmount("/");
    FUZZ_CHECK(unmounted != toro::Error::kBusy && unmounted != toro::Error::kInvalid);
    // What the driver wrote must read back (and unmount) as safely; the
    // files as they were, unless writing them back failed.
    if (toro::mount("/", toro::disk(0), toro::ext2_file_system) != toro::Error::kOk) return;
    if (unmounted == toro::Error::kOk) model->check();
    Walk again(path, buffer);
    path[1] = '\0';
    again.directory(1, kMaxDepth - 1, root.inode);
    unmounted = toro::unmount("/");
    FUZZ_CHECK(unmounted != toro::Error::kBusy && unmounted != toro::Error::kInvalid);
}

// Where the two threads an input crosses run. Each input crosses between
// libFuzzer's thread and the machine's CPU thread twice: on two host CPUs
// every crossing is a cross-CPU wakeup, which in a VM costs an IPI and its
// exit; on one CPU it is a switch (20,000 inputs in 4.8 s instead of 7.1).
// So both are pinned to the CPU libFuzzer's thread is on. A pinned pair
// cannot leave a CPU that other work has taken, though: every kPinPeriod
// inputs both are let loose (the process's own CPUs) for kLooseInputs
// inputs, in which the host's scheduler places them where there is room,
// and then pinned again where libFuzzer's thread went.
class ThreadPlacement {
public:
    // The machine's CPU thread, before it takes its first input.
    void set_machine_thread(pthread_t thread) { machine_thread_.store(thread); }

    // libFuzzer's thread, before each input (the machine is waiting).
    void before_input() {
        // The CPUs the process may use, read before anything is pinned.
        if (inputs_ == 0 && sched_getaffinity(0, sizeof allowed_, &allowed_) != 0) return;
        std::uint64_t phase = inputs_++ % kPinPeriod;
        if (phase == 0) {
            place(allowed_);
            return;
        }
        if (phase != kLooseInputs) return;
        int here = sched_getcpu();
        if (here < 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(here, &one);
        place(one);
    }

private:
    static constexpr std::uint64_t kPinPeriod = 8192;  // about two seconds
    static constexpr std::uint64_t kLooseInputs = 64;

    void place(const cpu_set_t& cpus) {
        pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
        pthread_t machine = machine_thread_.load();
        if (machine != pthread_t{}) pthread_setaffinity_np(machine, sizeof cpus, &cpus);
    }

    std::uint64_t inputs_ = 0;
    cpu_set_t allowed_{};
    std::atomic<pthread_t> machine_thread_{};
};
ThreadPlacement thread_placement;

// The handoff between libFuzzer's thread and the machine's application
// thread. The application blocks its CPU on the host condition variable
// between inputs: the machine has nothing else to run. Never destroyed: the
// machine still runs when libFuzzer calls exit().
struct Server {
    std::mutex lock;
    std::condition_variable changed;
    bool input_waiting = false;  // set by LLVMFuzzerTestOneInput, taken by the kernel
    bool input_done = false;
    bool stopped = false;        // the machine stopped: a panic, or a failed boot
    int status = 0;
};
Server* const server = new Server;
Model model;

// What the allocator holds for the kernel between inputs.
struct Baseline {
    std::size_t objects, large_bytes, page_bytes;
};
Baseline memory_baseline() {
    toro::MemoryStats stats = toro::memory_stats();
    return {stats.objects_in_use, stats.large_bytes_in_use, stats.page_bytes_in_use};
}

int serve_inputs() {
    auto* path = static_cast<char*>(toro::allocate(kPathBytes));
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kChunkBytes));
    FUZZ_CHECK(path != nullptr && buffer != nullptr);
    // The disk's bookkeeping is made on first use, and kept.
    FUZZ_CHECK(toro::disk(0) != nullptr);
    thread_placement.set_machine_thread(pthread_self());
    Baseline baseline = memory_baseline();
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(server->lock);
            server->changed.wait(lock, [] { return server->input_waiting; });
            server->input_waiting = false;
        }
        model.reset(buffer);
        run_input(&model, path, buffer);
        Baseline now = memory_baseline();
        if (now.objects != baseline.objects || now.large_bytes != baseline.large_bytes ||
            now.page_bytes != baseline.page_bytes) {
            std::fprintf(stderr,
                         "ext2_fuzz: the input left memory behind: %zu objects, %zu large "
                         "bytes, %zu page bytes in use (baseline %zu, %zu, %zu)\n",
                         now.objects, now.large_bytes, now.page_bytes, baseline.objects,
                         baseline.large_bytes, baseline.page_bytes);
            std::abort();
        }
        {
            std::lock_guard<std::mutex> lock(server->lock);
            server->input_done = true;
        }
        server->changed.notify_all();
    }
}

void boot_machine() {
    std::thread([] {
        hal_posix::MachineConfig config;
        config.program = "ext2_fuzz";
        config.cpus = 1;
        config.memory_bytes = kMachineMemory;
        config.disks.push_back(hal_posix::DiskConfig{.device = &input_disk});
        int status = hal_posix::run_machine(config);
        {
            std::lock_guard<std::mutex> lock(server->lock);
            server->stopped = true;
            server->status = status;
        }
        server->changed.notify_all();
    }).detach();
}

}  // namespace

int toro_main(int, char**) { return serve_inputs(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool booted = false;
    if (!booted) {
        boot_machine();
        booted = true;
    }
    if (size > kMaxImageBytes) size = kMaxImageBytes;
    thread_placement.before_input();
    std::unique_lock<std::mutex> lock(server->lock);
    input_disk.load(data, size);
    server->input_waiting = true;
    server->input_done = false;
    server->changed.notify_all();
    server->changed.wait(lock, [] { return server->input_done || server->stopped; });
    if (server->stopped) {
        // serve_inputs never returns: a kernel panic or a failed boot.
        std::fprintf(stderr, "ext2_fuzz: the machine stopped with status %d (a kernel panic?)\n",
                     server->status);
        std::abort();
    }
    return 0;
}
