// The hosted machine: an mmap'd arena as RAM, one host thread per CPU, and
// the way it stops.
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "hal/boot.h"
#include "hal/cpu.h"
#include "hal/power.h"
#include "devices/disks.h"
#include "devices/nics.h"
#include "machine_state.h"

namespace hal_posix {

Machine* machine = nullptr;
thread_local unsigned this_cpu_id = kNoCpu;

// Defined in context.cpp.
void switch_raw(hal::Context* from, hal::Context* to);

namespace {

constexpr std::size_t kBootStackBytes = 256 * 1024;
constexpr std::chrono::seconds kStopGrace{5};

[[noreturn]] void boot_context_main(void* argument) {
    auto cpu_id = static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(argument));
    if (cpu_id == 0) kernel_main(machine->boot_info);
    machine->secondary_entry(cpu_id);
    __builtin_trap();  // both are [[noreturn]]
}

// The host thread of one CPU: switch into the kernel on the boot stack and
// come back here only when the machine stops.
void* cpu_thread_main(void* argument) {
    auto cpu_id = static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(argument));
    this_cpu_id = cpu_id;
    CpuState& cpu = machine->cpus[cpu_id];
    enter_fault_reporting(cpu);

    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
        pthread_attr_getstack(&attributes, &cpu.host.stack_base, &cpu.host.stack_size);
        pthread_attr_destroy(&attributes);
    }
    cpu.host.name = "host";
    hal::context_create(&cpu.boot, cpu.boot_stack, kBootStackBytes, boot_context_main, argument,
                        "boot");
    cpu.current = &cpu.boot;
    switch_raw(&cpu.host, &cpu.boot);

    cpu.current = &cpu.host;
    hal::context_destroy(&cpu.boot);
    leave_fault_reporting(cpu);
    this_cpu_id = kNoCpu;
    return nullptr;
}

// Waits for every started CPU thread to leave kernel code. A CPU spinning
// in a kernel thread never reaches a switch: after the grace period it is
// reported and left running (with its memory still mapped).
bool join_cpus() {
    bool all_joined = true;
    for (unsigned i = 0; i < machine->config.cpus; ++i) {
        CpuState& cpu = machine->cpus[i];
        if (!cpu.started) continue;
        timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += kStopGrace.count();
        if (pthread_timedjoin_np(cpu.thread, nullptr, &deadline) != 0) {
            std::fprintf(stderr, "toro: cpu %u did not stop (a kernel thread never yields?)\n", i);
            all_joined = false;
        }
    }
    return all_joined;
}

}  // namespace

void notify_stopped() {
    std::lock_guard<std::mutex> lock(machine->stop_mutex);
    machine->stopped.notify_all();
}

std::uint64_t host_monotonic_ns() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

bool start_cpu_thread(unsigned cpu_id) {
    CpuState& cpu = machine->cpus[cpu_id];
    cpu.boot_stack = mmap(nullptr, kBootStackBytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cpu.boot_stack == MAP_FAILED) {
        cpu.boot_stack = nullptr;
        return false;
    }
    void* argument = reinterpret_cast<void*>(static_cast<std::uintptr_t>(cpu_id));
    if (pthread_create(&cpu.thread, nullptr, cpu_thread_main, argument) != 0) return false;
    // gdb, top and tools/gdb/toro.py tell the CPUs apart by this name.
    // Linux takes 15 bytes and the NUL: room for 7 digits, more than
    // there are CPUs (the wider buffer is for the compiler's sake).
    char name[24];
    std::snprintf(name, sizeof name, "toro-cpu%u", cpu_id);
    name[15] = '\0';
    (void)pthread_setname_np(cpu.thread, name);
    cpu.started = true;
    return true;
}

int run_machine(const MachineConfig& config) {
    std::string disk_error;
    if (!attach_disks(config, &disk_error)) {
        std::fprintf(stderr, "%s: %s\n", config.program.c_str(), disk_error.c_str());
        return 66;
    }
    std::string nic_error;
    if (!attach_nics(config, &nic_error)) {
        std::fprintf(stderr, "%s: %s\n", config.program.c_str(), nic_error.c_str());
        detach_disks();
        return 2;
    }
    machine = new Machine();
    machine->config = config;
    machine->arena = mmap(nullptr, config.memory_bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (machine->arena == MAP_FAILED) {
        std::fprintf(stderr, "%s: cannot map %zu bytes of memory: %s\n", config.program.c_str(),
                     config.memory_bytes, std::strerror(errno));
        delete machine;
        machine = nullptr;
        detach_nics();
        detach_disks();
        return 70;
    }
    install_fault_handlers();
    hal::BootInfo& info = machine->boot_info;
    info.memory[0] = {reinterpret_cast<std::uintptr_t>(machine->arena), config.memory_bytes};
    info.memory_region_count = 1;
    info.cpu_count = config.cpus;
    info.command_line = machine->config.command_line.c_str();
    info.kernel_options = machine->config.kernel_options.c_str();
    machine->clock_origin_ns = host_monotonic_ns();

    if (!start_cpu_thread(0)) {
        std::fprintf(stderr, "%s: cannot start cpu 0\n", config.program.c_str());
        machine->exit_code.store(70);
        machine->stopping.store(true);
    }
    {
        std::unique_lock<std::mutex> lock(machine->stop_mutex);
        machine->stopped.wait(lock, [] { return machine->stopping.load(); });
    }
    bool all_joined = join_cpus();
    int code = machine->exit_code.load();
    if (all_joined) {
        for (unsigned i = 0; i < config.cpus; ++i) {
            if (machine->cpus[i].boot_stack == nullptr) continue;
            forget_sanitizer_state(machine->cpus[i].boot_stack, kBootStackBytes);
            munmap(machine->cpus[i].boot_stack, kBootStackBytes);
        }
        forget_sanitizer_state(machine->arena, config.memory_bytes);
        munmap(machine->arena, config.memory_bytes);
        detach_nics();
        delete machine;
        detach_disks();
    }  // else a CPU still runs on the machine: leave it all allocated
    machine = nullptr;
    return code;
}

}  // namespace hal_posix

namespace hal {

unsigned cpu_count() { return hal_posix::machine->config.cpus; }

void cpu_start_secondaries(void (*entry)(unsigned cpu_id)) {
    hal_posix::machine->secondary_entry = entry;
    for (unsigned i = 1; i < cpu_count(); ++i) {
        if (!hal_posix::start_cpu_thread(i)) {
            std::fprintf(stderr, "toro: cannot start cpu %u\n", i);
            power_off(70);
        }
    }
}

void power_off(int code) {
    hal_posix::Machine& m = *hal_posix::machine;
    if (!m.stopping.exchange(true)) m.exit_code.store(code);
    for (unsigned i = 0; i < m.config.cpus; ++i) cpu_wake(i);
    hal_posix::notify_stopped();
    hal_posix::stop_this_cpu();
}

}  // namespace hal
