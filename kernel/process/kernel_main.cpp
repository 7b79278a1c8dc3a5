// The kernel's entry from the HAL: bring up the units, start the
// application's main thread, start the other CPUs, and idle.
#include "hal/boot.h"
#include "hal/cpu.h"
#include "memory/memory_unit.h"
#include "process/command_line.h"
#include "process/scheduler.h"
#include "toro/app.h"
#include "toro/boot_epoch.h"
#include "toro/kernel_options.h"
#include "toro/print.h"
#include "toro/thread.h"

// Defined by toro_add_app() for every application.
extern const char toro_app_name[];

namespace {

toro::process::Arguments main_arguments;
std::uint64_t current_boot_epoch = 0;
const char* current_kernel_options = "";

int run_main(void*) { return toro_main(main_arguments.count, main_arguments.words); }

// The application's main returned: its status is the machine's.
int main_thread(void* argument) { toro::exit(run_main(argument)); }

[[noreturn]] void secondary_cpu_main(unsigned) {
    toro::process::enter_secondary_cpu();
    toro::process::run_idle_loop();
}

}  // namespace

std::uint64_t toro::boot_epoch() { return current_boot_epoch; }
const char* toro::kernel_options() { return current_kernel_options; }

void kernel_main(const hal::BootInfo& boot_info) {
    ++current_boot_epoch;
    current_kernel_options = boot_info.kernel_options != nullptr ? boot_info.kernel_options : "";
    toro::memory::initialize(boot_info);
    toro::process::initialize(boot_info.cpu_count);
    if (!toro::process::split_command_line(toro_app_name, boot_info.command_line, &main_arguments)) {
        toro::panic("out of memory splitting the command line");
    }
    toro::ThreadOptions options;
    options.name = "main";
    options.stack_size = 256 * 1024;
    options.detached = true;
    if (toro::spawn(main_thread, nullptr, options) == nullptr) {
        toro::panic("out of memory creating the main thread");
    }
    hal::cpu_start_secondaries(secondary_cpu_main);
    toro::process::run_idle_loop();
}
