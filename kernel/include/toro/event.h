// Events: the one blocking primitive. A thread waits on an Event until
// another thread, a timer or an event handler signals it, on any CPU.
//
// An auto-reset event wakes one waiter per signal(); a signal with nobody
// waiting is remembered (once) for the next wait(), so a signal is never
// lost between a check and a wait. A manual-reset event stays signalled,
// releasing every waiter, until reset().
#pragma once

#include <cstdint>

#include "toro/spinlock.h"

namespace toro {

struct Thread;
struct EventWaiter;

class Event {
public:
    enum class Reset { kAuto, kManual };

    constexpr explicit Event(Reset reset = Reset::kAuto) : manual_reset_(reset == Reset::kManual) {}
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    // Any context: kernel threads, timer callbacks, event handlers.
    void signal();
    void reset();
    bool is_signaled() const { return signaled_; }

    // Kernel threads only. wait_until returns false when the deadline
    // (monotonic ns) passed first; wait_for's deadline saturates, so a
    // timeout longer than the clock can count never expires.
    void wait();
    bool wait_until(std::uint64_t deadline_ns);
    bool wait_for(std::uint64_t nanoseconds);

private:
    friend struct EventWaiter;

    SpinLock lock_;
    bool signaled_ = false;
    bool manual_reset_;
    EventWaiter* first_waiter_ = nullptr;
    EventWaiter* last_waiter_ = nullptr;
};

}  // namespace toro
