// Events: wake across CPUs, no lost signals, timeouts, manual reset; and
// HAL events raised from a host thread.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "hal/events.h"
#include "kernel_harness.h"
#include "process/scheduler.h"
#include "toro/toro.h"

namespace {

using toro_test::boot;

toro::ThreadOptions on_cpu(unsigned cpu) {
    toro::ThreadOptions options;
    options.cpu = cpu;
    return options;
}

TEST(Event, SignalBeforeWaitIsNotLost) {
    int status = boot(1, [] {
        toro::Event event;
        event.signal();
        event.signal();  // remembered once, not twice
        event.wait();
        return event.wait_for(1000000) ? 1 : 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Event, SignalWakesAWaiterOnAnotherCpu) {
    std::atomic<unsigned> woke_on{99};
    int status = boot(2, [&] {
        toro::Event event;
        toro::Thread* waiter = toro::spawn([&] {
            event.wait();
            woke_on = toro::current_cpu();
            return 0;
        }, on_cpu(1));
        toro::sleep_ms(2);
        event.signal();
        return toro::join(waiter);
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(woke_on.load(), 1u);
}

TEST(Event, WaitUntilTimesOutNoEarlierThanTheDeadline) {
    std::uint64_t deadline = 0, returned = 0;
    bool signalled = true;
    int status = boot(1, [&] {
        toro::Event event;
        deadline = toro::now_ns() + 3000000;
        signalled = event.wait_until(deadline);
        returned = toro::now_ns();
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_FALSE(signalled);
    EXPECT_GE(returned, deadline);
}

// The signal wins, and the timeout's timer is disarmed: its deadline is
// gone from the CPU's queue, and a second wait on the same event (whose
// waiter lies where the first one lay, on the same stack) is neither
// woken nor timed out by it, only by its own, later deadline.
TEST(Event, SignalBeatsTheTimeoutAndTheTimerStaysQuiet) {
    std::uint64_t first_deadline = 0, second_deadline = 0, returned = 0;
    int status = boot(2, [&] {
        toro::Event event;
        toro::spawn([&event] {
            event.signal();
            return 0;
        }, on_cpu(1));
        first_deadline = toro::now_ns() + 200'000'000;
        if (!event.wait_until(first_deadline)) return 1;
        if (toro::process::this_cpu().timers.next_deadline() == first_deadline) return 2;
        second_deadline = first_deadline + 300'000'000;
        if (event.wait_until(second_deadline)) return 3;
        returned = toro::now_ns();
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_GE(returned, second_deadline);
}

// A timeout longer than the clock can count waits for the signal, however
// late it comes, instead of timing out at once.
TEST(Event, WaitForBeyondTheClockWaitsForTheSignal) {
    std::atomic<int> returned{0};
    std::atomic<bool> signalled{false};
    int status = boot(2, [&] {
        toro::Event event;
        toro::Thread* waiter = toro::spawn([&] {
            signalled = event.wait_for(~0ull);
            returned++;
            return 0;
        }, on_cpu(1));
        toro::sleep_ms(20);
        if (returned.load() != 0) return 1;
        event.signal();
        return toro::join(waiter);
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(returned.load(), 1);
    EXPECT_TRUE(signalled.load());
}

TEST(Event, ManualResetReleasesEveryWaiterUntilReset) {
    std::atomic<int> released{0};
    int status = boot(4, [&] {
        toro::Event gate(toro::Event::Reset::kManual);
        std::vector<toro::Thread*> threads;
        for (unsigned i = 0; i < 12; ++i) {
            threads.push_back(toro::spawn([&] {
                gate.wait();
                released++;
                return 0;
            }, on_cpu(i % 4)));
        }
        toro::sleep_ms(2);
        if (released.load() != 0) return 1;
        gate.signal();
        for (toro::Thread* thread : threads) toro::join(thread);
        if (!gate.wait_for(0)) return 2;  // still signalled
        gate.reset();
        return gate.wait_for(1000) ? 3 : 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(released.load(), 12);
}

// Ping-pong across two CPUs many times: a lost wake-up would hang here.
TEST(Event, PingPongAcrossCpusLosesNoWakeups) {
    int status = boot(2, [] {
        toro::Event ping, pong;
        constexpr int kRounds = 20000;
        toro::Thread* partner = toro::spawn([&] {
            for (int i = 0; i < kRounds; ++i) {
                ping.wait();
                pong.signal();
            }
            return 0;
        }, on_cpu(1));
        for (int i = 0; i < kRounds; ++i) {
            ping.signal();
            pong.wait();
        }
        return toro::join(partner);
    });
    EXPECT_EQ(status, 0);
}

struct HostEvent {
    toro::Event arrived;
    std::atomic<unsigned> handled_on{99};
    std::atomic<int> calls{0};
};

TEST(Event, HalEventRaisedByAHostThreadRunsItsHandlerOnItsCpu) {
    HostEvent state;
    int status = boot(2, [&] {
        hal::EventId id = hal::event_bind(1, [](void* argument) {
            auto* s = static_cast<HostEvent*>(argument);
            s->handled_on = hal::cpu_current();
            s->calls++;
            s->arrived.signal();
        }, &state);
        if (id == hal::kNoEvent) return 1;
        std::thread device([id] { hal::event_raise(id); });
        bool arrived = state.arrived.wait_for(5000000000ull);
        device.join();
        return arrived ? 0 : 2;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(state.handled_on.load(), 1u);
    EXPECT_EQ(state.calls.load(), 1);
}

// A raise of an id that names no bound event (kNoEvent, a CPU past the
// last, a slot never bound) is ignored: no handler runs, nothing crashes,
// and the events that are bound still work.
TEST(Event, RaisingAnIdOfNoBoundEventIsIgnored) {
    HostEvent state;
    int status = boot(2, [&] {
        hal::EventId id = hal::event_bind(1, [](void* argument) {
            auto* s = static_cast<HostEvent*>(argument);
            s->calls++;
            s->arrived.signal();
        }, &state);
        if (id == hal::kNoEvent) return 1;
        for (hal::EventId bogus : {hal::kNoEvent, hal::kNoEvent - 1, hal::EventId{64 * 64},
                                   hal::EventId{2 * 64}, id + 1, hal::EventId{63}}) {
            hal::event_raise(bogus);
        }
        toro::sleep_ms(2);  // both CPUs pass scheduling points
        if (state.calls.load() != 0) return 2;
        hal::event_raise(id);
        return state.arrived.wait_for(5000000000ull) ? 0 : 3;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(state.calls.load(), 1);
}

TEST(Event, BindingMoreThanSixtyFourEventsOnACpuFails) {
    int status = boot(1, [] {
        auto handler = [](void*) {};
        for (int i = 0; i < 64; ++i) {
            if (hal::event_bind(0, handler, nullptr) == hal::kNoEvent) return 1;
        }
        if (hal::event_bind(0, handler, nullptr) != hal::kNoEvent) return 2;
        return hal::event_bind(5, handler, nullptr) == hal::kNoEvent ? 0 : 3;
    });
    EXPECT_EQ(status, 0);
}

}  // namespace
