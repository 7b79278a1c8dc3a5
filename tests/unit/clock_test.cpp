// Deadlines from timeouts (hal/clock.h): a sum that would wrap saturates
// at kNoDeadline.
#include <gtest/gtest.h>

#include "hal/clock.h"
#include "kernel_harness.h"

namespace {

constexpr std::uint64_t kMax = hal::kNoDeadline;

TEST(Deadline, IsNowPlusTheTimeoutWhileThatFits) {
    EXPECT_EQ(hal::saturating_deadline(0, 0), 0u);
    EXPECT_EQ(hal::saturating_deadline(5, 10), 15u);
    EXPECT_EQ(hal::saturating_deadline(0, kMax - 1), kMax - 1);
    EXPECT_EQ(hal::saturating_deadline(kMax - 11, 10), kMax - 1);
}

TEST(Deadline, SaturatesAtNoDeadlineInsteadOfWrapping) {
    EXPECT_EQ(hal::saturating_deadline(0, kMax), kMax);
    EXPECT_EQ(hal::saturating_deadline(1, kMax - 1), kMax);  // exactly reaches it
    EXPECT_EQ(hal::saturating_deadline(2, kMax - 1), kMax);
    EXPECT_EQ(hal::saturating_deadline(100, kMax), kMax);
    EXPECT_EQ(hal::saturating_deadline(kMax - 1, 1), kMax);
    EXPECT_EQ(hal::saturating_deadline(kMax, 0), kMax);
    EXPECT_EQ(hal::saturating_deadline(kMax, kMax), kMax);
}

TEST(Deadline, AfterCountsFromTheMachinesClock) {
    std::uint64_t before = 0, deadline = 0, after = 0, longest = 0;
    int status = toro_test::boot(1, [&] {
        before = hal::clock_now_ns();
        deadline = hal::deadline_after(1000000);
        after = hal::clock_now_ns();
        longest = hal::deadline_after(kMax - 1);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_GE(deadline, before + 1000000);
    EXPECT_LE(deadline, after + 1000000);
    EXPECT_EQ(longest, kMax);
}

}  // namespace
