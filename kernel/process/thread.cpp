// Threads: creation on any CPU, exit, join, yield, sleep.
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/power.h"
#include "process/scheduler.h"
#include "toro/print.h"
#include "toro/thread.h"
#include "toro/timer.h"

namespace toro {

namespace {

constexpr std::size_t kMinimumStack = 2 * hal::kPageSize;  // guard page + one

constexpr unsigned kMaxStackOrder = 16;  // 256 MiB of stack is a bug, not a request

// The page order of the smallest power-of-two stack that holds `bytes`, or
// kMaxStackOrder + 1 when none up to kMaxStackOrder does. Bounded so that a
// size above 2^63 bytes, which no `kPageSize << order` reaches before the
// shift overflows, cannot keep the loop going forever.
unsigned stack_order_for(std::size_t bytes) {
    unsigned order = 0;
    while ((hal::kPageSize << order) < bytes || (hal::kPageSize << order) < kMinimumStack) {
        if (++order > kMaxStackOrder) break;
    }
    return order;
}

// The first code every new thread runs, on its own stack.
[[noreturn]] void thread_start(void* argument) {
    auto* thread = static_cast<Thread*>(argument);
    process::finish_switch();
    thread_exit(thread->entry(thread->argument));
}

void wake_sleeper(void* argument) { process::make_ready(static_cast<Thread*>(argument)); }

}  // namespace

Thread* spawn(ThreadEntry entry, void* argument, const ThreadOptions& options) {
    unsigned cpu = options.cpu == kCurrentCpu ? hal::cpu_current() : options.cpu;
    if (cpu >= hal::cpu_count() || entry == nullptr) return nullptr;
    unsigned order = stack_order_for(options.stack_size);
    if (order > kMaxStackOrder) return nullptr;
    Thread* thread = make<Thread>();
    if (thread == nullptr) return nullptr;
    thread->stack = allocate_pages(order);
    if (thread->stack == nullptr) {
        destroy(thread);
        return nullptr;
    }
    thread->stack_order = order;
    thread->entry = entry;
    thread->argument = argument;
    thread->name = options.name;
    thread->cpu = cpu;
    thread->detached = options.detached;
    hal::context_create(&thread->context, thread->stack, hal::kPageSize << order, thread_start,
                        thread, options.name);
    process::make_ready(thread);
    return thread;
}

int join(Thread* thread) {
    if (thread == current_thread()) panic("thread '%s' tried to join itself", thread->name);
    if (thread->detached) panic("join of detached thread '%s'", thread->name);
    thread->exited.wait();
    int code = thread->exit_code;
    destroy(thread);
    return code;
}

void thread_exit(int code) {
    process::CpuScheduler& cpu = process::this_cpu();
    Thread* thread = cpu.current;
    if (thread->is_idle) panic("thread_exit from the idle thread of cpu %u", thread->cpu);
    thread->exit_code = code;
    thread->state = ThreadState::kDead;
    cpu.dead = thread;
    process::switch_away();
    panic("dead thread '%s' was scheduled again", thread->name);
}

void yield() { process::yield_current(); }

void sleep_ns(std::uint64_t nanoseconds) {
    if (nanoseconds == 0) {
        yield();
        return;
    }
    Timer alarm(wake_sleeper, current_thread());
    alarm.arm_at(hal::deadline_after(nanoseconds));
    process::block_current();
}

std::uint64_t now_ns() { return hal::clock_now_ns(); }
unsigned current_cpu() { return hal::cpu_current(); }
unsigned cpu_count() { return hal::cpu_count(); }
Thread* current_thread() { return process::this_cpu().current; }
const char* thread_name(const Thread* thread) {
    return thread && thread->name ? thread->name : "(none)";
}

void exit(int code) { hal::power_off(code); }

}  // namespace toro
