// The clocks: monotonic time (timers are deadlines passed to
// cpu_idle_until()) and the time of day.
#pragma once

#include <cstdint>

#include "hal/cpu.h"

namespace hal {

// Nanoseconds since an arbitrary origin fixed at boot; never goes back,
// the same time base on every CPU. Any context; costs tens of nanoseconds.
std::uint64_t clock_now_ns();

// `now_ns + nanoseconds`, or kNoDeadline when the sum reaches or passes
// it: a timeout too long for the clock never expires, where the plain sum
// would wrap into the past and expire at once. Pure; any context.
constexpr std::uint64_t saturating_deadline(std::uint64_t now_ns, std::uint64_t nanoseconds) {
    return nanoseconds >= kNoDeadline - now_ns ? kNoDeadline : now_ns + nanoseconds;
}

// The deadline `nanoseconds` from now, saturated as above: what every
// "wait for at most N ns" turns into a deadline with. Any context.
inline std::uint64_t deadline_after(std::uint64_t nanoseconds) {
    return saturating_deadline(clock_now_ns(), nanoseconds);
}

// The time of day: nanoseconds since 1970-01-01 00:00:00 UTC, from the
// machine's real-time clock (hosted: the host's CLOCK_REALTIME; bare: the
// CMOS RTC, read on the first call and then advanced by clock_now_ns, so
// to the second), or 0 when the machine has no clock that reads sensibly.
// Kernel threads; the first call on bare metal takes up to a few ms.
std::uint64_t clock_wall_ns();

}  // namespace hal
