// A CPU's armed timers, sorted by deadline.
#pragma once

#include <cstdint>

#include "hal/cpu.h"
#include "toro/timer.h"

namespace toro::process {

class TimerQueue {
public:
    void insert(Timer* timer);
    void remove(Timer* timer);
    bool empty() const { return head_ == nullptr; }
    std::uint64_t next_deadline() const { return head_ ? head_->deadline_ : hal::kNoDeadline; }
    // Runs, in deadline order, every timer whose deadline is <= now.
    void fire_expired(std::uint64_t now_ns);

private:
    Timer* head_ = nullptr;
};

}  // namespace toro::process
