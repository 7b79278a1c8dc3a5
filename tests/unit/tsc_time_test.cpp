// The bare clock's TSC-to-nanoseconds arithmetic (hal_bare/arch/tsc_time.h):
// exact against 128-bit arithmetic, also past the 2^64 / 1000 ticks where
// `ticks * 1000` overflows 64 bits.
#include <gtest/gtest.h>

#include <cstdint>

#include "arch/tsc_time.h"

namespace {

std::uint64_t reference_ns(std::uint64_t ticks, std::uint64_t ticks_per_microsecond) {
    unsigned __int128 exact = static_cast<unsigned __int128>(ticks) * 1000 / ticks_per_microsecond;
    return exact > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(exact);
}

TEST(TscTime, SmallCountsScaleExactly) {
    EXPECT_EQ(bare::tsc_ticks_to_ns(0, 3000), 0u);
    EXPECT_EQ(bare::tsc_ticks_to_ns(2999, 3000), 999u);
    EXPECT_EQ(bare::tsc_ticks_to_ns(3000, 3000), 1000u);
    EXPECT_EQ(bare::tsc_ticks_to_ns(4500, 3000), 1500u);
}

TEST(TscTime, StaysExactPastWhereTicksTimesAThousandOverflows) {
    constexpr std::uint64_t kOverflowStart = UINT64_MAX / 1000;
    const std::uint64_t rates[] = {1, 3, 1000, 2999, 3000, 3001, 4194, 100000};
    const std::uint64_t ticks[] = {kOverflowStart - 1, kOverflowStart, kOverflowStart + 1,
                                   kOverflowStart * 3 + 12345, UINT64_MAX / 7,
                                   UINT64_MAX - 1, UINT64_MAX};
    for (std::uint64_t rate : rates) {
        for (std::uint64_t tick : ticks) {
            EXPECT_EQ(bare::tsc_ticks_to_ns(tick, rate), reference_ns(tick, rate))
                << "ticks " << tick << " at " << rate << " per microsecond";
        }
    }
}

// 72 days at 3 GHz: after the old `ticks * 1000 / rate` had wrapped.
TEST(TscTime, SeventyTwoDaysAtThreeGigahertz) {
    constexpr std::uint64_t kSeconds = 72ull * 24 * 3600;
    EXPECT_EQ(bare::tsc_ticks_to_ns(kSeconds * 3'000'000'000ull, 3000),
              kSeconds * 1'000'000'000ull);
}

}  // namespace
