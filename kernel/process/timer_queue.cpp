#include "process/timer_queue.h"

#include "hal/clock.h"
#include "process/scheduler.h"
#include "toro/print.h"

namespace toro {

namespace process {

// Timers are few per CPU (sleepers, timeouts), so a sorted list is simple
// and fast enough; insertion keeps equal deadlines in arming order.
void TimerQueue::insert(Timer* timer) {
    Timer* before = nullptr;
    Timer* after = head_;
    while (after != nullptr && after->deadline_ <= timer->deadline_) {
        before = after;
        after = after->next_;
    }
    timer->previous_ = before;
    timer->next_ = after;
    if (before != nullptr) {
        before->next_ = timer;
    } else {
        head_ = timer;
    }
    if (after != nullptr) after->previous_ = timer;
}

void TimerQueue::remove(Timer* timer) {
    if (timer->previous_ != nullptr) {
        timer->previous_->next_ = timer->next_;
    } else {
        head_ = timer->next_;
    }
    if (timer->next_ != nullptr) timer->next_->previous_ = timer->previous_;
    timer->next_ = timer->previous_ = nullptr;
}

void TimerQueue::fire_expired(std::uint64_t now_ns) {
    while (head_ != nullptr && head_->deadline_ <= now_ns) {
        Timer* timer = head_;
        remove(timer);
        timer->armed_ = false;
        timer->callback_(timer->argument_);  // may re-arm itself
    }
}

}  // namespace process

void Timer::arm_at(std::uint64_t deadline_ns) {
    unsigned cpu = hal::cpu_current();
    if (armed_ && cpu_ != cpu) panic("timer armed on cpu %u re-armed from cpu %u", cpu_, cpu);
    process::TimerQueue& queue = process::this_cpu().timers;
    if (armed_) queue.remove(this);
    cpu_ = cpu;
    deadline_ = deadline_ns;
    armed_ = true;
    queue.insert(this);
}

void Timer::arm_after(std::uint64_t nanoseconds) { arm_at(hal::deadline_after(nanoseconds)); }

bool Timer::cancel() {
    if (!armed_) return false;
    if (cpu_ != hal::cpu_current()) panic("timer of cpu %u cancelled from cpu %u", cpu_, hal::cpu_current());
    process::this_cpu().timers.remove(this);
    armed_ = false;
    return true;
}

}  // namespace toro
