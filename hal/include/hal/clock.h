// The clocks: monotonic time (timers are deadlines passed to
// cpu_idle_until()) and the time of day.
#pragma once

#include <cstdint>

namespace hal {

// Nanoseconds since an arbitrary origin fixed at boot; never goes back,
// the same time base on every CPU. Any context; costs tens of nanoseconds.
std::uint64_t clock_now_ns();

// The time of day: nanoseconds since 1970-01-01 00:00:00 UTC, from the
// machine's real-time clock (hosted: the host's CLOCK_REALTIME; bare: the
// CMOS RTC, read on the first call and then advanced by clock_now_ns, so
// to the second), or 0 when the machine has no clock that reads sensibly.
// Kernel threads; the first call on bare metal takes up to a few ms.
std::uint64_t clock_wall_ns();

}  // namespace hal
