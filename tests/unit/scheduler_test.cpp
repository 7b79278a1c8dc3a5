// The Process unit's scheduler: ordering, sleeping, remote creation, join,
// exit, timers. Each test boots a hosted kernel and checks what its threads
// observed.
#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "hal/cpu.h"
#include "kernel_harness.h"
#include "process/scheduler.h"
#include "toro/toro.h"

namespace {

using toro_test::boot;

toro::ThreadOptions on_cpu(unsigned cpu, const char* name = "test") {
    toro::ThreadOptions options;
    options.cpu = cpu;
    options.name = name;
    return options;
}

TEST(Scheduler, YieldRunsReadyThreadsInCreationOrder) {
    std::string log;
    int status = boot(1, [&] {
        toro::Thread* threads[3];
        for (int i = 0; i < 3; ++i) {
            threads[i] = toro::spawn([&log, i] {
                for (int round = 0; round < 3; ++round) {
                    log += static_cast<char>('A' + i);
                    toro::yield();
                }
                return 0;
            });
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(log, "ABCABCABC");
}

TEST(Scheduler, ThreadsMadeReadyFromAnotherCpuRunInOrder) {
    std::string log;
    int status = boot(2, [&] {
        toro::Thread* threads[5];
        for (int i = 0; i < 5; ++i) {
            threads[i] = toro::spawn(
                [&log, i] {
                    log += static_cast<char>('0' + i);
                    return 0;
                },
                on_cpu(1));
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(log, "01234");
}

TEST(Scheduler, SleepNeverReturnsEarly) {
    std::atomic<int> early{0};
    std::atomic<int> done{0};
    int status = boot(4, [&] {
        std::vector<toro::Thread*> threads;
        for (unsigned i = 0; i < 16; ++i) {
            threads.push_back(toro::spawn(
                [&, i] {
                    for (std::uint64_t ns : {1ull, 1000ull, 50000ull, 1000000ull + i * 100000}) {
                        std::uint64_t start = toro::now_ns();
                        toro::sleep_ns(ns);
                        if (toro::now_ns() - start < ns) early++;
                    }
                    done++;
                    return 0;
                },
                on_cpu(i % 4)));
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(done.load(), 16);
    EXPECT_EQ(early.load(), 0);
}

TEST(Scheduler, SleepersWakeInDeadlineOrder) {
    std::string log;
    int status = boot(1, [&] {
        toro::Thread* threads[3];
        const int delays_ms[3] = {30, 10, 20};
        for (int i = 0; i < 3; ++i) {
            int delay = delays_ms[i];
            threads[i] = toro::spawn([&log, delay] {
                toro::sleep_ms(delay);
                log += std::to_string(delay) + " ";
                return 0;
            });
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(log, "10 20 30 ");
}

TEST(Scheduler, ThreadsRunOnTheirChosenCpuAndNeverMigrate) {
    std::atomic<int> misplaced{0};
    int status = boot(4, [&] {
        std::vector<toro::Thread*> threads;
        for (unsigned i = 0; i < 32; ++i) {
            unsigned cpu = i % 4;
            threads.push_back(toro::spawn(
                [&misplaced, cpu] {
                    for (int round = 0; round < 50; ++round) {
                        if (toro::current_cpu() != cpu) misplaced++;
                        if (round % 2) toro::yield(); else toro::sleep_ns(1000);
                    }
                    return 0;
                },
                on_cpu(cpu)));
        }
        for (toro::Thread* thread : threads) toro::join(thread);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(misplaced.load(), 0);
}

// The per-CPU list the debugger reads (tools/gdb/toro.py): a thread is in
// its CPU's list from its first run until its stack is freed, blocked or not.
bool listed(unsigned cpu, const toro::Thread* thread) {
    for (const toro::Thread* t = toro::process::all_cpus()[cpu].threads; t != nullptr;
         t = t->cpu_list_next) {
        if (t == thread) return true;
    }
    return false;
}

TEST(Scheduler, EveryStartedThreadIsListedOnItsCpuUntilReaped) {
    int status = boot(2, [] {
        toro::Event go;
        toro::Thread* waiter = toro::spawn([&go] {
            go.wait();
            return 0;
        }, on_cpu(1, "waiter"));
        if (waiter == nullptr) return 1;
        while (waiter->state != toro::ThreadState::kBlocked) toro::yield();
        if (!listed(1, waiter) || listed(0, waiter)) return 3;
        if (!listed(0, toro::current_thread())) return 4;
        go.signal();
        toro::join(waiter);
        return listed(1, waiter) ? 5 : 0;  // join returned: reaped (the record is freed, not read)
    });
    EXPECT_EQ(status, 0);
}

TEST(Scheduler, SpawnOnAMissingCpuFails) {
    int status = boot(2, [] {
        if (toro::spawn([] { return 0; }, on_cpu(2)) != nullptr) return 1;
        if (toro::spawn(nullptr, nullptr, on_cpu(0)) != nullptr) return 2;
        return 0;
    });
    EXPECT_EQ(status, 0);
}

// A stack size beyond 2^63 bytes has no power-of-two page count; it must be
// refused, not send the rounding loop round forever.
TEST(Scheduler, SpawnWithAnImpossibleStackSizeFails) {
    int status = boot(1, [] {
        toro::ThreadOptions options = on_cpu(0);
        options.stack_size = SIZE_MAX;
        if (toro::spawn([] { return 0; }, options) != nullptr) return 1;
        options.stack_size = (std::size_t{1} << 63) + 1;
        if (toro::spawn([] { return 0; }, options) != nullptr) return 2;
        return 0;
    });
    EXPECT_EQ(status, 0);
}

TEST(Scheduler, JoinGivesTheExitCodeFromAnyCpu) {
    std::vector<int> codes;
    int status = boot(3, [&] {
        std::vector<toro::Thread*> threads;
        for (int i = 0; i < 9; ++i) {
            threads.push_back(toro::spawn(
                [i] {
                    toro::sleep_ns(static_cast<std::uint64_t>(i) * 20000);
                    if (i == 4) toro::thread_exit(400);
                    return i * 10;
                },
                on_cpu(static_cast<unsigned>(i) % 3)));
        }
        for (toro::Thread* thread : threads) codes.push_back(toro::join(thread));
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(codes, (std::vector<int>{0, 10, 20, 30, 400, 50, 60, 70, 80}));
}

// Thousands of threads come and go; their stacks and records all return.
TEST(Scheduler, ExitedThreadsGiveBackTheirMemory) {
    std::size_t objects_before = 0, objects_after = 0;
    std::size_t pages_before = 0, pages_after = 0;
    int status = boot(4, [&] {
        toro::MemoryStats before = toro::memory_stats();
        objects_before = before.objects_in_use;
        pages_before = before.page_bytes_in_use;
        for (int batch = 0; batch < 20; ++batch) {
            toro::Thread* threads[200];
            for (unsigned i = 0; i < 200; ++i) {
                threads[i] = toro::spawn([] { return 0; }, on_cpu(i % 4));
                if (threads[i] == nullptr) return 1;
            }
            for (toro::Thread* thread : threads) toro::join(thread);
        }
        toro::ThreadOptions detached = on_cpu(1);
        detached.detached = true;
        toro::Event finished;
        for (int i = 0; i < 100; ++i) {
            toro::spawn([&finished, i] {
                if (i == 99) finished.signal();
                return 0;
            }, detached);
        }
        finished.wait();
        // The last detached thread's stack goes after it leaves, whenever
        // its CPU gets to it: look until it has (or for 10 s, a leak).
        toro::MemoryStats after = toro::memory_stats();
        for (int waited = 0; waited < 10000 && (after.objects_in_use != objects_before ||
                                                after.page_bytes_in_use != pages_before);
             ++waited) {
            toro::sleep_ms(1);
            after = toro::memory_stats();
        }
        objects_after = after.objects_in_use;
        pages_after = after.page_bytes_in_use;
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(objects_after, objects_before);
    EXPECT_EQ(pages_after, pages_before);
}

TEST(Scheduler, ExitFromAnyCpuStopsTheMachineWithItsCode) {
    int status = boot(4, [] {
        toro::spawn([]() -> int { toro::exit(42); }, on_cpu(3));
        for (;;) toro::sleep_ms(1);
        return 0;
    });
    EXPECT_EQ(status, 42);
}

TEST(Scheduler, ReturnFromMainIsTheExitStatus) {
    EXPECT_EQ(boot(1, [] { return 7; }), 7);
    EXPECT_EQ(boot(2, [] { return 0; }), 0);
}

TEST(Scheduler, MachinesBootOneAfterAnother) {
    for (unsigned cpus = 1; cpus <= 4; ++cpus) {
        std::atomic<unsigned> seen{0};
        int status = boot(cpus, [&] {
            std::vector<toro::Thread*> threads;
            for (unsigned cpu = 0; cpu < toro::cpu_count(); ++cpu) {
                threads.push_back(toro::spawn([&seen] { seen++; return 0; }, on_cpu(cpu)));
            }
            for (toro::Thread* thread : threads) toro::join(thread);
            return 0;
        });
        EXPECT_EQ(status, 0);
        EXPECT_EQ(seen.load(), cpus);
    }
}

struct TimerLog {
    std::vector<int> fired;
    std::uint64_t deadline = 0;
    std::uint64_t fired_at = 0;
    toro::Event done;
};

TEST(Scheduler, TimerFiresOnceAfterItsDeadlineAndCancelledOnesNever) {
    TimerLog log;
    int status = boot(1, [&] {
        toro::Timer first([](void* a) {
            auto* l = static_cast<TimerLog*>(a);
            l->fired.push_back(1);
            l->fired_at = toro::now_ns();
            l->done.signal();
        }, &log);
        toro::Timer cancelled([](void* a) { static_cast<TimerLog*>(a)->fired.push_back(2); }, &log);
        log.deadline = toro::now_ns() + 2000000;
        first.arm_at(log.deadline);
        cancelled.arm_after(1000000);
        if (!cancelled.cancel()) return 1;
        if (cancelled.cancel()) return 2;  // already disarmed
        log.done.wait();
        toro::sleep_ms(3);
        return first.armed() ? 3 : 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(log.fired, std::vector<int>{1});
    EXPECT_GE(log.fired_at, log.deadline);
}

// A timer armed further ahead than the clock can count is due never, not
// (wrapped around) at once.
TEST(Scheduler, ATimerArmedBeyondTheClockIsNeverDue) {
    std::atomic<int> fired{0};
    std::uint64_t deadlines[2] = {};
    int status = boot(1, [&] {
        toro::Timer longest([](void* a) { static_cast<std::atomic<int>*>(a)->fetch_add(1); }, &fired);
        toro::Timer nearly([](void* a) { static_cast<std::atomic<int>*>(a)->fetch_add(1); }, &fired);
        longest.arm_after(~0ull);
        nearly.arm_after(~0ull - 1000);
        deadlines[0] = longest.deadline();
        deadlines[1] = nearly.deadline();
        toro::sleep_ms(2);
        return longest.armed() && nearly.armed() ? 0 : 1;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(deadlines[0], hal::kNoDeadline);
    EXPECT_EQ(deadlines[1], hal::kNoDeadline);
    EXPECT_EQ(fired.load(), 0);
}

// sleep_ns of more than the clock can count sleeps for good: the sleeper
// has not woken 20 ms later (the machine then stops with it asleep).
TEST(Scheduler, SleepBeyondTheClockDoesNotReturn) {
    std::atomic<int> woke{0};
    int status = boot(1, [&] {
        toro::ThreadOptions options = on_cpu(0, "sleeper");
        options.detached = true;
        for (std::uint64_t ns : {~0ull, ~0ull - 1000}) {
            toro::spawn([&woke, ns] {
                toro::sleep_ns(ns);
                woke++;
                return 0;
            }, options);
        }
        toro::spawn([&woke] {
            toro::sleep_ms(~0ull / 1000000 + 1);  // * 10^6 wraps to 448384 ns
            woke++;
            return 0;
        }, options);
        toro::sleep_ms(20);
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(woke.load(), 0);
}

TEST(Scheduler, CommandLineWordsBecomeArgv) {
    toro_test::MachineShape shape;
    shape.command_line = "  one \"two words\"  three\t\"\" ";
    std::vector<std::string> words;
    int status = toro_test::boot(shape, [&](int argc, char** argv) {
        for (int i = 0; i < argc; ++i) words.push_back(argv[i]);
        return argv[argc] == nullptr ? 0 : 1;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(words, (std::vector<std::string>{"test", "one", "two words", "three", ""}));
}

double process_cpu_seconds() {
    timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Four CPUs, all idle for 300 ms: a CPU that spun instead of halting would
// burn 300 ms of host CPU time by itself, so half that is the bound (the
// timer ticks and wake-ups of a loaded host stay far below it).
TEST(Scheduler, IdleCpusUseNoHostCpu) {
    double used = 0;
    int status = boot(4, [&] {
        double start = process_cpu_seconds();
        toro::sleep_ms(300);
        used = process_cpu_seconds() - start;
        return 0;
    });
    EXPECT_EQ(status, 0);
    EXPECT_LT(used, 0.15);
}

}  // namespace
