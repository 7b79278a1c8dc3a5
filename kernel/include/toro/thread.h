// The Process unit's application API: threads, yielding, sleeping, time.
//
// Toro's model: every CPU runs its own cooperative scheduler; a thread is
// created on a chosen CPU and never leaves it; it runs until it yields,
// sleeps, waits, or returns. A thread that returns is cleaned up (its stack
// freed at once; its record when joined, or at once if detached).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "toro/memory.h"

namespace toro {

struct Thread;  // opaque

using ThreadEntry = int (*)(void* argument);

inline constexpr unsigned kCurrentCpu = ~0u;

struct ThreadOptions {
    unsigned cpu = kCurrentCpu;           // where it runs, for its whole life
    std::size_t stack_size = 64 * 1024;   // rounded up to a power-of-two pages
    const char* name = "thread";          // must outlive the thread
    bool detached = false;                // not joinable; record freed at exit
};

// Creates a thread running entry(argument) on options.cpu and makes it
// ready. Returns null (creating nothing) on a bad CPU id or out of memory.
// A detached thread's handle must not be used after it may have exited.
Thread* spawn(ThreadEntry entry, void* argument, const ThreadOptions& options = {});

// Waits until `thread` (joinable, joined once) returns; frees its record
// and gives its exit code. Any thread on any CPU except the thread itself.
int join(Thread* thread);

// Lets the other ready threads of this CPU run first.
void yield();

// Blocks at least `nanoseconds` (never less) on the monotonic clock; a span
// longer than the clock can count blocks for good.
void sleep_ns(std::uint64_t nanoseconds);
inline void sleep_ms(std::uint64_t milliseconds) {
    constexpr std::uint64_t kMaxMilliseconds = ~std::uint64_t{0} / 1000000;
    sleep_ns(milliseconds > kMaxMilliseconds ? ~std::uint64_t{0} : milliseconds * 1000000);
}

// Monotonic nanoseconds, the same on every CPU.
std::uint64_t now_ns();

// The time of day, nanoseconds since 1970-01-01 00:00:00 UTC, or 0 when
// the machine has no real-time clock. Moves with now_ns between readings
// of the hardware clock, so it never goes back by itself.
std::uint64_t wall_clock_ns();

unsigned current_cpu();
unsigned cpu_count();
Thread* current_thread();
const char* thread_name(const Thread* thread);

// Ends the calling thread with `code` (as returning from its entry does).
[[noreturn]] void thread_exit(int code);

// Stops the whole machine with exit status `code`.
[[noreturn]] void exit(int code);

// spawn() for any callable returning int (a lambda with captures): the
// callable is copied into kernel memory and freed when it returns.
template <typename Callable>
Thread* spawn(Callable callable, const ThreadOptions& options = {}) {
    Callable* stored = make<Callable>(std::move(callable));
    if (stored == nullptr) return nullptr;
    ThreadEntry trampoline = [](void* argument) -> int {
        Callable* own = static_cast<Callable*>(argument);
        int code = (*own)();
        destroy(own);
        return code;
    };
    Thread* thread = spawn(trampoline, stored, options);
    if (thread == nullptr) destroy(stored);
    return thread;
}

}  // namespace toro
