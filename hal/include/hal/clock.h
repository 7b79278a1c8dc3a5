// The monotonic clock. Timers are deadlines passed to cpu_idle_until().
#pragma once

#include <cstdint>

namespace hal {

// Nanoseconds since an arbitrary origin fixed at boot; never goes back,
// the same time base on every CPU. Any context; costs tens of nanoseconds.
std::uint64_t clock_now_ns();

}  // namespace hal
