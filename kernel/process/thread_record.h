// The kernel's record of a thread. Owned by the Process unit; applications
// only see `toro::Thread*` as a handle.
#pragma once

#include <atomic>
#include <cstdint>

#include "hal/cpu.h"
#include "toro/event.h"
#include "toro/thread.h"

namespace toro {

enum class ThreadState : std::uint8_t { kReady, kRunning, kBlocked, kDead };

struct Thread {
    hal::Context context;
    Thread* run_queue_next = nullptr;          // touched by the owning CPU only
    std::atomic<Thread*> inbox_next{nullptr};  // link while in another CPU's inbox
    // Every thread that has run on its CPU and not yet been reaped, in
    // CpuScheduler::threads; touched by the owning CPU only. Nothing in the
    // kernel walks it: it is how a debugger finds blocked threads
    // (process/debug_layout.cpp).
    Thread* cpu_list_prev = nullptr;
    Thread* cpu_list_next = nullptr;
    ThreadEntry entry = nullptr;
    void* argument = nullptr;
    const char* name = nullptr;  // null until spawn or adopt names it
    void* stack = nullptr;
    unsigned stack_order = 0;
    unsigned cpu = 0;
    ThreadState state = ThreadState::kReady;
    bool detached = false;
    bool is_idle = false;
    int exit_code = 0;
    Event exited;  // signalled once the stack is gone; one joiner, so auto-reset
};

}  // namespace toro
