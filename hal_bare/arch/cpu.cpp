// CPUs, contexts, the clock, events and power on bare x86-64.
//
// This cut runs the boot CPU only (BootInfo says one CPU); SMP start-up is
// the next step (docs/boot.md). Idle halts with interrupts enabled, woken
// by the local APIC timer at its deadline or by a wake IPI; interrupts are
// enabled nowhere else, which keeps the events.h contract (handlers run
// between threads) without interrupt-safe locks in the kernel.
#include <atomic>
#include <cstdint>

#include "arch/apic.h"
#include "bare.h"
#include "hal/boot.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"
#include "hal/power.h"

extern "C" void toro_switch_stacks(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void toro_context_trampoline();
extern "C" char boot_stack[];

namespace {

constexpr unsigned kEventsPerCpu = 64;
constexpr std::uint16_t kDebugExitPort = 0xF4;

struct EventSlot {
    hal::EventHandler handler;
    void* argument;
};

struct CpuState {
    const hal::Context* current = nullptr;
    std::atomic<std::uint64_t> pending_events{0};
    std::atomic<unsigned> event_count{0};
    std::atomic<bool> wake{false};
    EventSlot events[kEventsPerCpu] = {};
};

unsigned cpus_online = 1;
CpuState cpu_states[hal::kMaxCpus];
hal::Context boot_context;

std::uint64_t read_tsc() {
    std::uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (std::uint64_t{high} << 32) | low;
}

// TSC ticks per microsecond, measured once against the PIT (1.193182 MHz)
// on first use of the clock, so that boot does not pay for it.
std::uint64_t tsc_per_microsecond = 0;
std::uint64_t tsc_origin = 0;

void calibrate_tsc() {
    constexpr std::uint32_t kPitHz = 1193182;
    constexpr std::uint32_t kTicks = kPitHz / 100;  // 10 ms
    bare::out8(0x61, static_cast<std::uint8_t>((bare::in8(0x61) & ~0x02) | 0x01));  // gate on, speaker off
    bare::out8(0x43, 0xB0);  // channel 2, lobyte/hibyte, mode 0
    bare::out8(0x42, kTicks & 0xFF);
    bare::out8(0x42, kTicks >> 8);
    std::uint64_t start = read_tsc();
    while ((bare::in8(0x61) & 0x20) == 0) {
    }
    std::uint64_t elapsed = read_tsc() - start;
    tsc_per_microsecond = elapsed / 10000;
    if (tsc_per_microsecond == 0) tsc_per_microsecond = 1;
}

}  // namespace

namespace bare {

void cpu_initialize(unsigned cpu_count) {
    cpus_online = cpu_count;
    boot_context.name = "boot";
    boot_context.stack_base = boot_stack;
    boot_context.stack_size = 64 * 1024;
    cpu_states[0].current = &boot_context;
    apic_enable();
}

}  // namespace bare

extern "C" [[noreturn]] void toro_context_entry(hal::Context* context, void (*entry)(void*),
                                                void* argument) {
    cpu_states[hal::cpu_current()].current = context;
    entry(argument);
    __builtin_trap();
}

namespace hal {

unsigned cpu_count() { return cpus_online; }
unsigned cpu_current() { return 0; }

void cpu_start_secondaries(void (*)(unsigned)) {}  // one CPU until SMP start-up exists

void cpu_idle_until(std::uint64_t deadline_ns) {
    CpuState& cpu = cpu_states[cpu_current()];
    for (;;) {
        bool dispatched = cpu.pending_events.load(std::memory_order_relaxed) != 0;
        events_dispatch();
        if (cpu.wake.exchange(false) || dispatched) return;
        if (deadline_ns != kNoDeadline) {
            std::uint64_t now = clock_now_ns();
            if (now >= deadline_ns) return;
            bare::apic_arm_timer(now, deadline_ns);
        }
        // sti takes effect after hlt begins: an interrupt already pending
        // (a wake sent while we checked) ends the halt at once.
        asm volatile("sti; hlt; cli" ::: "memory");
    }
}

void cpu_wake(unsigned cpu_id) { cpu_states[cpu_id].wake.store(true); }
void cpu_relax() { asm volatile("pause"); }

void context_create(Context* context, void* stack_base, std::size_t stack_size,
                    void (*entry)(void*), void* argument, const char* name) {
    *context = Context{};
    context->stack_base = stack_base;
    context->stack_size = stack_size;
    context->name = name;
    auto base = reinterpret_cast<std::uintptr_t>(stack_base);
    auto top = (base + stack_size) & ~std::uintptr_t{15};
    auto* frame = reinterpret_cast<std::uintptr_t*>(top - 72);
    frame[0] = frame[1] = frame[5] = frame[7] = frame[8] = 0;    // r15 r14 rbp, end of chain
    frame[2] = reinterpret_cast<std::uintptr_t>(argument);      // r13
    frame[3] = reinterpret_cast<std::uintptr_t>(entry);         // r12
    frame[4] = reinterpret_cast<std::uintptr_t>(context);       // rbx
    frame[6] = reinterpret_cast<std::uintptr_t>(&toro_context_trampoline);
    context->stack_pointer = frame;
}

void context_adopt_current(Context* context, const char* name) {
    CpuState& cpu = cpu_states[cpu_current()];
    *context = Context{};
    context->name = name;
    context->stack_base = cpu.current->stack_base;
    context->stack_size = cpu.current->stack_size;
    cpu.current = context;
}

void context_switch(Context* from, Context* to) {
    CpuState& cpu = cpu_states[cpu_current()];
    cpu.current = to;
    toro_switch_stacks(&from->stack_pointer, to->stack_pointer);
    cpu.current = from;
}

void context_destroy(Context* context) { *context = Context{}; }

const Context* context_current() { return cpu_states[cpu_current()].current; }

std::uint64_t clock_now_ns() {
    if (tsc_per_microsecond == 0) {
        calibrate_tsc();
        tsc_origin = read_tsc();
    }
    return (read_tsc() - tsc_origin) * 1000 / tsc_per_microsecond;
}

EventId event_bind(unsigned cpu_id, EventHandler handler, void* argument) {
    if (cpu_id >= cpu_count() || handler == nullptr) return kNoEvent;
    CpuState& cpu = cpu_states[cpu_id];
    unsigned slot = cpu.event_count.fetch_add(1);
    if (slot >= kEventsPerCpu) {
        cpu.event_count.fetch_sub(1);
        return kNoEvent;
    }
    cpu.events[slot] = {handler, argument};
    return cpu_id * kEventsPerCpu + slot;
}

void event_raise(EventId event) {
    unsigned cpu_id = event / kEventsPerCpu;
    cpu_states[cpu_id].pending_events.fetch_or(std::uint64_t{1} << (event % kEventsPerCpu));
    cpu_wake(cpu_id);
}

void events_dispatch() {
    CpuState& cpu = cpu_states[cpu_current()];
    if (cpu.pending_events.load(std::memory_order_relaxed) == 0) return;
    std::uint64_t pending = cpu.pending_events.exchange(0, std::memory_order_acquire);
    while (pending != 0) {
        unsigned slot = static_cast<unsigned>(__builtin_ctzll(pending));
        pending &= pending - 1;
        cpu.events[slot].handler(cpu.events[slot].argument);
    }
}

// isa-debug-exit turns the write into QEMU's exit status 2*code+1; without
// the device the write is ignored and the CPU halts for good.
void power_off(int code) {
    bare::out32(kDebugExitPort, static_cast<std::uint32_t>(code));
    for (;;) asm volatile("cli; hlt");
}

}  // namespace hal
