// The IDT and the exception report: vector, error code, RIP, CR2, the
// registers, the CPU, the kernel thread, and a frame-pointer backtrace.
// Double faults and page faults are reported on stacks of their own (the
// TSS's IST1 and IST2, arch/gdt.cpp): a page fault is how a stack overflow
// into a thread's guard page arrives, with the thread's stack pointer in
// the guard page, where the CPU could not push its exception frame.
#include <cstddef>
#include <cstdint>

#include "arch/apic.h"
#include "bare.h"
#include "hal/cpu.h"
#include "hal/power.h"
#include "symbols/symbol_table.h"

extern "C" const std::uint64_t exception_stubs[32];
extern "C" void apic_timer_stub();
extern "C" void apic_wake_stub();
extern "C" void apic_spurious_stub();
extern "C" char __image_start[];
extern "C" char __image_end[];

namespace {

// Intel SDM vol. 3 §6.14.1: a 64-bit interrupt gate.
struct IdtEntry {
    std::uint16_t offset_low;
    std::uint16_t selector;
    std::uint8_t ist;
    std::uint8_t type;
    std::uint16_t offset_middle;
    std::uint32_t offset_high;
    std::uint32_t reserved;
} __attribute__((packed));
static_assert(sizeof(IdtEntry) == 16);

struct IdtPointer {
    std::uint16_t limit;
    std::uint64_t base;
} __attribute__((packed));

// What exception_stubs.S leaves on the stack, lowest address first.
struct ExceptionFrame {
    std::uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    std::uint64_t vector, error_code;
    std::uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

IdtEntry idt[256];

void set_gate(unsigned vector, std::uint64_t handler) {
    idt[vector] = {static_cast<std::uint16_t>(handler), 0x08, 0, 0x8E,
                   static_cast<std::uint16_t>(handler >> 16),
                   static_cast<std::uint32_t>(handler >> 32), 0};
}

constexpr const char* kNames[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS",
    "segment not present", "stack fault", "general protection", "page fault", "reserved",
    "x87 error", "alignment check", "machine check", "SIMD error", "virtualization",
    "control protection", "reserved", "reserved", "reserved", "reserved", "reserved",
    "reserved", "hypervisor injection", "VMM communication", "security", "reserved"};

void print(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    bare::serial_write(text, length);
}

void print_hex(const char* label, std::uint64_t value) {
    char text[19] = "0x";
    for (int i = 0; i < 16; ++i) text[2 + i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 0xF];
    text[18] = '\0';
    print(label);
    print(text);
}

// Without leading zeros, for offsets: "+0x1c".
void print_short_hex(const char* label, std::uint64_t value) {
    char text[19];
    int i = 18;
    text[i] = '\0';
    do {
        text[--i] = "0123456789abcdef"[value & 0xF];
        value >>= 4;
    } while (value != 0);
    text[--i] = 'x';
    text[--i] = '0';
    print(label);
    print(&text[i]);
}

void print_decimal(const char* label, std::uint64_t value) {
    char digits[21];
    int i = 20;
    digits[i] = '\0';
    do {
        digits[--i] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    print(label);
    print(&digits[i]);
}

constexpr unsigned kPageFault = 14;
constexpr unsigned kDoubleFault = 8;

bool in_guard_page(const hal::Context* context, std::uint64_t address) {
    if (context == nullptr || !context->has_guard_page) return false;
    auto base = reinterpret_cast<std::uint64_t>(context->stack_base);
    return address >= base && address < base + hal::kPageSize;
}

// Set while a CPU reports: a fault inside the report (which runs on the
// same IST stack as the fault it reports, so would overwrite it) stops the
// machine instead of reporting forever.
bool reporting[hal::kMaxCpus];

// hal::cpu_current() and context_current() read %gs:0; until bare_start
// points GS at the boot CPU's record (after it unmaps page 0) that read
// would fault again.
bool per_cpu_ready() {
    std::uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(0xC0000101));  // IA32_GS_BASE
    return low != 0 || high != 0;
}

bool in_image(std::uint64_t address) {
    return address >= reinterpret_cast<std::uint64_t>(__image_start) &&
           address < reinterpret_cast<std::uint64_t>(__image_end);
}

// One line of the backtrace: the address, and the function+offset holding
// it when the image's symbol table knows it.
void print_frame(std::uint64_t address) {
    print_hex("\n  ", address);
    hal::symbols::Symbol symbol;
    if (!hal::symbols::find(address, &symbol)) return;
    print(" ");
    print(symbol.name);
    print_short_hex("+", symbol.offset);
}

// Follows saved frame pointers while they stay inside the image's RAM or
// the identity map and move up the stack.
void print_backtrace(std::uint64_t rbp, std::uint64_t rip, const hal::Context* context) {
    print("\ntoro: backtrace (source lines: addr2line -Cfipe APP.elf ADDRESS...):");
    print_frame(rip);
    for (int depth = 0; depth < 32 && rbp >= hal::kPageSize && rbp % 8 == 0 &&
                        rbp < (std::uint64_t{4} << 30) && !in_guard_page(context, rbp);
         ++depth) {
        auto* frame = reinterpret_cast<const std::uint64_t*>(rbp);
        std::uint64_t return_address = frame[1];
        if (!in_image(return_address)) break;
        print_frame(return_address);
        if (frame[0] <= rbp) break;
        rbp = frame[0];
    }
    print("\n");
}

}  // namespace

extern "C" [[noreturn]] void exception_report(const ExceptionFrame* frame) {
    std::uint64_t cr2;
    asm volatile("mov %%cr2, %0" : "=r"(cr2));
    bool ready = per_cpu_ready();
    unsigned cpu = ready ? hal::cpu_current() : 0;
    if (reporting[cpu]) {
        print("\ntoro: fatal exception inside the exception report\n");
        hal::power_off(3);
    }
    reporting[cpu] = true;
    const hal::Context* context = ready ? hal::context_current() : nullptr;
    print("\ntoro: fatal exception ");
    print(frame->vector < 32 ? kNames[frame->vector] : "?");
    print_decimal(" (vector ", frame->vector);
    print_hex(") error ", frame->error_code);
    print(" in thread '");
    print(context == nullptr ? "(boot)" : context->name != nullptr ? context->name : "(unnamed)");
    print_decimal("' on cpu ", cpu);
    // The same words as the hosted report (hal_posix/fault.cpp).
    if (frame->vector == kPageFault && in_guard_page(context, cr2)) {
        print(": stack overflow into the guard page");
    }
    print_hex("\n  rip ", frame->rip);
    print_hex("  cr2 ", cr2);
    print_hex("  rsp ", frame->rsp);
    print_hex("  rflags ", frame->rflags);
    print_hex("\n  rax ", frame->rax);
    print_hex("  rbx ", frame->rbx);
    print_hex("  rcx ", frame->rcx);
    print_hex("  rdx ", frame->rdx);
    print_hex("\n  rsi ", frame->rsi);
    print_hex("  rdi ", frame->rdi);
    print_hex("  rbp ", frame->rbp);
    print_hex("  r8  ", frame->r8);
    print_hex("\n  r9  ", frame->r9);
    print_hex("  r10 ", frame->r10);
    print_hex("  r11 ", frame->r11);
    print_hex("  r12 ", frame->r12);
    print_hex("\n  r13 ", frame->r13);
    print_hex("  r14 ", frame->r14);
    print_hex("  r15 ", frame->r15);
    print_backtrace(frame->rbp, frame->rip, context);
    hal::power_off(3);
}

namespace bare {

// The legacy 8259 pair is only masked, after kernel_main (nothing enables
// interrupts before the first idle): the local APIC does our interrupts.
// Touching the PIC before kernel_main cost about 2.5 ms of boot under QEMU
// (probe/floor 1.08 against 1.01 on microvm). It keeps
// the BIOS layout (master at 0x08, slave at 0x70) and the two vectors a
// masked PIC can still send, spurious IRQ 7 and 15, get do-nothing gates.
// Vector 0x0F is reserved by the CPU, so it cannot mean anything else.
void mask_legacy_pic() {
    out8(0x21, 0xFF);
    out8(0xA1, 0xFF);
    set_gate(0x08 + 7, reinterpret_cast<std::uint64_t>(&apic_spurious_stub));
    set_gate(0x70 + 7, reinterpret_cast<std::uint64_t>(&apic_spurious_stub));
}

void interrupts_initialize() {
    for (unsigned vector = 0; vector < 32; ++vector) set_gate(vector, exception_stubs[vector]);
    idt[kDoubleFault].ist = kDoubleFaultIst;  // known-good stacks, whatever rsp was
    idt[kPageFault].ist = kPageFaultIst;
    set_gate(kTimerVector, reinterpret_cast<std::uint64_t>(&apic_timer_stub));
    set_gate(kWakeVector, reinterpret_cast<std::uint64_t>(&apic_wake_stub));
    set_gate(kSpuriousVector, reinterpret_cast<std::uint64_t>(&apic_spurious_stub));
    interrupts_load();
}

void set_interrupt_gate(unsigned vector, void (*stub)()) {
    set_gate(vector, reinterpret_cast<std::uint64_t>(stub));
}

void interrupts_load() {
    IdtPointer pointer{sizeof idt - 1, reinterpret_cast<std::uint64_t>(idt)};
    asm volatile("lidt %0" : : "m"(pointer));
}

void fatal(const char* message) {
    print("toro: fatal: ");
    print(message);
    print("\n");
    hal::power_off(1);
}

}  // namespace bare
