// The per-CPU cooperative scheduler.
//
// Each CPU has a FIFO run queue that only that CPU touches, an inbox where
// other CPUs drop threads they make ready (a lock-free stack), a timer
// queue, and an idle thread: the CPU's boot context, which halts the CPU
// through the HAL when nothing is ready. Threads never migrate, so every
// decision about a thread is made by the CPU it lives on.
#pragma once

#include <atomic>
#include <cstdint>

#include "hal/boot.h"
#include "process/thread_record.h"
#include "process/timer_queue.h"

namespace toro::process {

struct alignas(64) CpuScheduler {
    Thread* current = nullptr;
    Thread* run_queue_head = nullptr;
    Thread* run_queue_tail = nullptr;
    Thread* dead = nullptr;  // exited; its stack is freed after the switch away
    Thread* threads = nullptr;  // every started, unreaped thread but idle (for debuggers)
    Thread idle;
    TimerQueue timers;
    alignas(64) std::atomic<Thread*> inbox{nullptr};
};

// The scheduler of the calling CPU: the one accessor for per-CPU state.
CpuScheduler& this_cpu();

// Every CPU's scheduler, indexed by CPU, and how many CPUs initialize()
// was given: for the debugger's view (process/debug_layout.cpp) only.
CpuScheduler* all_cpus();
unsigned started_cpu_count();
// Fills the table debuggers read (process/debug_layout.cpp); initialize()
// calls it.
void publish_debug_layout();

// Boot CPU, before the other CPUs start: forgets every earlier thread and
// makes the calling context CPU 0's idle thread.
void initialize(unsigned cpu_count);
// On each secondary CPU, first thing: adopts its boot context as idle.
void enter_secondary_cpu();
// The idle loop of the calling CPU; the boot context ends here.
[[noreturn]] void run_idle_loop();

// Makes a blocked or new thread ready, from any CPU or event handler.
void make_ready(Thread* thread);
// The calling thread, already marked Blocked (or Ready and queued, or
// Dead), gives up the CPU until it is made ready again.
void switch_away();
// Puts the calling thread at the back of its run queue and switches away.
void yield_current();
// A new thread's first step: joins its CPU's thread list, then does what
// every switch does on arrival (frees the stack of the thread that exited
// to get here).
void finish_switch();
// Marks the calling thread blocked and switches away; returns once some
// make_ready() woke it.
void block_current();

}  // namespace toro::process
