// A hosted application's process entry: parse the machine's flags, run it.
#include <cstdio>
#include <string>

#include "hal_posix/machine.h"

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
    return hal_posix::run_machine(config);
}
