// A sleeping lock for critical sections that may block (disk I/O, waits).
// Unlike SpinLock, a thread may wait, sleep or do I/O while holding it;
// contenders sleep on an event instead of spinning. Not recursive.
#pragma once

#include <atomic>

#include "toro/event.h"

namespace toro {

class Mutex {
public:
    // Kernel threads only.
    void lock() {
        while (locked_.exchange(true, std::memory_order_acquire)) released_.wait();
    }
    void unlock() {
        locked_.store(false, std::memory_order_release);
        released_.signal();  // an auto-reset event remembers one signal
    }

private:
    std::atomic<bool> locked_{false};
    Event released_;
};

class MutexGuard {
public:
    explicit MutexGuard(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
    ~MutexGuard() { mutex_.unlock(); }
    MutexGuard(const MutexGuard&) = delete;
    MutexGuard& operator=(const MutexGuard&) = delete;

private:
    Mutex& mutex_;
};

}  // namespace toro
