#include "kernel_harness.h"

#include <utility>

#include "hal_posix/machine.h"
#include "toro/app.h"

extern const char toro_app_name[];
const char toro_app_name[] = "test";

namespace {
std::function<int(int, char**)> current_body;
}

int toro_main(int argc, char** argv) { return current_body(argc, argv); }

namespace toro_test {

int boot(const MachineShape& shape, std::function<int(int, char**)> body) {
    current_body = std::move(body);
    hal_posix::MachineConfig config;
    config.program = "test";
    config.cpus = shape.cpus;
    config.memory_bytes = shape.memory_bytes;
    config.command_line = shape.command_line;
    config.disks = shape.disks;
    config.seed = shape.seed;
    config.nics = shape.nics;
    config.kernel_options = shape.kernel_options;
    int code = hal_posix::run_machine(config);
    current_body = nullptr;
    return code;
}

int boot(unsigned cpus, std::function<int()> body) {
    MachineShape shape;
    shape.cpus = cpus;
    return boot(shape, [&body](int, char**) { return body(); });
}

}  // namespace toro_test
