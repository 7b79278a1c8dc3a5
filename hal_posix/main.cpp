// A hosted application's process entry: parse the machine's flags, run it.
#include <cstdio>
#include <string>

#include "hal_posix/machine.h"

// Defined by the Networking unit in applications that name it (see
// kernel/net/network_unit.cpp); absent, the address of this weak
// declaration is null.
extern "C" __attribute__((weak)) const bool toro_network_unit;

int main(int argc, char** argv) {
    hal_posix::MachineConfig config;
    std::string error;
    switch (hal_posix::parse_command_line(argc, argv, &config, &error)) {
        case hal_posix::ParseOutcome::kHelp:
            std::fputs(hal_posix::usage(config.program).c_str(), stdout);
            return 0;
        case hal_posix::ParseOutcome::kError:
            std::fprintf(stderr, "%s: %s\n%s", config.program.c_str(), error.c_str(),
                         hal_posix::usage(config.program).c_str());
            return 2;
        case hal_posix::ParseOutcome::kRun:
            break;
    }
    // An application that uses the network and was given no NIC gets user
    // networking, which needs no privileges (as QEMU's default does).
    if (config.nics.empty() && &toro_network_unit != nullptr) {
        hal_posix::NicConfig user;
        user.user = true;
        config.nics.push_back(user);
    }
    return hal_posix::run_machine(config);
}
