// Events. The waiter list is guarded by the event's spinlock; a waiter is
// taken off the list by exactly one of signal() or its timeout, under the
// lock, and only that one makes the thread ready.
#include "toro/event.h"

#include "hal/clock.h"
#include "process/scheduler.h"
#include "toro/timer.h"

namespace toro {

// Lives on the waiting thread's stack for the duration of one wait.
struct EventWaiter {
    Thread* thread;
    Event* event;
    EventWaiter* next = nullptr;
    bool queued = false;
    bool signalled = false;

    void append_to(Event& owner) {
        queued = true;
        if (owner.last_waiter_ != nullptr) {
            owner.last_waiter_->next = this;
        } else {
            owner.first_waiter_ = this;
        }
        owner.last_waiter_ = this;
    }

    static EventWaiter* pop_first(Event& owner) {
        EventWaiter* first = owner.first_waiter_;
        if (first == nullptr) return nullptr;
        owner.first_waiter_ = first->next;
        if (owner.first_waiter_ == nullptr) owner.last_waiter_ = nullptr;
        first->queued = false;
        return first;
    }

    void unlink_from(Event& owner) {
        EventWaiter* previous = nullptr;
        for (EventWaiter* w = owner.first_waiter_; w != this; w = w->next) previous = w;
        (previous ? previous->next : owner.first_waiter_) = next;
        if (owner.last_waiter_ == this) owner.last_waiter_ = previous;
        queued = false;
    }

    // Timer callback: the deadline passed while still waiting.
    static void time_out(void* argument) {
        auto* waiter = static_cast<EventWaiter*>(argument);
        Event& owner = *waiter->event;
        owner.lock_.lock();
        bool mine = waiter->queued;
        if (mine) waiter->unlink_from(owner);
        Thread* thread = waiter->thread;
        owner.lock_.unlock();
        if (mine) process::make_ready(thread);
    }
};

void Event::signal() {
    lock_.lock();
    if (manual_reset_) {
        signaled_ = true;
        EventWaiter* waiters = first_waiter_;
        first_waiter_ = last_waiter_ = nullptr;
        for (EventWaiter* w = waiters; w != nullptr; w = w->next) w->queued = false;
        lock_.unlock();
        while (waiters != nullptr) {  // read `next` first: a woken waiter's node goes away
            EventWaiter* next = waiters->next;
            waiters->signalled = true;
            process::make_ready(waiters->thread);
            waiters = next;
        }
        return;
    }
    EventWaiter* waiter = EventWaiter::pop_first(*this);
    if (waiter == nullptr) signaled_ = true;
    lock_.unlock();
    if (waiter != nullptr) {
        waiter->signalled = true;
        process::make_ready(waiter->thread);
    }
}

void Event::reset() {
    SpinLockGuard guard(lock_);
    signaled_ = false;
}

void Event::wait() { wait_until(hal::kNoDeadline); }

bool Event::wait_for(std::uint64_t nanoseconds) {
    return wait_until(hal::deadline_after(nanoseconds));
}

bool Event::wait_until(std::uint64_t deadline_ns) {
    lock_.lock();
    if (signaled_) {
        if (!manual_reset_) signaled_ = false;
        lock_.unlock();
        return true;
    }
    if (deadline_ns != hal::kNoDeadline && hal::clock_now_ns() >= deadline_ns) {
        lock_.unlock();
        return false;
    }
    EventWaiter waiter{process::this_cpu().current, this};
    waiter.append_to(*this);
    lock_.unlock();
    // The timer can only fire at a scheduling point of this CPU, so arming
    // it after the unlock leaves no gap.
    Timer timeout(EventWaiter::time_out, &waiter);
    if (deadline_ns != hal::kNoDeadline) timeout.arm_at(deadline_ns);
    process::block_current();
    return waiter.signalled;
}

}  // namespace toro
