// hal::random (hal/random.h): unpredictable draws from the host, and with
// a seed the same sequence on every boot.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "hal/random.h"
#include "kernel_harness.h"
#include "toro/toro.h"

namespace {

// What a machine draws: 8 values, 13 bytes (a partial word), one more value.
struct Draws {
    std::vector<std::uint64_t> values;
    std::vector<std::uint8_t> bytes;
};

Draws draw_on_a_machine(std::optional<std::uint64_t> seed) {
    Draws draws;
    toro_test::MachineShape shape;
    shape.seed = seed;
    int status = toro_test::boot(shape, [&](int, char**) {
        for (int i = 0; i < 8; ++i) draws.values.push_back(hal::random_u64());
        draws.bytes.resize(13);
        hal::random_fill(draws.bytes.data(), draws.bytes.size());
        draws.values.push_back(hal::random_u64());
        return 0;
    });
    EXPECT_EQ(status, 0);
    return draws;
}

std::size_t distinct(const std::vector<std::uint64_t>& values) {
    return std::set<std::uint64_t>(values.begin(), values.end()).size();
}

TEST(Random, MachinesWithTheSameSeedDrawTheSameSequence) {
    Draws first = draw_on_a_machine(42), second = draw_on_a_machine(42);
    EXPECT_EQ(first.values, second.values);
    EXPECT_EQ(first.bytes, second.bytes);
    EXPECT_EQ(distinct(first.values), first.values.size());
}

TEST(Random, DifferentSeedsDrawDifferentSequences) {
    Draws a = draw_on_a_machine(42), b = draw_on_a_machine(43), zero = draw_on_a_machine(0);
    std::vector<std::uint64_t> all = a.values;
    all.insert(all.end(), b.values.begin(), b.values.end());
    all.insert(all.end(), zero.values.begin(), zero.values.end());
    EXPECT_EQ(distinct(all), all.size());
    EXPECT_NE(a.bytes, b.bytes);
}

// A recorded seed replays on later builds too: the sequence is SplitMix64's
// (its first output for seed 0), and a fill is the same draws, little-endian.
TEST(Random, ASeedsSequenceIsSplitMix64AndFillsTakeTheSameDraws) {
    std::uint64_t values[2] = {};
    std::uint8_t bytes[16] = {};
    toro_test::MachineShape shape;
    shape.seed = 0;
    toro_test::boot(shape, [&](int, char**) {
        values[0] = hal::random_u64();
        values[1] = hal::random_u64();
        return 0;
    });
    toro_test::boot(shape, [&](int, char**) {
        hal::random_fill(bytes, sizeof bytes);
        return 0;
    });
    EXPECT_EQ(values[0], 0xE220A8397B1DCDAFull);
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ(bytes[i], static_cast<std::uint8_t>(values[i / 8] >> (8 * (i % 8)))) << i;
    }
}

TEST(Random, UnseededDrawsDifferFromCallToCallAndBootToBoot) {
    Draws first = draw_on_a_machine(std::nullopt), second = draw_on_a_machine(std::nullopt);
    std::vector<std::uint64_t> all = first.values;
    all.insert(all.end(), second.values.begin(), second.values.end());
    EXPECT_EQ(distinct(all), all.size());
    EXPECT_NE(first.bytes, second.bytes);
}

// Seeded draws racing on four CPUs each get their own value of the sequence.
TEST(Random, SeededDrawsOnSeveralCpusAreNeverTheSame) {
    constexpr int kPerCpu = 2000;
    std::vector<std::uint64_t> values(4 * kPerCpu);
    toro_test::MachineShape shape;
    shape.cpus = 4;
    shape.seed = 7;
    int status = toro_test::boot(shape, [&](int, char**) {
        toro::Thread* threads[4];
        for (unsigned cpu = 0; cpu < 4; ++cpu) {
            toro::ThreadOptions options;
            options.cpu = cpu;
            threads[cpu] = toro::spawn([&values, cpu] {
                for (int i = 0; i < kPerCpu; ++i) values[cpu * kPerCpu + i] = hal::random_u64();
                return 0;
            }, options);
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(distinct(values), values.size());
}

// A fuzz target links the HAL without booting a machine: the host's
// getrandom then, and a fill writes its bytes and nothing beside them.
TEST(Random, WorksWithNoMachineRunning) {
    std::uint8_t buffer[16];
    for (std::uint8_t& byte : buffer) byte = 0xA5;
    hal::random_fill(buffer + 1, 13);
    hal::random_fill(buffer + 1, 0);
    EXPECT_EQ(buffer[0], 0xA5);
    EXPECT_EQ(buffer[14], 0xA5);
    EXPECT_EQ(buffer[15], 0xA5);
    EXPECT_NE(std::vector<std::uint8_t>(buffer + 1, buffer + 14), std::vector<std::uint8_t>(13, 0xA5));
    EXPECT_NE(hal::random_u64(), hal::random_u64());
}

}  // namespace
