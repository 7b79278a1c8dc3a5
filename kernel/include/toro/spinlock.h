// A spinlock for short critical sections shared between CPUs.
//
// Kernel threads are cooperative, so a lock is never taken away from its
// holder by the scheduler: hold it for a few instructions, never across
// anything that blocks or switches (wait, sleep, yield).
#pragma once

#include <atomic>

#include "hal/cpu.h"

namespace toro {

class SpinLock {
public:
    void lock() {
        while (locked_.exchange(true, std::memory_order_acquire)) {
            while (locked_.load(std::memory_order_relaxed)) hal::cpu_relax();
        }
    }
    bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
    void unlock() { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

// Holds a SpinLock for the lifetime of the guard.
class SpinLockGuard {
public:
    explicit SpinLockGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinLockGuard() { lock_.unlock(); }
    SpinLockGuard(const SpinLockGuard&) = delete;
    SpinLockGuard& operator=(const SpinLockGuard&) = delete;

private:
    SpinLock& lock_;
};

}  // namespace toro
