// One-shot timers: a callback run on the CPU that armed the timer, soon
// after (never before) its deadline.
//
// The callback runs from that CPU's scheduler, between threads: it must not
// block; it may signal events, spawn threads and re-arm timers. arm and
// cancel are called on the CPU the timer belongs to (the first one that
// armed it), from kernel threads or timer callbacks.
#pragma once

#include <cstdint>

namespace toro {

namespace process {
class TimerQueue;
}

class Timer {
public:
    using Callback = void (*)(void* argument);

    Timer(Callback callback, void* argument) : callback_(callback), argument_(argument) {}
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Arms (or re-arms) for the monotonic time `deadline_ns`; a timer armed
    // for hal::kNoDeadline is never due.
    void arm_at(std::uint64_t deadline_ns);
    // Arms for `nanoseconds` from now, saturating at hal::kNoDeadline.
    void arm_after(std::uint64_t nanoseconds);
    // Disarms; true if it was armed (so the callback will not run).
    bool cancel();
    bool armed() const { return armed_; }
    std::uint64_t deadline() const { return deadline_; }

private:
    friend class process::TimerQueue;

    Callback callback_;
    void* argument_;
    std::uint64_t deadline_ = 0;
    Timer* next_ = nullptr;
    Timer* previous_ = nullptr;
    unsigned cpu_ = ~0u;
    bool armed_ = false;
};

}  // namespace toro
