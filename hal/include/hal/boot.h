// The boot contract: what a HAL hands the kernel when the machine starts.
//
// Every HAL, whatever protocol loaded it (PVH, multiboot, a Linux process),
// fills one BootInfo and calls kernel_main() once, on the boot CPU (CPU 0),
// in thread context, with interrupts/events not yet delivered. The kernel
// never sees the boot protocol itself.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hal {

// A range of RAM the kernel may use. Addresses are the ones the kernel
// dereferences (identity-mapped on bare metal; inside the mmap'd arena
// hosted). Regions are page aligned, do not overlap, and exclude the kernel
// image, the boot stacks and anything the HAL keeps for itself.
struct MemoryRegion {
    std::uintptr_t base;
    std::size_t length;
};

inline constexpr std::size_t kMaxMemoryRegions = 32;
inline constexpr unsigned kMaxCpus = 64;
inline constexpr std::size_t kPageSize = 4096;

struct BootInfo {
    MemoryRegion memory[kMaxMemoryRegions];
    std::size_t memory_region_count;
    // CPUs the machine has; ids are 0 .. cpu_count - 1, CPU 0 boots.
    unsigned cpu_count;
    // The application's arguments as one NUL-terminated string: words split
    // on blanks, a double-quoted word may hold blanks, and `\"` and `\\`
    // stand for `"` and `\` (in quotes or not). Never null.
    const char* command_line;
    // Words for the kernel's own units, "name=value" separated by blanks
    // (the Networking unit's "ip=10.0.0.2/24 gw=10.0.0.1"). Hosted: made
    // from the machine's flags (--ip, --gateway); bare: the words of the
    // boot command line before a lone "--". Never null; "" when none.
    const char* kernel_options;
};

}  // namespace hal

// Provided by the kernel. Called by the HAL exactly once, on CPU 0, with the
// other CPUs not yet started (see hal::cpu_start_secondaries). The record
// stays valid until the machine stops. Does not return: the machine ends
// through hal::power_off().
[[noreturn]] void kernel_main(const hal::BootInfo& boot_info);
