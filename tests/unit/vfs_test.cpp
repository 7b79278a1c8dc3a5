// The VFS API (toro/fs.h) over ext2 on a memory disk: POSIX error codes,
// open-file semantics, and a filesystem e2fsck calls clean afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "ext2_image.h"
#include "faulty_disk.h"
#include "kernel_harness.h"
#include "toro/ext2.h"
#include "toro/fs.h"
#include "toro/print.h"
#include "toro/thread.h"

namespace {

using toro::Error;

class Vfs : public ::testing::Test {
protected:
    void SetUp() override {
        image_ = toro_test::make_ext2_image(4 << 20, "-b 1024");
        ASSERT_FALSE(image_.empty()) << "mke2fs failed (is e2fsprogs installed?)";
    }

    // Boots with the image as disk 0 mounted at "/", runs `body`, unmounts.
    void run(const std::function<void()>& body, bool read_only = false) {
        hal_posix::DiskConfig disk;
        disk.memory = &image_;
        disk.read_only = read_only;
        run_mounted(disk, body);
    }

    // The same with a device of the test's own in front of the image.
    void run_on(toro_test::FaultyDisk* device, const std::function<void()>& body) {
        hal_posix::DiskConfig disk;
        disk.device = device;
        run_mounted(disk, body);
    }

    static void run_mounted(const hal_posix::DiskConfig& disk, const std::function<void()>& body) {
        toro_test::MachineShape shape;
        shape.disks.push_back(disk);
        int code = toro_test::boot(shape, [&](int, char**) {
            EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
            body();
            EXPECT_EQ(toro::unmount("/"), Error::kOk);
            return 0;
        });
        EXPECT_EQ(code, 0);
    }

    void expect_clean() {
        std::string report;
        EXPECT_EQ(toro_test::check_ext2_image(image_, &report), 0) << report;
    }

    std::vector<std::uint8_t> image_;
};

void write_file(const char* path, const std::string& content) {
    auto fd = toro::open(path, toro::kOpenWrite | toro::kOpenCreate | toro::kOpenTruncate);
    ASSERT_TRUE(fd.ok()) << toro::error_message(fd.error());
    auto written = toro::write(*fd, content.data(), content.size());
    EXPECT_TRUE(written.ok());
    EXPECT_EQ(toro::close(*fd), Error::kOk);
}

std::string read_file(const char* path) {
    auto fd = toro::open(path, toro::kOpenRead);
    if (!fd.ok()) return std::string("error: ") + toro::error_message(fd.error());
    std::string content;
    char buffer[512];
    for (;;) {
        auto got = toro::read(*fd, buffer, sizeof buffer);
        if (!got.ok() || *got == 0) break;
        content.append(buffer, *got);
    }
    (void)toro::close(*fd);
    return content;
}

TEST_F(Vfs, GivesPosixErrorsForBadPaths) {
    run([] {
        toro::Stat status{};
        EXPECT_EQ(toro::stat("/missing", &status), Error::kNoEntry);
        EXPECT_EQ(toro::open("/missing", toro::kOpenRead).error(), Error::kNoEntry);
        EXPECT_EQ(toro::stat("relative", &status), Error::kInvalid);
        EXPECT_EQ(toro::mkdir("/d"), Error::kOk);
        EXPECT_EQ(toro::mkdir("/d"), Error::kExists);
        EXPECT_EQ(toro::mkdir("/x/y"), Error::kNoEntry);
        write_file("/d/f", "data");
        EXPECT_EQ(toro::stat("/d/f/g", &status), Error::kNotDirectory);
        EXPECT_EQ(toro::rmdir("/d"), Error::kNotEmpty);
        EXPECT_EQ(toro::rmdir("/d/f"), Error::kNotDirectory);
        EXPECT_EQ(toro::unlink("/d"), Error::kIsDirectory);
        EXPECT_EQ(toro::open("/d", toro::kOpenWrite).error(), Error::kIsDirectory);
        EXPECT_EQ(toro::open("/d/f", toro::kOpenRead | toro::kOpenDirectory).error(), Error::kNotDirectory);
        EXPECT_EQ(toro::open("/d/f", toro::kOpenCreate | toro::kOpenExclusive | toro::kOpenWrite).error(),
                  Error::kExists);
        std::string long_name = "/" + std::string(256, 'n');
        EXPECT_EQ(toro::mkdir(long_name.c_str()), Error::kNameTooLong);
        EXPECT_EQ(toro::mkdir(("/" + std::string(255, 'n')).c_str()), Error::kOk);
        EXPECT_EQ(toro::rename("/d", "/d/inside"), Error::kInvalid);
        EXPECT_EQ(toro::close(99), Error::kBadDescriptor);
    });
    expect_clean();
}

TEST_F(Vfs, FollowsSymlinksAndStopsLoops) {
    run([] {
        EXPECT_EQ(toro::mkdir("/real"), Error::kOk);
        write_file("/real/file", "through the link");
        EXPECT_EQ(toro::symlink("real", "/relative"), Error::kOk);
        EXPECT_EQ(toro::symlink("/real/file", "/absolute"), Error::kOk);
        EXPECT_EQ(read_file("/relative/file"), "through the link");
        EXPECT_EQ(read_file("/absolute"), "through the link");
        toro::Stat status{};
        EXPECT_EQ(toro::lstat("/absolute", &status), Error::kOk);
        EXPECT_EQ(status.type, toro::FileType::kSymlink);
        EXPECT_EQ(toro::stat("/absolute", &status), Error::kOk);
        EXPECT_EQ(status.type, toro::FileType::kRegular);
        char target[64];
        auto length = toro::readlink("/absolute", target, sizeof target);
        ASSERT_TRUE(length.ok());
        EXPECT_EQ(std::string(target, *length), "/real/file");
        EXPECT_EQ(toro::symlink("/loop_b", "/loop_a"), Error::kOk);
        EXPECT_EQ(toro::symlink("/loop_a", "/loop_b"), Error::kOk);
        EXPECT_EQ(toro::open("/loop_a", toro::kOpenRead).error(), Error::kLoop);
        EXPECT_EQ(toro::open("/absolute", toro::kOpenRead | toro::kOpenNoFollow).error(), Error::kLoop);
    });
    expect_clean();
}

TEST_F(Vfs, SeeksReadsAndWritesAtOffsets) {
    run([] {
        auto fd = toro::open("/f", toro::kOpenReadWrite | toro::kOpenCreate);
        ASSERT_TRUE(fd.ok());
        EXPECT_EQ(*toro::pwrite(*fd, "world", 5, 6), 5u);
        EXPECT_EQ(*toro::pwrite(*fd, "hello", 5, 0), 5u);
        char buffer[16] = {};
        EXPECT_EQ(*toro::pread(*fd, buffer, sizeof buffer, 0), 11u);
        EXPECT_EQ(std::memcmp(buffer, "hello\0world", 11), 0);  // the gap reads as zero
        EXPECT_EQ(*toro::seek(*fd, -5, toro::Whence::kEnd), 6u);
        EXPECT_EQ(*toro::read(*fd, buffer, 3), 3u);
        EXPECT_EQ(std::memcmp(buffer, "wor", 3), 0);
        EXPECT_EQ(toro::seek(*fd, -100, toro::Whence::kCurrent).error(), Error::kInvalid);
        EXPECT_EQ(toro::ftruncate(*fd, 2), Error::kOk);
        EXPECT_EQ(*toro::pread(*fd, buffer, sizeof buffer, 0), 2u);
        EXPECT_EQ(toro::close(*fd), Error::kOk);
        auto append = toro::open("/f", toro::kOpenWrite | toro::kOpenAppend);
        EXPECT_EQ(*toro::write(*append, "++", 2), 2u);
        (void)toro::close(*append);
        EXPECT_EQ(read_file("/f"), "he++");
    });
    expect_clean();
}

TEST_F(Vfs, AnUnlinkedOpenFileLivesUntilItsLastClose) {
    run([] {
        write_file("/doomed", std::string(5000, 'x'));
        auto fd = toro::open("/doomed", toro::kOpenRead);
        ASSERT_TRUE(fd.ok());
        EXPECT_EQ(toro::unlink("/doomed"), Error::kOk);
        toro::Stat status{};
        EXPECT_EQ(toro::stat("/doomed", &status), Error::kNoEntry);
        char buffer[100];
        EXPECT_EQ(*toro::pread(*fd, buffer, sizeof buffer, 4900), 100u);
        EXPECT_EQ(buffer[0], 'x');
        EXPECT_EQ(toro::unmount("/"), Error::kBusy);
        EXPECT_EQ(toro::close(*fd), Error::kOk);
    });
    expect_clean();  // the inode and its blocks were freed at the close
}

TEST_F(Vfs, ReadsDirectoriesAndRenamesAcrossThem) {
    run([] {
        EXPECT_EQ(toro::mkdir("/a"), Error::kOk);
        EXPECT_EQ(toro::mkdir("/b"), Error::kOk);
        EXPECT_EQ(toro::mkdir("/a/sub"), Error::kOk);
        write_file("/a/file", "1");
        write_file("/b/file", "2");
        EXPECT_EQ(toro::rename("/a/file", "/b/file"), Error::kOk);  // replaces
        EXPECT_EQ(read_file("/b/file"), "1");
        EXPECT_EQ(toro::rename("/a/sub", "/b/sub"), Error::kOk);
        EXPECT_EQ(toro::link("/b/file", "/a/hard"), Error::kOk);
        toro::Stat status{};
        EXPECT_EQ(toro::stat("/a/hard", &status), Error::kOk);
        EXPECT_EQ(status.links, 2u);
        EXPECT_EQ(toro::stat("/b", &status), Error::kOk);
        EXPECT_EQ(status.links, 3u);  // ".", its entry in "/", and sub's ".."
        auto fd = toro::open("/b", toro::kOpenRead | toro::kOpenDirectory);
        std::vector<std::string> names;
        toro::DirectoryEntry entry;
        while (*toro::readdir(*fd, &entry)) names.push_back(entry.name);
        (void)toro::close(*fd);
        EXPECT_EQ(names, (std::vector<std::string>{".", "..", "file", "sub"}));
    });
    expect_clean();
}

TEST_F(Vfs, AReadOnlyDiskMountsReadOnlyAndRefusesWrites) {
    run(
        [] {
            EXPECT_EQ(toro::mkdir("/d"), Error::kReadOnly);
            EXPECT_EQ(toro::open("/f", toro::kOpenWrite | toro::kOpenCreate).error(), Error::kReadOnly);
            toro::Stat status{};
            EXPECT_EQ(toro::stat("/lost+found", &status), Error::kOk);
        },
        true);
}

TEST_F(Vfs, RefusesADiskWithoutAnExt2Superblock) {
    std::vector<std::uint8_t> zeros(1 << 20, 0);
    toro_test::MachineShape shape;
    hal_posix::DiskConfig disk;
    disk.memory = &zeros;
    shape.disks.push_back(disk);
    toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kInvalid);
        toro::Stat status{};
        EXPECT_EQ(toro::stat("/", &status), Error::kNoEntry);
        return 0;
    });
}

TEST_F(Vfs, StampsChangesWithTheTimeOfDay) {
    // The superblock last written in 2001 (s_wtime, offset 48): a kernel
    // that counted from it instead of reading the clock would show.
    std::uint32_t long_ago = 1000000000;
    std::memcpy(&image_[1024 + 48], &long_ago, sizeof long_ago);
    std::int64_t before = static_cast<std::int64_t>(std::time(nullptr));
    toro::Stat status{};
    run([&] {
        write_file("/stamped", "now");
        EXPECT_EQ(toro::stat("/stamped", &status), Error::kOk);
    });
    std::int64_t after = static_cast<std::int64_t>(std::time(nullptr));
    EXPECT_GE(status.modify_time, before);
    EXPECT_LE(status.modify_time, after);
    EXPECT_GE(status.change_time, before);
    EXPECT_LE(status.change_time, after);
}

TEST_F(Vfs, AReadErrorOfTheDiskIsEioForThatFileOnly) {
    const std::string marker(1024, 'M');
    run([&] {
        write_file("/bad", marker);
        write_file("/good", "fine");
    });
    // The sector the file's data landed in, wherever the allocator put it.
    std::size_t at = std::string(image_.begin(), image_.end()).find(marker);
    ASSERT_NE(at, std::string::npos);
    toro_test::FaultyDisk device(&image_);
    device.fail_reads(at / 512, 1);
    run_on(&device, [] {
        auto fd = toro::open("/bad", toro::kOpenRead);
        ASSERT_TRUE(fd.ok());
        char buffer[1024];
        EXPECT_EQ(toro::read(*fd, buffer, sizeof buffer).error(), Error::kIo);
        EXPECT_EQ(toro::close(*fd), Error::kOk);
        EXPECT_EQ(read_file("/good"), "fine");
    });
    EXPECT_GE(device.failures(), 1u);
    expect_clean();
}

TEST_F(Vfs, AWriteBackErrorIsEioFromSyncAndTheDataWaitsForTheNextSync) {
    toro_test::FaultyDisk device(&image_);
    const std::string content(5000, 'w');
    run_on(&device, [&] {
        write_file("/w", content);
        device.fail_writes(0, image_.size() / 512);
        EXPECT_EQ(toro::sync(), Error::kIo);
        device.fail_writes(0, 0);
        EXPECT_EQ(toro::sync(), Error::kOk);
    });
    EXPECT_GE(device.failures(), 1u);
    expect_clean();
    run([&] { EXPECT_EQ(read_file("/w"), content); });
}

// Boots `cpus` CPUs with `image` mounted at "/", runs work(cpu) in a thread
// on each CPU, then `after` once all have joined, and unmounts. Returns what
// each thread returned.
std::vector<int> run_on_every_cpu(std::vector<std::uint8_t>* image, unsigned cpus,
                                  const std::function<int(unsigned)>& work,
                                  const std::function<void()>& after = {}) {
    toro_test::MachineShape shape;
    shape.cpus = cpus;
    shape.disks.push_back({});
    shape.disks[0].memory = image;
    std::vector<int> results(cpus, -1);
    int code = toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
        std::vector<toro::Thread*> threads(cpus);
        for (unsigned t = 0; t < cpus; ++t) {
            toro::ThreadOptions options;
            options.cpu = t;
            threads[t] = toro::spawn([&work, t] { return work(t); }, options);
        }
        for (unsigned t = 0; t < cpus; ++t) results[t] = threads[t] ? toro::join(threads[t]) : -2;
        if (after) after();
        EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
    EXPECT_EQ(code, 0);
    return results;
}

// Four threads on four CPUs share one filesystem: each works in its own
// directory (writes, renames, unlinks, reads back) and all append records
// to one shared file. Every call must see a consistent filesystem, nothing
// may be lost, and the image must be clean.
namespace concurrent {

constexpr unsigned kThreads = 4, kFiles = 40;
constexpr std::size_t kRecord = 16;

std::size_t size_of(unsigned thread, unsigned file) { return (file * 997 + thread * 131) % 20000 + 1; }
std::uint8_t byte_of(unsigned thread, unsigned file, std::size_t at) {
    return static_cast<std::uint8_t>(thread * 31 + file * 7 + at * 13 + (at >> 8));
}
std::string name_of(unsigned thread, unsigned file) {
    // Every third file is renamed, every fifth removed (after the rename).
    const char* stem = file % 3 == 0 ? "r" : "f";
    return "/t" + std::to_string(thread) + "/" + stem + std::to_string(file);
}

int verify(unsigned thread, unsigned file) {
    auto fd = toro::open(name_of(thread, file).c_str(), toro::kOpenRead);
    if (!fd.ok()) return 1;
    std::vector<std::uint8_t> content(size_of(thread, file) + 1);
    auto got = toro::read(*fd, content.data(), content.size());
    (void)toro::close(*fd);
    if (!got.ok() || *got != size_of(thread, file)) return 1;
    for (std::size_t at = 0; at < *got; ++at) {
        if (content[at] != byte_of(thread, file, at)) return 1;
    }
    return 0;
}

int work(unsigned thread) {
    int failures = 0;
    std::string directory = "/t" + std::to_string(thread);
    if (toro::mkdir(directory.c_str()) != Error::kOk) return 1000;
    for (unsigned file = 0; file < kFiles; ++file) {
        std::string path = directory + "/f" + std::to_string(file);
        std::vector<std::uint8_t> content(size_of(thread, file));
        for (std::size_t at = 0; at < content.size(); ++at) content[at] = byte_of(thread, file, at);
        auto fd = toro::open(path.c_str(), toro::kOpenWrite | toro::kOpenCreate | toro::kOpenExclusive);
        if (!fd.ok()) return 1000 + static_cast<int>(file);
        auto written = toro::write(*fd, content.data(), content.size());
        failures += !written.ok() || *written != content.size();
        failures += toro::close(*fd) != Error::kOk;
        if (file % 3 == 0) failures += toro::rename(path.c_str(), name_of(thread, file).c_str()) != Error::kOk;
        if (file % 5 == 0) failures += toro::unlink(name_of(thread, file).c_str()) != Error::kOk;
        char record[kRecord + 1];
        toro::format(record, sizeof record, "%03u:%03u:........", thread, file);
        record[kRecord - 1] = '\n';
        auto shared = toro::open("/shared", toro::kOpenWrite | toro::kOpenCreate | toro::kOpenAppend);
        if (!shared.ok()) return 2000;
        auto appended = toro::write(*shared, record, kRecord);
        failures += !appended.ok() || *appended != kRecord;
        failures += toro::close(*shared) != Error::kOk;
        toro::yield();
    }
    for (unsigned file = 0; file < kFiles; ++file) {
        if (file % 5 != 0) failures += verify(thread, file);
    }
    return failures;
}

// Each thread's records appear once each, in its own order.
bool records_intact(const std::string& shared) {
    if (shared.size() != kThreads * kFiles * kRecord) return false;
    unsigned next[kThreads] = {};
    for (std::size_t at = 0; at < shared.size(); at += kRecord) {
        unsigned thread = 0, file = 0;
        if (std::sscanf(shared.c_str() + at, "%3u:%3u:", &thread, &file) != 2) return false;
        if (thread >= kThreads || file != next[thread]++ || shared[at + kRecord - 1] != '\n') return false;
    }
    return true;
}

}  // namespace concurrent

TEST(VfsOnFourCpus, ThreadsOnEveryCpuShareOneFilesystem) {
    std::vector<std::uint8_t> image = toro_test::make_ext2_image(16 << 20, "-b 1024");
    ASSERT_FALSE(image.empty());
    std::string shared;
    std::vector<int> failures = run_on_every_cpu(
        &image, concurrent::kThreads, concurrent::work, [&] { shared = read_file("/shared"); });
    for (unsigned t = 0; t < concurrent::kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
    EXPECT_TRUE(concurrent::records_intact(shared));
    std::string report;
    EXPECT_EQ(toro_test::check_ext2_image(image, &report), 0) << report;
    // A fresh boot reads every surviving file back from the disk.
    int missing = 0;
    run_on_every_cpu(&image, 1, [&](unsigned) {
        for (unsigned t = 0; t < concurrent::kThreads; ++t) {
            for (unsigned f = 0; f < concurrent::kFiles; ++f) {
                if (f % 5 != 0) missing += concurrent::verify(t, f);
            }
        }
        return 0;
    });
    EXPECT_EQ(missing, 0);
}

// Threads on four CPUs open the same new names with O_CREAT at once: the
// one that loses the race to create a name opens the winner's file (only
// O_EXCL may fail), and an unlink racing an open gives ENOENT or a file
// that stays readable until closed, never a broken filesystem.
TEST(VfsOnFourCpus, RacingCreatesAndUnlinksOfOneName) {
    std::vector<std::uint8_t> image = toro_test::make_ext2_image(8 << 20, "-b 1024");
    ASSERT_FALSE(image.empty());
    std::vector<int> failures = run_on_every_cpu(&image, 4, [](unsigned t) {
        int failed = 0;
        for (unsigned round = 0; round < 100; ++round) {
            std::string name = "/race" + std::to_string(round);
            auto fd = toro::open(name.c_str(), toro::kOpenReadWrite | toro::kOpenCreate);
            if (!fd.ok()) {
                ++failed;
                continue;
            }
            char mark = static_cast<char>('a' + t), back = 0;
            failed += !toro::pwrite(*fd, &mark, 1, t).ok();
            failed += !toro::pread(*fd, &back, 1, t).ok() || back != mark;
            // One thread unlinks while the others may still be opening.
            if (t == 0) failed += toro::unlink(name.c_str()) != Error::kOk;
            failed += toro::close(*fd) != Error::kOk;
        }
        return failed;
    });
    for (unsigned t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
    std::string report;
    EXPECT_EQ(toro_test::check_ext2_image(image, &report), 0) << report;
}

// One CPU makes and removes a directory while three others create and
// remove files in it: a create must never land in the directory after its
// rmdir (the inode is free then), whatever the interleaving.
TEST(VfsOnFourCpus, CreatesRacingTheRemovalOfTheirDirectory) {
    std::vector<std::uint8_t> image = toro_test::make_ext2_image(8 << 20, "-b 1024");
    ASSERT_FALSE(image.empty());
    std::vector<int> unexpected = run_on_every_cpu(
        &image, 4,
        [](unsigned t) {
            int odd = 0;
            std::string file = "/d/f" + std::to_string(t);
            for (unsigned round = 0; round < 300; ++round) {
                if (t == 0) {
                    Error made = toro::mkdir("/d"), removed = toro::rmdir("/d");
                    odd += made != Error::kOk && made != Error::kExists;
                    odd += removed != Error::kOk && removed != Error::kNotEmpty &&
                           removed != Error::kNoEntry;
                    continue;
                }
                auto fd = toro::open(file.c_str(), toro::kOpenWrite | toro::kOpenCreate);
                if (fd.ok()) {
                    odd += toro::close(*fd) != Error::kOk;
                    Error gone = toro::unlink(file.c_str());
                    odd += gone != Error::kOk && gone != Error::kNoEntry;
                } else {
                    odd += fd.error() != Error::kNoEntry;
                }
            }
            return odd;
        },
        [] { (void)toro::rmdir("/d"); });  // clean-up: it may be gone already
    for (unsigned t = 0; t < 4; ++t) EXPECT_EQ(unexpected[t], 0) << "thread " << t;
    std::string report;
    EXPECT_EQ(toro_test::check_ext2_image(image, &report), 0) << report;
}

// Threads on four CPUs close the same descriptors at once, round after
// round: exactly one close of each descriptor succeeds and the others get
// EBADF, and the file is released once per open (a second release would
// leave the mount's open-file count wrapped, and its unmount EBUSY). The
// race needs two CPUs inside close() on one descriptor in the same few
// instructions, so the test gives it many chances rather than a certainty.
namespace close_race {

constexpr unsigned kThreads = 4, kRounds = 300, kDescriptors = 16;

struct Shared {
    std::atomic<unsigned> round{0};     // set by thread 0 once a round's descriptors are open
    std::atomic<unsigned> finished{0};  // (thread, round) pairs done closing
    int descriptors[kDescriptors] = {};
    std::atomic<int> successes[kDescriptors] = {};
};

int close_all(Shared& shared) {
    int odd = 0;
    for (unsigned i = 0; i < kDescriptors; ++i) {
        Error closed = toro::close(shared.descriptors[i]);
        if (closed == Error::kOk) {
            shared.successes[i].fetch_add(1);
        } else if (closed != Error::kBadDescriptor) {
            ++odd;
        }
    }
    return odd;
}

int work(Shared& shared, unsigned t) {
    int odd = 0;
    for (unsigned round = 1; round <= kRounds; ++round) {
        if (t == 0) {
            for (unsigned i = 0; i < kDescriptors; ++i) {
                auto fd = toro::open("/closed", toro::kOpenRead | toro::kOpenCreate);
                if (!fd.ok()) return -1;
                shared.descriptors[i] = *fd;
                shared.successes[i].store(0);
            }
            shared.round.store(round);
        } else {
            while (shared.round.load() < round) {
            }
        }
        odd += close_all(shared);
        shared.finished.fetch_add(1);
        if (t == 0) {
            while (shared.finished.load() < round * kThreads) {
            }
            for (unsigned i = 0; i < kDescriptors; ++i) odd += shared.successes[i].load() != 1;
        }
    }
    return odd;
}

}  // namespace close_race

TEST(VfsOnFourCpus, RacingClosesOfOneDescriptorReleaseItOnce) {
    std::vector<std::uint8_t> image = toro_test::make_ext2_image(4 << 20, "-b 1024");
    ASSERT_FALSE(image.empty());
    close_race::Shared shared;
    std::vector<int> odd = run_on_every_cpu(
        &image, close_race::kThreads, [&](unsigned t) { return close_race::work(shared, t); });
    for (unsigned t = 0; t < close_race::kThreads; ++t) EXPECT_EQ(odd[t], 0) << "thread " << t;
    std::string report;
    EXPECT_EQ(toro_test::check_ext2_image(image, &report), 0) << report;
}

// One CPU mounts and unmounts a second disk at /mnt while three others
// open, read and close a file on it: each open finds the file whole or
// finds nothing (ENOENT), an unmount with the file open is EBUSY, and a
// call never reaches a filesystem that is gone.
TEST(VfsOnFourCpus, OpensRacingMountAndUnmount) {
    std::vector<std::uint8_t> root = toro_test::make_ext2_image(4 << 20, "-b 1024");
    std::vector<std::uint8_t> other = toro_test::make_ext2_image(4 << 20, "-b 1024");
    ASSERT_FALSE(root.empty() || other.empty());
    toro_test::MachineShape shape;
    shape.cpus = 4;
    shape.disks.resize(2);
    shape.disks[0].memory = &root;
    shape.disks[1].memory = &other;
    int odd[4] = {}, opened = 0, unmounted = 0;
    int code = toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
        EXPECT_EQ(toro::mkdir("/mnt"), Error::kOk);
        EXPECT_EQ(toro::mount("/mnt", toro::disk(1), toro::ext2_file_system), Error::kOk);
        write_file("/mnt/file", "on the other disk");
        EXPECT_EQ(toro::unmount("/mnt"), Error::kOk);
        std::atomic<int> opens{0}, unmounts{0};
        std::atomic<bool> done{false};
        toro::Thread* threads[4];
        for (unsigned t = 0; t < 4; ++t) {
            toro::ThreadOptions options;
            options.cpu = t;
            threads[t] = toro::spawn([&, t] {
                if (t == 0) {
                    for (unsigned round = 0; round < 200; ++round) {
                        odd[t] += toro::mount("/mnt", toro::disk(1), toro::ext2_file_system) != Error::kOk;
                        toro::sleep_ns(200000);  // long enough for the others to get in
                        Error error;
                        while ((error = toro::unmount("/mnt")) == Error::kBusy) toro::yield();
                        odd[t] += error != Error::kOk;
                        ++unmounts;
                    }
                    done = true;
                    return 0;
                }
                while (!done) {
                    auto fd = toro::open("/mnt/file", toro::kOpenRead);
                    if (!fd.ok()) {
                        odd[t] += fd.error() != Error::kNoEntry;
                        continue;
                    }
                    ++opens;
                    char text[64] = {};
                    auto got = toro::read(*fd, text, sizeof text - 1);
                    odd[t] += !got.ok() || std::string(text) != "on the other disk";
                    odd[t] += toro::close(*fd) != Error::kOk;
                }
                return 0;
            }, options);
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        opened = opens.load();
        unmounted = unmounts.load();
        EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
    EXPECT_EQ(code, 0);
    for (unsigned t = 0; t < 4; ++t) EXPECT_EQ(odd[t], 0) << "thread " << t;
    EXPECT_EQ(unmounted, 200);
    EXPECT_GT(opened, 0);  // the race was run, not missed
    std::string report;
    EXPECT_EQ(toro_test::check_ext2_image(root, &report), 0) << report;
    EXPECT_EQ(toro_test::check_ext2_image(other, &report), 0) << report;
}

// A directory big enough for ext2's in-memory name index (and for lookups
// to go through it): thousands of creates with names of every length,
// removals, renames within it and out of it, refills of the gaps. Every
// listing, lookup and miss must agree with a model, across a remount (the
// index built afresh from the disk) and under e2fsck.
// A thread resolves "/mnt/file" on one filesystem, then stalls resolving
// the link's new name (its lookup waits 300 ms for a slow disk) while
// another CPU unmounts /mnt and mounts another disk there, which takes the
// freed slot of the mount table. The link must not then land in the new
// filesystem with the old one's inode number: the mount it found is gone.
TEST(VfsOnFourCpus, ALinkFromAnUnmountedFilesystemNeverReachesTheMountInItsSlot) {
    std::vector<std::uint8_t> images[4];
    for (auto& image : images) {
        image = toro_test::make_ext2_image(2 << 20, "-b 1024");
        ASSERT_FALSE(image.empty());
    }
    toro_test::FaultyDisk slow(&images[2]);
    toro_test::MachineShape shape;
    shape.cpus = 2;
    shape.disks.resize(4);
    shape.disks[0].memory = &images[0];  // "/"
    shape.disks[1].memory = &images[1];  // /mnt first
    shape.disks[2].device = &slow;       // /slow
    shape.disks[3].memory = &images[3];  // /mnt after
    Error linked = Error::kOk;
    toro::Stat made{}, other{};
    int code = toro_test::boot(shape, [&](int, char**) {
        EXPECT_EQ(toro::mount("/", toro::disk(0), toro::ext2_file_system), Error::kOk);
        EXPECT_EQ(toro::mkdir("/mnt"), Error::kOk);
        EXPECT_EQ(toro::mkdir("/slow"), Error::kOk);
        // The same first file on both disks: the same inode number.
        EXPECT_EQ(toro::mount("/mnt", toro::disk(3), toro::ext2_file_system), Error::kOk);
        write_file("/mnt/other", "other");
        EXPECT_EQ(toro::stat("/mnt/other", &other), Error::kOk);
        EXPECT_EQ(toro::unmount("/mnt"), Error::kOk);
        EXPECT_EQ(toro::mount("/slow", toro::disk(2), toro::ext2_file_system), Error::kOk);
        EXPECT_EQ(toro::mkdir("/slow/x"), Error::kOk);
        EXPECT_EQ(toro::unmount("/slow"), Error::kOk);  // so that /slow/x is read from the disk
        EXPECT_EQ(toro::mount("/slow", toro::disk(2), toro::ext2_file_system), Error::kOk);
        EXPECT_EQ(toro::mount("/mnt", toro::disk(1), toro::ext2_file_system), Error::kOk);
        write_file("/mnt/file", "file");
        EXPECT_EQ(toro::stat("/mnt/file", &made), Error::kOk);

        unsigned requests = slow.requests();
        slow.answer(toro_test::FaultyDisk::Answer::kLater, 300);
        toro::ThreadOptions on_cpu1;
        on_cpu1.cpu = 1;
        auto link_through_the_slow_disk = [&] {
            linked = toro::link("/mnt/file", "/slow/x/../../mnt/newname");
            return 0;
        };
        toro::Thread* linker = toro::spawn(link_through_the_slow_disk, on_cpu1);
        for (int waited = 0; slow.requests() == requests && waited < 2000; ++waited) {
            toro::sleep_ms(1);
        }
        EXPECT_GT(slow.requests(), requests) << "the link's walk never reached the slow disk";
        EXPECT_EQ(toro::unmount("/mnt"), Error::kOk);
        EXPECT_EQ(toro::mount("/mnt", toro::disk(3), toro::ext2_file_system), Error::kOk);
        toro::join(linker);
        slow.answer(toro_test::FaultyDisk::Answer::kAtOnce);
        toro::Stat status{};
        EXPECT_EQ(toro::stat("/mnt/newname", &status), Error::kNoEntry);
        EXPECT_EQ(toro::unmount("/mnt"), Error::kOk);
        EXPECT_EQ(toro::unmount("/slow"), Error::kOk);
        EXPECT_EQ(toro::unmount("/"), Error::kOk);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(made.inode, other.inode);  // else the old code's link would fail anyway
    EXPECT_NE(linked, Error::kOk);
    for (auto& image : images) {
        std::string report;
        EXPECT_EQ(toro_test::check_ext2_image(image, &report), 0) << report;
    }
}

TEST_F(Vfs, ABigDirectoryAgreesWithAModelThroughCreatesRemovesAndRenames) {
    image_ = toro_test::make_ext2_image(16 << 20, "-b 1024");
    ASSERT_FALSE(image_.empty());
    std::set<std::string> model;
    auto name_of = [](unsigned i) {
        return std::string("/big/") + std::to_string(i) + "-" + std::string(i % 200, 'n');
    };
    auto agree = [&] {
        std::set<std::string> listed;
        auto fd = toro::open("/big", toro::kOpenRead | toro::kOpenDirectory);
        EXPECT_TRUE(fd.ok());
        toro::DirectoryEntry entry{};
        while (fd.ok() && *toro::readdir(*fd, &entry)) {
            std::string name = entry.name;
            if (name != "." && name != "..") listed.insert("/big/" + name);
        }
        if (fd.ok()) (void)toro::close(*fd);
        EXPECT_EQ(listed, model);
        toro::Stat status{};
        unsigned wrong = 0;
        for (const std::string& name : model) wrong += toro::stat(name.c_str(), &status) != Error::kOk;
        for (unsigned i = 0; i < 3500; i += 7) {
            if (model.count(name_of(i)) == 0) wrong += toro::stat(name_of(i).c_str(), &status) != Error::kNoEntry;
        }
        EXPECT_EQ(wrong, 0u);
    };
    run([&] {
        EXPECT_EQ(toro::mkdir("/big"), Error::kOk);
        EXPECT_EQ(toro::mkdir("/elsewhere"), Error::kOk);
        for (unsigned i = 0; i < 3000; ++i) {
            write_file(name_of(i).c_str(), "");
            model.insert(name_of(i));
        }
        for (unsigned i = 0; i < 3000; i += 3) {
            EXPECT_EQ(toro::unlink(name_of(i).c_str()), Error::kOk);
            model.erase(name_of(i));
        }
        for (unsigned i = 1; i < 3000; i += 5) {
            if (i % 3 == 0) continue;  // removed above
            std::string to = i % 2 ? name_of(i + 10000) : "/elsewhere/" + std::to_string(i);
            EXPECT_EQ(toro::rename(name_of(i).c_str(), to.c_str()), Error::kOk);
            model.erase(name_of(i));
            if (i % 2) model.insert(to);
        }
        for (unsigned i = 3000; i < 3500; ++i) {  // into the gaps
            write_file(name_of(i).c_str(), "x");
            model.insert(name_of(i));
        }
        EXPECT_EQ(toro::open(name_of(3001).c_str(), toro::kOpenWrite | toro::kOpenCreate |
                                                        toro::kOpenExclusive).error(),
                  Error::kExists);
        agree();
    });
    expect_clean();
    run(agree);
}

}  // namespace
