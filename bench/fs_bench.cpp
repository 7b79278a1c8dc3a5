// Filesystem unit: creating and then stating 10,000 small files, through
// toro/fs.h on ext2 (a memory disk, write-back included by a final sync),
// beside the same calls on the host's own filesystem under /tmp.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ext2_image.h"
#include "kernel_harness.h"
#include "toro/ext2.h"
#include "toro/fs.h"

namespace {

constexpr int kFiles = 10000;
constexpr char kContent[100] = "a small file of one hundred bytes";

void create_stat_toro(benchmark::State& state) {
    std::vector<std::uint8_t> image = toro_test::make_ext2_image(64 << 20, "-b 4096 -N 16384");
    if (image.empty()) return state.SkipWithError("mke2fs failed");
    toro_test::MachineShape shape;
    shape.memory_bytes = 256u << 20;
    hal_posix::DiskConfig disk;
    disk.memory = &image;
    shape.disks.push_back(disk);
    toro_test::boot(shape, [&](int, char**) {
        if (toro::mount("/", toro::disk(0), toro::ext2_file_system) != toro::Error::kOk) {
            state.SkipWithError("mount failed");
            return 1;
        }
        char path[64];
        for (auto _ : state) {
            toro::Error made = toro::mkdir("/d");  // there from the last iteration on
            if (made != toro::Error::kOk && made != toro::Error::kExists) return state.SkipWithError("mkdir"), 1;
            for (int i = 0; i < kFiles; ++i) {
                std::snprintf(path, sizeof path, "/d/file%05d", i);
                auto fd = toro::open(path, toro::kOpenWrite | toro::kOpenCreate);
                if (!fd.ok()) return state.SkipWithError("create failed"), 1;
                bool written = toro::write(*fd, kContent, sizeof kContent).ok();
                if (toro::close(*fd) != toro::Error::kOk || !written) return state.SkipWithError("write"), 1;
            }
            toro::Stat status{};
            for (int i = 0; i < kFiles; ++i) {
                std::snprintf(path, sizeof path, "/d/file%05d", i);
                if (toro::stat(path, &status) != toro::Error::kOk) return state.SkipWithError("stat"), 1;
            }
            if (toro::sync() != toro::Error::kOk) return state.SkipWithError("sync"), 1;
        }
        return toro::unmount("/") == toro::Error::kOk ? 0 : 1;
    });
    state.SetItemsProcessed(state.iterations() * kFiles);
}

void create_stat_baseline(benchmark::State& state) {
    char directory[] = "/tmp/toro-bench-XXXXXX";
    if (mkdtemp(directory) == nullptr) return state.SkipWithError("mkdtemp failed");
    std::string base = std::string(directory) + "/d";
    char path[128];
    for (auto _ : state) {
        mkdir(base.c_str(), 0755);
        for (int i = 0; i < kFiles; ++i) {
            std::snprintf(path, sizeof path, "%s/file%05d", base.c_str(), i);
            int fd = open(path, O_WRONLY | O_CREAT, 0644);
            if (fd < 0) return state.SkipWithError("create failed");
            if (write(fd, kContent, sizeof kContent) < 0) state.SkipWithError("write failed");
            close(fd);
        }
        struct stat status {};
        for (int i = 0; i < kFiles; ++i) {
            std::snprintf(path, sizeof path, "%s/file%05d", base.c_str(), i);
            if (stat(path, &status) != 0) return state.SkipWithError("stat failed");
        }
    }
    for (int i = 0; i < kFiles; ++i) {
        std::snprintf(path, sizeof path, "%s/file%05d", base.c_str(), i);
        unlink(path);
    }
    rmdir(base.c_str());
    rmdir(directory);
    state.SetItemsProcessed(state.iterations() * kFiles);
}

}  // namespace

BENCHMARK(create_stat_toro)->Name("fs_create_stat_10k/toro")->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(create_stat_baseline)->Name("fs_create_stat_10k/baseline")->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
