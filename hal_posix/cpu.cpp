// CPU identity, idling and waking on the host: an idle CPU sleeps on a
// futex until a wake, an event or its deadline.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hal/cpu.h"
#include "hal/clock.h"
#include "hal/events.h"
#include "machine_state.h"

namespace hal_posix {

namespace {

// Sleeps while *word == 0, until the absolute CLOCK_MONOTONIC time given
// (or for ever).
void futex_wait_until(std::atomic<std::uint32_t>* word, std::uint64_t host_deadline_ns) {
    timespec deadline;
    timespec* timeout = nullptr;
    if (host_deadline_ns != hal::kNoDeadline) {
        deadline.tv_sec = static_cast<time_t>(host_deadline_ns / 1000000000u);
        deadline.tv_nsec = static_cast<long>(host_deadline_ns % 1000000000u);
        timeout = &deadline;
    }
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_BITSET_PRIVATE, 0u,
            timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
}

void futex_wake(std::atomic<std::uint32_t>* word) {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}

// Runs the handlers of this CPU's pending events; true if any ran.
bool dispatch_pending(CpuState& cpu) {
    if (cpu.pending_events.load(std::memory_order_relaxed) == 0) return false;
    std::uint64_t pending = cpu.pending_events.exchange(0, std::memory_order_acquire);
    while (pending != 0) {
        unsigned slot = static_cast<unsigned>(__builtin_ctzll(pending));
        pending &= pending - 1;
        cpu.events[slot].handler(cpu.events[slot].argument);
    }
    return true;
}

}  // namespace

bool dispatch_events_of(CpuState& cpu) { return dispatch_pending(cpu); }

}  // namespace hal_posix

namespace hal {

unsigned cpu_current() { return hal_posix::this_cpu_id; }

// The flag `sleeping` and the futex word form a handshake: the idler
// announces itself, then checks for a wake; the waker sets the wake, then
// checks for a sleeper. Both sequentially consistent, so no wake is lost.
void cpu_idle_until(std::uint64_t deadline_ns) {
    hal_posix::Machine& m = *hal_posix::machine;
    hal_posix::CpuState& cpu = hal_posix::this_cpu_state();
    for (;;) {
        if (m.stopping.load(std::memory_order_relaxed)) hal_posix::stop_this_cpu();
        bool dispatched = hal_posix::dispatch_events_of(cpu);
        if (cpu.wake_word.exchange(0) != 0 || dispatched) return;
        if (deadline_ns != kNoDeadline && clock_now_ns() >= deadline_ns) return;
        cpu.sleeping.store(true);
        if (cpu.wake_word.load() == 0 && cpu.pending_events.load() == 0 && !m.stopping.load()) {
            std::uint64_t host_deadline =
                deadline_ns == kNoDeadline ? kNoDeadline : deadline_ns + m.clock_origin_ns;
            hal_posix::futex_wait_until(&cpu.wake_word, host_deadline);
        }
        cpu.sleeping.store(false);
    }
}

void cpu_wake(unsigned cpu_id) {
    hal_posix::CpuState& cpu = hal_posix::machine->cpus[cpu_id];
    if (cpu.wake_word.exchange(1) == 0 && cpu.sleeping.load()) hal_posix::futex_wake(&cpu.wake_word);
}

// Several CPU threads may share one host core; a CPU spinning on a lock
// whose holder the host preempted would spin for a whole time slice.
void cpu_relax() {
    thread_local unsigned spins = 0;
    __builtin_ia32_pause();
    if (++spins % 128 == 0) sched_yield();
}

}  // namespace hal
