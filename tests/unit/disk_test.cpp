// The Devices unit's disks over hosted memory and file disks.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel_harness.h"
#include "toro/disk.h"
#include "toro/memory.h"

namespace {

toro_test::MachineShape with_memory_disk(std::vector<std::uint8_t>* bytes, bool read_only = false) {
    toro_test::MachineShape shape;
    hal_posix::DiskConfig disk;
    disk.memory = bytes;
    disk.read_only = read_only;
    shape.disks.push_back(disk);
    return shape;
}

TEST(Disk, ReadsAndWritesSectorsOfAMemoryDisk) {
    std::vector<std::uint8_t> medium(64 * 512, 0);
    for (std::size_t i = 0; i < medium.size(); ++i) medium[i] = static_cast<std::uint8_t>(i * 7);
    int code = toro_test::boot(with_memory_disk(&medium), [&](int, char**) {
        EXPECT_EQ(toro::disk_count(), 1u);
        toro::Disk* disk = toro::disk(0);
        EXPECT_EQ(disk->sector_count(), 64u);
        EXPECT_EQ(disk->sector_size(), 512u);
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(4096));
        EXPECT_EQ(disk->read(3, 2, buffer), toro::Error::kOk);
        EXPECT_EQ(std::memcmp(buffer, medium.data() + 3 * 512, 1024), 0);
        std::memset(buffer, 0xab, 4096);
        EXPECT_EQ(disk->write(60, 4, buffer), toro::Error::kOk);
        EXPECT_EQ(disk->flush(), toro::Error::kOk);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(medium[60 * 512], 0xab);
    EXPECT_EQ(medium.back(), 0xab);
}

TEST(Disk, RefusesTransfersPastTheEndMisalignedOrToAReadOnlyMedium) {
    std::vector<std::uint8_t> medium(16 * 512, 0x11);
    int code = toro_test::boot(with_memory_disk(&medium, true), [&](int, char**) {
        toro::Disk* disk = toro::disk(0);
        EXPECT_TRUE(disk->read_only());
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(8192));
        EXPECT_EQ(disk->read(15, 2, buffer), toro::Error::kRange);
        EXPECT_EQ(disk->read(~std::uint64_t{0}, 1, buffer), toro::Error::kRange);
        EXPECT_EQ(disk->read(0, 1, buffer + 1), toro::Error::kInvalid);
        EXPECT_EQ(disk->write(0, 1, buffer), toro::Error::kReadOnly);
        EXPECT_EQ(toro::disk(1), nullptr);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(medium[0], 0x11);
}

TEST(Disk, SplitsTransfersLargerThanOneRequest) {
    std::vector<std::uint8_t> medium(8192 * 512);  // 4 MiB: more than one 1 MiB request
    for (std::size_t i = 0; i < medium.size(); i += 512) medium[i] = static_cast<std::uint8_t>(i / 512);
    int code = toro_test::boot(with_memory_disk(&medium), [&](int, char**) {
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(medium.size()));
        EXPECT_EQ(toro::disk(0)->read(0, 8192, buffer), toro::Error::kOk);
        EXPECT_EQ(std::memcmp(buffer, medium.data(), medium.size()), 0);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
