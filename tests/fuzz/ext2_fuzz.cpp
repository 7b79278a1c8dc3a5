// libFuzzer target: the input is an ext2 disk image.
//
// Each input boots a hosted machine (1 CPU, 32 MiB) in this process with
// the bytes as its memory disk 0. The application mounts it read-write at
// "/", walks every entry (readdir, lstat, stat, read, readlink), mutates
// the tree (mkdir, create, write, sparse write, rename, link, symlink,
// truncate, unlink, rmdir, on new entries and on ones the image already
// had), unmounts, then mounts again and reads the root back. Every error
// is an acceptable answer to a hostile image; a crash, a sanitizer report,
// a kernel panic, a hang or a broken API contract (checked below) is a bug.
//
// Reproduce a crash: build-fuzz/tests/fuzz/ext2_fuzz crash-XXXX
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "hal_posix/machine.h"
#include "toro/app.h"
#include "toro/ext2.h"
#include "toro/fs.h"
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
constexpr std::size_t kMachineMemory = 32u << 20;
// Bounds on one walk, so that a hostile image cannot turn into a timeout
// through sheer size (a sparse file of 2^40 bytes, a million entries).
constexpr unsigned kMaxDepth = 16;
constexpr unsigned kMaxEntries = 1000;
constexpr std::uint64_t kMaxReadBytes = 256 * 1024;  // per file, from its start
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
    toro::stat(path_, &followed);
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

// Writes `length` bytes of a pattern at `offset` of `path` (created if need be).
void write_file(const char* path, std::uint8_t* buffer, std::size_t length, std::uint64_t offset) {
    toro::Result<int> fd = toro::open(path, toro::kOpenReadWrite | toro::kOpenCreate);
    if (!fd.ok()) return;
    for (std::size_t i = 0; i < length; ++i) buffer[i] = static_cast<std::uint8_t>(i * 131 + 7);
    toro::Result<std::size_t> written = toro::pwrite(*fd, buffer, length, offset);
    if (written.ok()) FUZZ_CHECK(*written <= length);
    toro::fsync(*fd);
    toro::close(*fd);
}

void mutate(const Walk& walk, std::uint8_t* buffer) {
    char target[200];
    for (std::size_t i = 0; i < sizeof target - 1; ++i) target[i] = static_cast<char>('a' + i % 26);
    target[sizeof target - 1] = '\0';

    toro::mkdir("/fuzz");
    write_file("/fuzz/a", buffer, 5000, 0);
    write_file("/fuzz/a", buffer, 1, 300 * 1024);  // sparse: past the direct blocks
    toro::rename("/fuzz/a", "/fuzz/b");
    toro::truncate("/fuzz/b", 100);
    toro::link("/fuzz/b", "/fuzz/c");
    toro::symlink("short", "/fuzz/fast");
    toro::symlink(target, "/fuzz/slow");  // longer than 60 bytes: a block of its own
    toro::Result<std::size_t> length = toro::readlink("/fuzz/slow", reinterpret_cast<char*>(buffer), kChunkBytes);
    if (length.ok()) FUZZ_CHECK(*length <= kChunkBytes);
    for (const char* path : {"/fuzz/b", "/fuzz/c", "/fuzz/fast", "/fuzz/slow"}) toro::unlink(path);
    toro::rmdir("/fuzz");

    // What the image already holds: its structures are the hostile part.
    if (walk.first_file[0] != '\0') {
        write_file(walk.first_file, buffer, 3000, 1000);
        toro::truncate(walk.first_file, 10);
        toro::rename(walk.first_file, "/fuzz_moved");
        toro::unlink("/fuzz_moved");
    }
    if (walk.first_directory[0] != '\0') {
        toro::rename(walk.first_directory, "/fuzz_directory");
        toro::mkdir("/fuzz_directory/new");
        toro::rmdir("/fuzz_directory/new");
        toro::rmdir("/fuzz_directory");
    }
    write_file("/fuzz_new", buffer, kChunkBytes, 0);
    toro::sync();
}

int fuzz_main() {
    auto* path = static_cast<char*>(toro::allocate(kPathBytes));
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kChunkBytes));
    auto* walk = path && buffer ? toro::make<Walk>(path, buffer) : nullptr;
    if (walk != nullptr &&
        toro::mount("/", toro::disk(0), toro::ext2_file_system) == toro::Error::kOk) {
        path[0] = '/';
        path[1] = '\0';
        toro::Stat root{};
        toro::stat("/", &root);
        walk->directory(1, 0, root.inode);
        mutate(*walk, buffer);
        toro::unmount("/");
        // What the driver wrote must read back (and unmount) as safely.
        if (toro::mount("/", toro::disk(0), toro::ext2_file_system) == toro::Error::kOk) {
            Walk again(path, buffer);
            path[1] = '\0';
            again.directory(1, kMaxDepth - 1, root.inode);
            toro::unmount("/");
        }
    }
    toro::destroy(walk);
    toro::free(buffer);
    toro::free(path);
    return 0;
}

}  // namespace

int toro_main(int, char**) { return fuzz_main(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::vector<std::uint8_t> image;
    if (size > kMaxImageBytes) size = kMaxImageBytes;
    std::size_t padded = (size + kSectorBytes - 1) / kSectorBytes * kSectorBytes;
    image.assign(data, data + size);
    image.resize(padded, 0);

    hal_posix::MachineConfig config;
    config.program = "ext2_fuzz";
    config.cpus = 1;
    config.memory_bytes = kMachineMemory;
    config.disks.push_back(hal_posix::DiskConfig{.memory = &image});
    int status = hal_posix::run_machine(config);
    if (status != 0) {
        // fuzz_main returns 0: anything else is a panic or a failed boot.
        std::fprintf(stderr, "ext2_fuzz: the machine stopped with status %d (a kernel panic?)\n",
                     status);
        std::abort();
    }
    return 0;
}
