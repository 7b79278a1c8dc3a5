// The hosted machine's state, shared by the files of hal_posix. One machine
// runs at a time in a process (see run_machine).
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "hal/boot.h"
#include "hal/cpu.h"
#include "hal/events.h"
#include "hal_posix/machine.h"

namespace hal_posix {

inline constexpr unsigned kEventsPerCpu = 64;
inline constexpr unsigned kNoCpu = ~0u;

struct EventSlot {
    hal::EventHandler handler;
    void* argument;
};

struct alignas(64) CpuState {
    pthread_t thread{};
    bool started = false;
    hal::Context host;  // the pthread's own stack: where the CPU goes to stop
    hal::Context boot;  // the kernel's boot context, on a stack the HAL owns
    void* boot_stack = nullptr;
    const hal::Context* current = nullptr;
    void* signal_stack = nullptr;
    stack_t previous_signal_stack{};  // the thread's own, restored on the way out

    alignas(64) std::atomic<std::uint32_t> wake_word{0};  // futex: 1 = wake pending
    std::atomic<bool> sleeping{false};
    alignas(64) std::atomic<std::uint64_t> pending_events{0};
    EventSlot events[kEventsPerCpu] = {};
    std::atomic<unsigned> event_count{0};
    // A bit per slot whose handler is written (release): only those can be
    // raised, so a wrong id never reaches an empty slot.
    std::atomic<std::uint64_t> bound_events{0};
};

struct Machine {
    MachineConfig config;
    hal::BootInfo boot_info{};
    void* arena = nullptr;
    std::uint64_t clock_origin_ns = 0;  // CLOCK_MONOTONIC at boot
    void (*secondary_entry)(unsigned) = nullptr;
    std::atomic<bool> stopping{false};
    std::atomic<int> exit_code{0};
    std::atomic<std::uint64_t> random_draws{0};  // seeded hal::random: draws so far
    std::mutex stop_mutex;
    std::condition_variable stopped;
    CpuState cpus[hal::kMaxCpus];
};

// The running machine; null between machines.
extern Machine* machine;
// The CPU the calling host thread is, or kNoCpu for other threads.
extern thread_local unsigned this_cpu_id;

inline CpuState& this_cpu_state() { return machine->cpus[this_cpu_id]; }

// CLOCK_MONOTONIC in nanoseconds (not relative to boot).
std::uint64_t host_monotonic_ns();

// Starts the host thread of `cpu_id`. Returns false if it could not.
bool start_cpu_thread(unsigned cpu_id);
// Runs the handlers of `cpu`'s pending events (on that CPU); true if any.
bool dispatch_events_of(CpuState& cpu);
// Wakes run_machine(), which waits for the machine to stop.
void notify_stopped();
// Leaves kernel code for good: back to the CPU thread's own stack.
[[noreturn]] void stop_this_cpu();

// Clears what AddressSanitizer remembers of memory about to be reused or
// unmapped (stacks of contexts that never returned). No-op otherwise.
void forget_sanitizer_state(void* memory, std::size_t length);

// Per CPU thread: the alternate signal stack for fault reports.
void install_fault_handlers();
void enter_fault_reporting(CpuState& cpu);
void leave_fault_reporting(CpuState& cpu);

}  // namespace hal_posix
