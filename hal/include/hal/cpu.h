// CPUs: identity, starting the secondaries, idling, waking, and the
// execution contexts kernel threads run on.
//
// Costs: cpu_current() and context_switch() are on every scheduling path and
// cost a few nanoseconds; nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hal {

// Number of CPUs, fixed for the life of the machine. Any context.
unsigned cpu_count();

// Id of the CPU the caller runs on, 0 .. cpu_count()-1. Any context on a
// kernel CPU; a kernel thread never migrates, so the answer stays true for
// the life of the calling thread.
unsigned cpu_current();

// Called once by the kernel on CPU 0 after the units it needs are ready.
// Starts every other CPU at `entry(cpu_id)`, in its own boot context, with
// a stack the HAL owns. `entry` must not return. Returns without waiting for
// the secondaries to reach `entry`.
void cpu_start_secondaries(void (*entry)(unsigned cpu_id));

// Halts the calling CPU until `deadline_ns` (hal::clock_now_ns() time base)
// has passed, cpu_wake() has targeted it, or an event bound to it is raised;
// it may also return early for no reason. Pending events are dispatched
// before it returns (see events.h). A wake sent before the call is not lost:
// the call then returns at once. Uses no host CPU while halted.
// Call from the CPU's scheduler only, never with a spinlock held.
void cpu_idle_until(std::uint64_t deadline_ns);
inline constexpr std::uint64_t kNoDeadline = ~std::uint64_t{0};

// Makes cpu_idle_until() on `cpu_id` return (now or at its next call).
// Any context, any CPU, and host threads of the HAL itself. Cheap when the
// target is not idle.
void cpu_wake(unsigned cpu_id);

// Hint inside a spin-wait loop. May give the host CPU to another thread
// (hosted, where several CPUs may share one core). Any context.
void cpu_relax();

// An execution context: a stack and the registers saved on it. The kernel
// owns the storage (it lives inside the kernel's thread record); the HAL
// owns the fields.
struct Context {
    void* stack_pointer = nullptr;  // saved by context_switch
    void* stack_base = nullptr;     // lowest address of the stack
    std::size_t stack_size = 0;
    const char* name = nullptr;     // shown in fault reports; null: unnamed
    void* sanitizer_state = nullptr;  // AddressSanitizer's fake stack
    unsigned stack_registration = 0;  // Valgrind's id for the stack
    bool has_guard_page = false;
};

// Prepares `context` to run `entry(argument)` on the stack
// [stack_base, stack_base + stack_size), page aligned. The lowest page of
// the stack becomes a guard page where the platform can make one, so an
// overflow faults instead of corrupting memory: a stack needs at least two
// pages. `entry` must never return (a kernel thread ends by switching away
// for good). `name` must outlive the context. Thread context.
void context_create(Context* context, void* stack_base, std::size_t stack_size,
                    void (*entry)(void* argument), void* argument, const char* name);

// Makes `context` describe the caller's current stack (the CPU's boot
// context), so it can be switched away from and back to.
void context_adopt_current(Context* context, const char* name);

// Saves the caller's registers in `from` and resumes `to` (which was
// created, adopted, or saved by an earlier switch). Returns when something
// switches back to `from`. On the calling CPU only; `to` must not be running
// anywhere. If the machine is stopping (power_off), it does not return.
void context_switch(Context* from, Context* to);

// Releases what context_create() set up (guard page, debugger/sanitizer
// registration). The context must not be running; its stack may be reused
// afterwards.
void context_destroy(Context* context);

// The context the calling CPU runs now, for fault reports and debuggers.
const Context* context_current();

}  // namespace hal
