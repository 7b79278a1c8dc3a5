// Where a debugger finds the kernel's threads: the address of the per-CPU
// schedulers and the offsets of the fields it reads, in one table of plain
// integers under an unmangled name. tools/gdb/toro.py reads it with raw
// memory reads, so it works on images without DWARF (the bare builds) as
// on hosted ones, and keeps working when a field moves.
#include <cstddef>
#include <cstdint>

#include "process/scheduler.h"

namespace {

constexpr std::uint64_t kLayoutMagic = 0x746f726f74687264;  // "torothrd"
constexpr std::uint64_t kLayoutVersion = 1;

// Field offsets measured on an object: offsetof on types that are not
// standard layout (atomics, alignas) is only conditionally supported.
template <typename Object, typename Field>
std::uint64_t offset(const Object& object, const Field& field) {
    return static_cast<std::uint64_t>(reinterpret_cast<const char*>(&field) -
                                      reinterpret_cast<const char*>(&object));
}

static_assert(static_cast<int>(toro::ThreadState::kReady) == 0 &&
                  static_cast<int>(toro::ThreadState::kRunning) == 1 &&
                  static_cast<int>(toro::ThreadState::kBlocked) == 2 &&
                  static_cast<int>(toro::ThreadState::kDead) == 3,
              "tools/gdb/toro.py names the states by these numbers");
static_assert(sizeof(toro::ThreadState) == 1);

}  // namespace

// Every entry is a 64-bit little-endian integer; version 1's order is
// fixed (new entries go at the end, with a new version).
extern "C" {
struct ToroDebugLayout {
    std::uint64_t magic;
    std::uint64_t version;
    std::uint64_t cpus;           // address of CpuScheduler[kMaxCpus]
    std::uint64_t cpu_stride;     // sizeof(CpuScheduler)
    std::uint64_t cpu_count;      // CPUs the scheduler was initialized for
    std::uint64_t cpu_current;    // CpuScheduler::current
    std::uint64_t cpu_run_queue;  // CpuScheduler::run_queue_head
    std::uint64_t cpu_inbox;      // CpuScheduler::inbox
    std::uint64_t cpu_idle;       // CpuScheduler::idle (a Thread)
    std::uint64_t cpu_threads;    // CpuScheduler::threads
    std::uint64_t thread_stack_pointer;  // Thread::context.stack_pointer
    std::uint64_t thread_name;           // const char*
    std::uint64_t thread_state;          // uint8_t: 0 ready, 1 running, 2 blocked, 3 dead
    std::uint64_t thread_cpu;            // unsigned
    std::uint64_t thread_run_queue_next;
    std::uint64_t thread_inbox_next;
    std::uint64_t thread_cpu_list_next;
};
// Filled by the scheduler's initialize(); all zero until then, which the
// script reports as "the scheduler has not started".
[[gnu::used]] ToroDebugLayout toro_debug_layout;
}

namespace toro::process {

void publish_debug_layout() {
    const CpuScheduler& cpu = all_cpus()[0];
    const Thread& thread = cpu.idle;
    ToroDebugLayout layout{};
    layout.magic = kLayoutMagic;
    layout.version = kLayoutVersion;
    layout.cpus = reinterpret_cast<std::uint64_t>(all_cpus());
    layout.cpu_stride = sizeof(CpuScheduler);
    layout.cpu_count = started_cpu_count();
    layout.cpu_current = offset(cpu, cpu.current);
    layout.cpu_run_queue = offset(cpu, cpu.run_queue_head);
    layout.cpu_inbox = offset(cpu, cpu.inbox);
    layout.cpu_idle = offset(cpu, cpu.idle);
    layout.cpu_threads = offset(cpu, cpu.threads);
    layout.thread_stack_pointer = offset(thread, thread.context.stack_pointer);
    layout.thread_name = offset(thread, thread.name);
    layout.thread_state = offset(thread, thread.state);
    layout.thread_cpu = offset(thread, thread.cpu);
    layout.thread_run_queue_next = offset(thread, thread.run_queue_next);
    layout.thread_inbox_next = offset(thread, thread.inbox_next);
    layout.thread_cpu_list_next = offset(thread, thread.cpu_list_next);
    toro_debug_layout = layout;
}

}  // namespace toro::process
