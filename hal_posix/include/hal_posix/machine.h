// Running a kernel as a Linux process: the hosted machine's configuration
// and the call that runs it. Used by the process entry (main.cpp), by tests
// and benchmarks that boot kernels inside their own process, and later by
// the simulator. Not part of the HAL contract: the kernel never sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hal {
class BlockDevice;
class NetDevice;
}

namespace hal_posix {

// A disk of the machine: a file (`path`), or, for tests, a buffer in the
// host process (`memory`, whose size is a multiple of 512), or a device of
// the test's own (`device`: a fault injector, say). What `memory` and
// `device` point to is owned by the caller and alive while the machine runs.
struct DiskConfig {
    std::string path;
    std::vector<std::uint8_t>* memory = nullptr;
    hal::BlockDevice* device = nullptr;
    bool read_only = false;
};

// --nic user's settings: the virtual network and the host forwards.
struct HostForward {
    bool udp = false;
    std::string host_address;  // "" : every host address
    std::uint16_t host_port = 0;
    std::string guest_address;  // "" : the first DHCP lease (.15)
    std::uint16_t guest_port = 0;
};
struct UserNetConfig {
    std::uint32_t network = 0x0A000200;  // 10.0.2.0, host order
    unsigned prefix_length = 24;
    std::vector<HostForward> forwards;
};

// A NIC of the machine: a TAP device by name (`tap`), a live interface
// (`pcap`), user-mode networking
// (`user`), or a device of the caller's own (`device`: a MemoryNic, a fault
// injector), owned by the caller and alive while the machine runs.
struct NicConfig {
    std::string tap;
    bool tap_offload = true;  // segmentation offload when the host has it (tap:NAME,offload=off: none)
    std::string pcap;  // a live interface through libpcap
    bool user = false;
    UserNetConfig user_config;
    hal::NetDevice* device = nullptr;
};

struct MachineConfig {
    std::string program = "toro";    // the application's name (argv[0])
    unsigned cpus = 1;               // 1 .. hal::kMaxCpus
    std::size_t memory_bytes = 64u << 20;
    std::string command_line;        // the application's arguments
    std::string kernel_options;      // hal::BootInfo::kernel_options ("ip=... gw=...")
    std::vector<DiskConfig> disks;   // in order: the kernel's disk 0, 1, ...
    // hal::random draws the sequence of this seed (--seed); none: the
    // host's getrandom, unpredictable.
    std::optional<std::uint64_t> seed;
    std::vector<NicConfig> nics;     // in order: the kernel's NIC 0 (the default route's), 1, ...
    std::string capture_path;        // --capture: a pcap file of NIC 0's frames
};

inline constexpr std::size_t kMinimumMemory = 4u << 20;
inline constexpr std::size_t kMaximumMemory = std::size_t{64} << 30;

enum class ParseOutcome { kRun, kHelp, kError };

// Parses `APP [--cpus N] [--memory SIZE] [--disk PATH[,ro]]... [--seed N]
// [--help] [-- APP_ARGS...]`.
// On kError, `error` holds a one-line message (without the program name).
ParseOutcome parse_command_line(int argc, char** argv, MachineConfig* config, std::string* error);
std::string usage(const std::string& program);

// Boots a machine: maps its memory, starts CPU 0 at kernel_main and returns
// the exit status once the kernel calls hal::power_off(). One machine runs
// at a time in a process; the next may start after this returns. Returns
// 70 if the arena cannot be mapped, 66 if a disk cannot be opened.
int run_machine(const MachineConfig& config);

// For code that drives kernel objects with no machine running (a fuzz
// target, a stack test): from now on, hal::random draws made while no
// machine runs follow `seed`'s sequence from its start, as --seed does for
// a machine. Call again to restart the sequence.
void set_unbooted_random_seed(std::uint64_t seed);

}  // namespace hal_posix
