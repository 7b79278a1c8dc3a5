// Which boot of the kernel this is. A hosted process may boot several
// machines one after another (tests, benchmarks, the fuzzer); a unit whose
// tables live in static storage compares the epoch it saw with this one and
// starts afresh when they differ, since the last machine's memory is gone.
#pragma once

#include <cstdint>

namespace toro {

// 1 for the first boot in this process, then 2, 3, ... Any thread.
std::uint64_t boot_epoch();

}  // namespace toro
