// TSC ticks to nanoseconds, on its own so that the unit tests can check the
// arithmetic hosted: freestanding, nothing bare-only.
#pragma once

#include <cstdint>

namespace bare {

// `ticks` of a TSC that counts `ticks_per_microsecond` (nonzero) each
// microsecond, in nanoseconds, rounded down. `ticks * 1000` would overflow 64
// bits after 2^64 / 1000 ticks (about 71 days at 3 GHz), so whole
// microseconds and the remainder are scaled apart:
// floor((q * d + r) * 1000 / d) = q * 1000 + floor(r * 1000 / d), exact while
// r * 1000 fits (d below 1.8e16, a TSC far beyond any clock rate). A time
// beyond 2^64 ns (584 years) saturates rather than wrapping back to zero.
inline std::uint64_t tsc_ticks_to_ns(std::uint64_t ticks, std::uint64_t ticks_per_microsecond) {
    std::uint64_t microseconds = ticks / ticks_per_microsecond;
    std::uint64_t remainder = ticks % ticks_per_microsecond;
    if (microseconds > UINT64_MAX / 1000) return UINT64_MAX;
    std::uint64_t nanoseconds = microseconds * 1000;
    std::uint64_t fraction = remainder * 1000 / ticks_per_microsecond;
    return nanoseconds > UINT64_MAX - fraction ? UINT64_MAX : nanoseconds + fraction;
}

}  // namespace bare
