// Process unit: context switch and thread create+join, each beside the
// host's nearest equivalent.
#include <benchmark/benchmark.h>
#include <ucontext.h>

#include <thread>

#include "kernel_harness.h"
#include "toro/toro.h"

namespace {

// One iteration = two switches: to the partner and back.
void switch_toro(benchmark::State& state) {
    toro_test::boot(1, [&] {
        bool done = false;
        toro::Thread* partner = toro::spawn([&done] {
            while (!done) toro::yield();
            return 0;
        });
        for (auto _ : state) toro::yield();
        done = true;
        toro::join(partner);
        return 0;
    });
}

ucontext_t bench_context, partner_context;
void partner_loop() {
    for (;;) swapcontext(&partner_context, &bench_context);
}

// glibc's user-level switch, also two per iteration.
void switch_baseline_swapcontext(benchmark::State& state) {
    static char stack[64 * 1024];
    getcontext(&partner_context);
    partner_context.uc_stack.ss_sp = stack;
    partner_context.uc_stack.ss_size = sizeof stack;
    partner_context.uc_link = nullptr;
    makecontext(&partner_context, partner_loop, 0);
    for (auto _ : state) swapcontext(&bench_context, &partner_context);
}

void thread_create_join_toro(benchmark::State& state) {
    toro_test::boot(1, [&] {
        for (auto _ : state) {
            toro::Thread* thread = toro::spawn([] { return 0; });
            benchmark::DoNotOptimize(toro::join(thread));
        }
        return 0;
    });
}

void thread_create_join_baseline_pthread(benchmark::State& state) {
    for (auto _ : state) {
        std::thread thread([] {});
        thread.join();
    }
}

}  // namespace

BENCHMARK(switch_toro)->Name("switch/toro")->UseRealTime();
BENCHMARK(switch_baseline_swapcontext)->Name("switch/baseline")->UseRealTime();
BENCHMARK(thread_create_join_toro)->Name("thread_create_join/toro")->UseRealTime();
BENCHMARK(thread_create_join_baseline_pthread)
    ->Name("thread_create_join/baseline")
    ->UseRealTime();
