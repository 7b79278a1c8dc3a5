// Boots a hosted kernel inside the test (or benchmark) process and runs a
// body as its application's main thread. The body runs in kernel context:
// on CPU 0, in a cooperative kernel thread, using the toro/ API.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hal_posix/machine.h"

namespace toro_test {

struct MachineShape {
    unsigned cpus = 1;
    std::size_t memory_bytes = 64u << 20;
    std::string command_line;
    std::vector<hal_posix::DiskConfig> disks;
    std::optional<std::uint64_t> seed;  // hal::random's sequence (--seed)
    std::vector<hal_posix::NicConfig> nics;
    std::string kernel_options;  // "ip=A/P gw=A", as --ip and --gateway make
};

// Runs `body` as toro_main; returns the machine's exit status (the body's
// return value, or what toro::exit / panic gave).
int boot(const MachineShape& shape, std::function<int(int argc, char** argv)> body);
int boot(unsigned cpus, std::function<int()> body);

}  // namespace toro_test
