// CPUs, contexts, the clock, events and power on bare x86-64.
//
// Every CPU of the MADT is started by cpu_start_secondaries (INIT-SIPI-
// SIPI through the trampoline at 0x8000). Each CPU finds its index through
// GS, whose base is its own CpuState. Idle halts with interrupts enabled, woken
// by the local APIC timer at its deadline or by a wake IPI. Elsewhere
// interrupts are enabled only in the window events_dispatch opens at every
// scheduling point, so a CPU that never idles still takes its device
// interrupts, and handlers still run only between threads (the events.h
// contract) without interrupt-safe locks in the kernel.
#include <atomic>
#include <cstdint>

#include "arch/apic.h"
#include "arch/tsc_time.h"
#include "bare.h"
#include "hal/boot.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"
#include "hal/power.h"

extern "C" void toro_switch_stacks(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void toro_context_trampoline();
extern "C" char boot_stack[];
extern "C" const char trampoline_start[];
extern "C" const char trampoline_end[];
// Read by the trampoline's long-mode code for the AP being started.
extern "C" std::uint64_t ap_stack_top;
extern "C" std::uint32_t ap_cpu_index;
std::uint64_t ap_stack_top = 0;
std::uint32_t ap_cpu_index = 0;

namespace {

constexpr unsigned kEventsPerCpu = 64;
constexpr std::uint16_t kDebugExitPort = 0xF4;

struct EventSlot {
    hal::EventHandler handler;
    void* argument;
};

struct CpuState {
    unsigned index = 0;  // first: read as %gs:0 by cpu_current()
    std::uint32_t apic_id = 0;
    std::atomic<bool> started{false};
    hal::Context boot_context;
    const hal::Context* current = nullptr;
    std::atomic<std::uint64_t> pending_events{0};
    std::atomic<unsigned> event_count{0};
    std::atomic<bool> wake{false};
    EventSlot events[kEventsPerCpu] = {};
    // A bit per slot whose handler is written (release): only those can be
    // raised, so a wrong id never reaches an empty slot.
    std::atomic<std::uint64_t> bound_events{0};
};

using bare::kApStackBytes;
using bare::kFaultStackBytes;
constexpr std::uintptr_t kTrampolineBase = 0x8000;

unsigned cpus_online = 1;
CpuState cpu_states[hal::kMaxCpus];
// Fault stacks (each CPU's double-fault stack, then its page-fault
// stack), then the APs' boot stacks, cut from RAM by bare_start (not in
// .bss: the multiboot loader copies .bss as zeros, and 2 MiB of it cost
// milliseconds of boot).
char* fault_stacks = nullptr;
char* ap_stacks = nullptr;

char* double_fault_stack_top(unsigned cpu) {
    return fault_stacks + (2 * cpu + 1) * kFaultStackBytes;
}
char* page_fault_stack_top(unsigned cpu) {
    return fault_stacks + (2 * cpu + 2) * kFaultStackBytes;
}
void load_gdt(unsigned cpu) {
    bare::gdt_load(cpu, double_fault_stack_top(cpu), page_fault_stack_top(cpu));
}
void (*secondary_entry)(unsigned) = nullptr;

void set_gs_base(CpuState* state) {
    auto value = reinterpret_cast<std::uint64_t>(state);
    asm volatile("wrmsr" : : "c"(0xC0000101), "a"(static_cast<std::uint32_t>(value)),
                 "d"(static_cast<std::uint32_t>(value >> 32)));
}

// TSC ticks per microsecond, measured once against PIT channel 0
// (1.193182 MHz) on first use of the clock, so that boot does not pay for
// it. Channel 0 and its latch command need only the PIT itself (microvm has
// no port 0x61 to gate channel 2); its IRQ stays masked at the PIC.
std::uint64_t tsc_per_microsecond = 0;
std::uint64_t tsc_origin = 0;

std::uint16_t read_pit_counter() {
    bare::out8(0x43, 0x00);  // latch channel 0
    std::uint8_t low = bare::in8(0x40);
    std::uint8_t high = bare::in8(0x40);
    return static_cast<std::uint16_t>(high << 8 | low);
}

void calibrate_tsc() {
    constexpr std::uint32_t kTicks = 11932;  // 10 ms at 1.193182 MHz
    bare::out8(0x43, 0x30);  // channel 0, low then high byte, mode 0
    bare::out8(0x40, kTicks & 0xFF);
    bare::out8(0x40, kTicks >> 8);
    std::uint64_t start = bare::read_tsc();
    std::uint16_t previous = read_pit_counter();
    for (std::uint64_t unchanged = 0;;) {
        std::uint16_t now = read_pit_counter();
        if (now > previous) break;  // passed zero and wrapped
        unchanged = now == previous ? unchanged + 1 : 0;
        if (unchanged > 10000000) bare::fatal("the PIT does not count: cannot calibrate the TSC");
        previous = now;
    }
    std::uint64_t elapsed = bare::read_tsc() - start;
    tsc_per_microsecond = elapsed / 10000;
    if (tsc_per_microsecond == 0) tsc_per_microsecond = 1;
}

}  // namespace

namespace bare {

void cpu_initialize(const std::uint32_t* apic_ids, unsigned cpu_count, char* stack_memory) {
    cpus_online = cpu_count;
    fault_stacks = stack_memory;
    ap_stacks = stack_memory + 2 * cpu_count * kFaultStackBytes;
    for (unsigned i = 0; i < cpu_count; ++i) {
        cpu_states[i].index = i;
        cpu_states[i].apic_id = apic_ids[i];
    }
    CpuState& boot = cpu_states[0];
    set_gs_base(&boot);
    load_gdt(0);
    boot.boot_context.name = "boot";
    boot.boot_context.stack_base = boot_stack;
    boot.boot_context.stack_size = 64 * 1024;
    boot.current = &boot.boot_context;
    apic_enable();
}

}  // namespace bare

// An application processor, in long mode on its boot stack.
extern "C" [[noreturn]] void bare_ap_start(std::uint32_t index) {
    CpuState& cpu = cpu_states[index];
    set_gs_base(&cpu);
    load_gdt(index);
    bare::interrupts_load();
    bare::apic_enable();
    cpu.boot_context.name = "boot";
    cpu.boot_context.stack_base = ap_stacks + (index - 1) * kApStackBytes;
    cpu.boot_context.stack_size = kApStackBytes;
    cpu.current = &cpu.boot_context;
    cpu.started.store(true, std::memory_order_release);
    secondary_entry(index);
    __builtin_trap();
}

// The first code of a new context, on its CPU. That CPU may hold a stale
// translation of the guard page (arch/guard_pages.cpp): flushed before the
// thread can touch it. The thread never runs on another CPU.
extern "C" [[noreturn]] void toro_context_entry(hal::Context* context, void (*entry)(void*),
                                                void* argument) {
    if (context->has_guard_page) bare::invalidate_page(context->stack_base);
    cpu_states[hal::cpu_current()].current = context;
    entry(argument);
    __builtin_trap();
}

namespace hal {

unsigned cpu_count() { return cpus_online; }
unsigned cpu_current() {
    unsigned index;
    asm volatile("movl %%gs:0, %0" : "=r"(index));
    return index;
}

// One AP at a time: it reads its stack and index from two globals.
void cpu_start_secondaries(void (*entry)(unsigned cpu_id)) {
    bare::mask_legacy_pic();  // before any CPU first enables interrupts
    secondary_entry = entry;
    auto* trampoline = reinterpret_cast<char*>(kTrampolineBase);
    for (const char* byte = trampoline_start; byte != trampoline_end; ++byte) {
        *trampoline++ = *byte;
    }
    for (unsigned i = 1; i < cpus_online; ++i) {
        ap_stack_top = reinterpret_cast<std::uint64_t>(ap_stacks + i * kApStackBytes);
        ap_cpu_index = i;
        asm volatile("" ::: "memory");
        bare::apic_start_processor(cpu_states[i].apic_id, kTrampolineBase >> 12);
        std::uint64_t deadline = deadline_after(1000000000);
        while (!cpu_states[i].started.load(std::memory_order_acquire)) {
            if (clock_now_ns() > deadline) bare::fatal("an application processor did not start");
            cpu_relax();
        }
    }
}

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

// The IPI stays pending while the target runs with interrupts off, and
// ends its next halt at once: no wake is lost.
void cpu_wake(unsigned cpu_id) {
    cpu_states[cpu_id].wake.store(true);
    if (cpu_id != cpu_current()) bare::apic_send_wake(cpu_states[cpu_id].apic_id);
}
void cpu_relax() { asm volatile("pause"); }

void context_create(Context* context, void* stack_base, std::size_t stack_size,
                    void (*entry)(void*), void* argument, const char* name) {
    *context = Context{};
    context->stack_base = stack_base;
    context->stack_size = stack_size;
    context->name = name;
    // The lowest page: not-present, so an overflow faults (hal/cpu.h).
    context->has_guard_page = stack_size >= 2 * kPageSize && bare::guard_page_make(stack_base);
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

// The guard page is made present again before the kernel frees the stack.
void context_destroy(Context* context) {
    if (context->has_guard_page) bare::guard_page_remove(context->stack_base);
    *context = Context{};
}

const Context* context_current() { return cpu_states[cpu_current()].current; }

std::uint64_t clock_now_ns() {
    if (tsc_per_microsecond == 0) {
        calibrate_tsc();
        tsc_origin = bare::read_tsc();
    }
    return bare::tsc_ticks_to_ns(bare::read_tsc() - tsc_origin, tsc_per_microsecond);
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
    cpu.bound_events.fetch_or(std::uint64_t{1} << slot, std::memory_order_release);
    return cpu_id * kEventsPerCpu + slot;
}

// An id that names no bound event is ignored (events.h): the acquire load
// of the bound bit also makes the handler's slot visible to the dispatcher.
void event_raise(EventId event) {
    unsigned cpu_id = event / kEventsPerCpu;
    if (cpu_id >= cpu_count()) return;
    std::uint64_t bit = std::uint64_t{1} << (event % kEventsPerCpu);
    CpuState& cpu = cpu_states[cpu_id];
    if ((cpu.bound_events.load(std::memory_order_acquire) & bit) == 0) return;
    cpu.pending_events.fetch_or(bit);
    cpu_wake(cpu_id);
}

// The interrupt window: interrupts pending for this CPU (a disk's or NIC's
// completion, a wake, a stale timer) are taken between the sti and the cli,
// and the events their handlers raise are dispatched just below. sti holds
// interrupts off for one more instruction (SDM vol. 2B, STI), hence the
// nop. The HAL's handlers take only locks that no code holds across a
// scheduling point (ioapic's window, an ATA channel's), so none can find
// its own CPU holding one; the kernel holds no spinlock there either.
void events_dispatch() {
    asm volatile("sti; nop; cli" ::: "memory");
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
