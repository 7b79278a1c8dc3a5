// The time of day. A file of its own so that only images that ask for the
// time link the HAL's real-time clock reader (the CMOS RTC on bare metal).
#include "hal/clock.h"
#include "toro/thread.h"

namespace toro {

std::uint64_t wall_clock_ns() { return hal::clock_wall_ns(); }

}  // namespace toro
