// Memory unit: allocation beside glibc malloc, on one CPU and with frees
// on a second CPU.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "kernel_harness.h"
#include "toro/toro.h"

namespace {

constexpr int kBatch = 64;

// One iteration: allocate kBatch objects, then free them all.
void alloc_free_toro(benchmark::State& state) {
    auto size = static_cast<std::size_t>(state.range(0));
    toro_test::boot(1, [&] {
        void* objects[kBatch];
        for (auto _ : state) {
            for (void*& object : objects) object = toro::allocate(size);
            benchmark::DoNotOptimize(objects);
            for (void* object : objects) toro::free(object);
        }
        return 0;
    });
    state.SetItemsProcessed(state.iterations() * kBatch);
}

void alloc_free_baseline(benchmark::State& state) {
    auto size = static_cast<std::size_t>(state.range(0));
    void* objects[kBatch];
    for (auto _ : state) {
        for (void*& object : objects) object = std::malloc(size);
        benchmark::DoNotOptimize(objects);
        for (void* object : objects) std::free(object);
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

// Host-side single-producer single-consumer ring for the baseline, the
// same capacity as the kernel's queue in the Toro variant.
class HostRing {
public:
    bool push(void* value) {
        std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_.load(std::memory_order_acquire) == kCapacity) return false;
        slots_[tail % kCapacity] = value;
        tail_.store(tail + 1, std::memory_order_release);
        return true;
    }
    bool pop(void** value) {
        std::size_t head = head_.load(std::memory_order_relaxed);
        if (head == tail_.load(std::memory_order_acquire)) return false;
        *value = slots_[head % kCapacity];
        head_.store(head + 1, std::memory_order_release);
        return true;
    }

private:
    static constexpr std::size_t kCapacity = 1024;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
    void* slots_[kCapacity];
};

// One iteration: CPU 0 allocates an object and passes it to CPU 1, which
// frees it there (a remote free, back to CPU 0's slabs).
void remote_free_toro(benchmark::State& state) {
    auto size = static_cast<std::size_t>(state.range(0));
    toro_test::boot(2, [&] {
        using Queue = toro::MessageQueue<void*, 1024>;
        Queue* queue = toro::make<Queue>();
        toro::ThreadOptions on_second_cpu;
        on_second_cpu.cpu = 1;
        toro::Thread* freer = toro::spawn([queue] {
            for (;;) {
                void* object = nullptr;
                if (!queue->try_receive(object)) {
                    toro::yield();
                    continue;
                }
                if (object == nullptr) return 0;
                toro::free(object);
            }
        }, on_second_cpu);
        for (auto _ : state) {
            void* object = toro::allocate(size);
            while (!queue->try_send(object)) toro::yield();
        }
        while (!queue->try_send(nullptr)) toro::yield();
        toro::join(freer);
        toro::destroy(queue);
        return 0;
    });
}

void remote_free_baseline(benchmark::State& state) {
    auto size = static_cast<std::size_t>(state.range(0));
    auto* ring = new HostRing;
    std::thread freer([ring] {
        for (;;) {
            void* object = nullptr;
            if (!ring->pop(&object)) {
                std::this_thread::yield();
                continue;
            }
            if (object == nullptr) return;
            std::free(object);
        }
    });
    for (auto _ : state) {
        void* object = std::malloc(size);
        while (!ring->push(object)) std::this_thread::yield();
    }
    while (!ring->push(nullptr)) std::this_thread::yield();
    freer.join();
    delete ring;
}

}  // namespace

BENCHMARK(alloc_free_toro)->Name("alloc_free/toro")->Arg(16)->Arg(64)->Arg(256)->Arg(2048)->UseRealTime();
BENCHMARK(alloc_free_baseline)->Name("alloc_free/baseline")->Arg(16)->Arg(64)->Arg(256)->Arg(2048)->UseRealTime();
BENCHMARK(remote_free_toro)->Name("remote_free/toro")->Arg(64)->UseRealTime();
BENCHMARK(remote_free_baseline)->Name("remote_free/baseline")->Arg(64)->UseRealTime();
