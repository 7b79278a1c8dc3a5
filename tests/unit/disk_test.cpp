// The Devices unit's disks over hosted memory and file disks.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "faulty_disk.h"
#include "kernel_harness.h"
#include "toro/disk.h"
#include "toro/memory.h"
#include "toro/thread.h"

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

toro_test::MachineShape with_device(hal::BlockDevice* device) {
    toro_test::MachineShape shape;
    hal_posix::DiskConfig disk;
    disk.device = device;
    shape.disks.push_back(disk);
    return shape;
}

TEST(Disk, AMediumErrorReachesTheCallerAsEioAndSparesTheRest) {
    std::vector<std::uint8_t> medium(256 * 512, 0x5a);
    toro_test::FaultyDisk device(&medium);
    device.fail_reads(100, 1);
    device.fail_writes(200, 1);
    int code = toro_test::boot(with_device(&device), [&](int, char**) {
        toro::Disk* disk = toro::disk(0);
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(128 * 512));
        std::memset(buffer, 0, 128 * 512);
        EXPECT_EQ(disk->read(96, 8, buffer), toro::Error::kIo);
        EXPECT_EQ(disk->read(0, 100, buffer), toro::Error::kOk);
        EXPECT_EQ(buffer[99 * 512], 0x5a);
        // A large read fails at the bad request, and says so.
        EXPECT_EQ(disk->read(0, 128, buffer), toro::Error::kIo);
        std::memset(buffer, 0xc3, 512);
        EXPECT_EQ(disk->write(200, 1, buffer), toro::Error::kIo);
        EXPECT_EQ(disk->write(201, 1, buffer), toro::Error::kOk);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(device.failures(), 3u);
    EXPECT_EQ(medium[200 * 512], 0x5a);
    EXPECT_EQ(medium[201 * 512], 0xc3);
}

TEST(Disk, AnAnswerFromAnotherThreadWakesTheSleepingCaller) {
    std::vector<std::uint8_t> medium(64 * 512);
    for (std::size_t i = 0; i < medium.size(); ++i) medium[i] = static_cast<std::uint8_t>(i / 512);
    toro_test::FaultyDisk device(&medium);
    device.answer(toro_test::FaultyDisk::Answer::kLater, 20);
    int code = toro_test::boot(with_device(&device), [&](int, char**) {
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(8 * 512));
        EXPECT_EQ(toro::disk(0)->read(8, 8, buffer), toro::Error::kOk);
        EXPECT_EQ(buffer[0], 8);
        EXPECT_EQ(buffer[7 * 512], 15);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(device.cancels(), 0u);
}

TEST(Disk, ARequestNeverAnsweredIsWithdrawnAtTheTimeoutAndTheDiskStaysUsable) {
    std::vector<std::uint8_t> medium(64 * 512, 0x77);
    toro_test::FaultyDisk device(&medium);
    device.answer(toro_test::FaultyDisk::Answer::kNever);
    int code = toro_test::boot(with_device(&device), [&](int, char**) {
        toro::Disk* disk = toro::disk(0);
        disk->set_request_timeout(50'000'000);
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(512));
        std::uint64_t start = toro::now_ns();
        EXPECT_EQ(disk->read(0, 1, buffer), toro::Error::kIo);
        EXPECT_GE(toro::now_ns() - start, 50'000'000u);
        EXPECT_EQ(device.cancels(), 1u);
        // A slow answer inside the timeout is waited for, not withdrawn.
        device.answer(toro_test::FaultyDisk::Answer::kLater, 10);
        disk->set_request_timeout(10'000'000'000);
        EXPECT_EQ(disk->read(0, 1, buffer), toro::Error::kOk);
        EXPECT_EQ(buffer[0], 0x77);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(device.cancels(), 1u);
}

// The longest timeout there is (no deadline) waits for a slow answer
// rather than wrapping around into the past and withdrawing it at once.
TEST(Disk, TheLongestRequestTimeoutWaitsForASlowAnswer) {
    std::vector<std::uint8_t> medium(64 * 512, 0x5c);
    toro_test::FaultyDisk device(&medium);
    device.answer(toro_test::FaultyDisk::Answer::kLater, 20);
    int code = toro_test::boot(with_device(&device), [&](int, char**) {
        toro::Disk* disk = toro::disk(0);
        disk->set_request_timeout(~std::uint64_t{0});
        auto* buffer = static_cast<std::uint8_t*>(toro::allocate(512));
        EXPECT_EQ(disk->read(3, 1, buffer), toro::Error::kOk);
        EXPECT_EQ(buffer[0], 0x5c);
        toro::free(buffer);
        return 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(device.cancels(), 0u);
}

}  // namespace
