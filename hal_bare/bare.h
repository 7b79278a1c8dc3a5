// What the files of hal_bare share (not part of the HAL contract).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hal/boot.h"

namespace bare {

// Port I/O.
inline void out8(std::uint16_t port, std::uint8_t value) {
    asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
inline void out32(std::uint16_t port, std::uint32_t value) {
    asm volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}
inline void out16(std::uint16_t port, std::uint16_t value) {
    asm volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}
inline std::uint8_t in8(std::uint16_t port) {
    std::uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
inline std::uint16_t in16(std::uint16_t port) {
    std::uint16_t value;
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
inline std::uint32_t in32(std::uint16_t port) {
    std::uint32_t value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
// The time-stamp counter (Intel SDM vol. 2B, RDTSC).
inline std::uint64_t read_tsc() {
    std::uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (std::uint64_t{high} << 32) | low;
}

// `count` 16-bit words between a port and memory (ATA PIO data).
inline void in16_string(std::uint16_t port, void* buffer, std::size_t count) {
    asm volatile("rep insw" : "+D"(buffer), "+c"(count) : "d"(port) : "memory");
}
inline void out16_string(std::uint16_t port, const void* buffer, std::size_t count) {
    asm volatile("rep outsw" : "+S"(buffer), "+c"(count) : "d"(port) : "memory");
}

// A lock for the HAL's own shared registers (IO-APIC window, an ATA
// channel). Interrupts are off wherever it is taken (threads, and handlers
// that run only inside idle or a scheduling point's interrupt window, where
// no holder can be), so a holder is never interrupted by a taker on its
// own CPU. Never hold one across a scheduling point.
class SpinLock {
public:
    void lock() {
        while (held_.exchange(true, std::memory_order_acquire)) asm volatile("pause");
    }
    void unlock() { held_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> held_{false};
};
class SpinLockGuard {
public:
    explicit SpinLockGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinLockGuard() { lock_.unlock(); }
    SpinLockGuard(const SpinLockGuard&) = delete;
    SpinLockGuard& operator=(const SpinLockGuard&) = delete;

private:
    SpinLock& lock_;
};

void serial_initialize();
void serial_write(const char* bytes, std::size_t length);
// Formats to the console (through hal::console_write, so lines do not
// interleave): %s %c %d %u %x, with a zero-pad flag and width, and the
// l / ll length modifiers. For the HAL's own messages (device lists).
void console_print(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Installs an interrupt gate for `vector` (>= 32) on every CPU's IDT.
void set_interrupt_gate(unsigned vector, void (*stub)());
void interrupts_initialize();
// Loads the IDT on the calling CPU (the boot CPU's initialize does it too).
void interrupts_load();
// Masks the 8259 PICs; once, before any CPU first enables interrupts.
void mask_legacy_pic();
inline constexpr std::size_t kApStackBytes = 32 * 1024;
inline constexpr std::size_t kFaultStackBytes = 8 * 1024;
// RAM the HAL keeps for stacks: every CPU's two fault stacks (double
// faults, page faults), then the boot stacks of all CPUs but the first
// (which has boot_stack in the image).
inline std::size_t stack_memory_bytes(unsigned cpu_count) {
    return 2 * cpu_count * kFaultStackBytes + (cpu_count - 1) * kApStackBytes;
}

// The boot CPU, before kernel_main: per-CPU data, GDT and TSS, the local
// APIC, the APIC ids of every CPU (apic_ids[0] is the boot CPU's), and
// stack_memory_bytes(cpu_count) of RAM.
void cpu_initialize(const std::uint32_t* apic_ids, unsigned cpu_count, char* stack_memory);
// Loads this CPU's own GDT and TSS: IST1 (double faults) is
// double_fault_stack_top, IST2 (page faults) page_fault_stack_top.
void gdt_load(unsigned cpu, char* double_fault_stack_top, char* page_fault_stack_top);
// The interrupt stack table slots of the exception gates (the TSS's ist[n-1]).
inline constexpr unsigned kDoubleFaultIst = 1;
inline constexpr unsigned kPageFaultIst = 2;

// Flushes this CPU's TLB entries for the page holding `address` (all of a
// 2 MiB page's, if it is in one: Intel SDM vol. 2A, INVLPG).
inline void invalidate_page(const void* address) {
    asm volatile("invlpg (%0)" : : "r"(address) : "memory");
}

// Guard pages for kernel thread stacks (arch/guard_pages.cpp). The page
// tables that split 2 MiB pages come from a pool bare_start reserves from
// RAM before kernel_main and never touches: guard_table_count(boot_info)
// tables of 4 KiB (one per 2 MiB of the RAM the kernel is given), handed
// over by guard_pool_initialize (null: none, no guard pages).
std::size_t guard_table_count(const hal::BootInfo& boot_info);
void guard_pool_initialize(void* tables, std::size_t count);
// Makes the page at `page` (page aligned) not-present, splitting its 2 MiB
// page first if need be, and flushes it from this CPU's TLB; false (and
// nothing changed) above the identity map or with the pool used up. The
// CPU that will run on the stack must flush the page too before it first
// does (other CPUs need not: guard_pages.cpp). Any CPU, thread context.
bool guard_page_make(void* page);
// Makes a page guard_page_make made present again. Needs no TLB flush.
void guard_page_remove(void* page);

// ACPI: the RSDP from the BIOS areas (multiboot gives none), and the MADT:
// stores the CPUs' APIC ids and returns how many (at least the boot CPU);
// hands the IO-APICs and interrupt source overrides to arch/ioapic.
const void* find_rsdp_in_bios_areas();
unsigned read_madt(const void* rsdp, std::uint32_t boot_apic_id, std::uint32_t* apic_ids,
                   unsigned capacity);

// Options of the bare HAL itself, taken out of the command line by
// bare_start before the kernel sees it.
struct HalOptions {
    bool ata_pio = false;  // "toro.ata=pio": ATA disks by PIO, no bus-master DMA
    // "toro.e1000.stall=N", for tests: the first e1000 stops transmitting
    // (TCTL.EN cleared) after N frames, once, as a transmitter that stops
    // answering would; the driver must notice and reset it. 0: never.
    std::uint32_t e1000_stall_after = 0;
    // "toro.boot.report", for tests: bare_start says on the console which
    // boot protocol started the image (PVH or multiboot).
    bool report_boot = false;
    // "toro.e1000.tso=off": the e1000s offer no TCP segmentation offload.
    bool e1000_no_tso = false;
};
extern HalOptions hal_options;

// DMA memory for the NIC drivers (descriptor rings, frame buffers), cut
// from the end of RAM by bare_start like the stacks, before kernel_main:
// a few instructions, nothing touched. A driver linked into the image
// defines nic_memory_bytes() (how much the machine's NICs need); the
// reference is weak, so an image without a NIC driver reserves nothing.
// Page aligned, identity-mapped, below 4 GiB; nullptr when none.
std::size_t nic_memory_bytes() __attribute__((weak));
extern char* nic_memory;

// Prints "toro: fatal: MESSAGE" on the serial port and stops the machine
// with status 1: for the HAL's own failures before the kernel runs.
[[noreturn]] void fatal(const char* message);

}  // namespace bare
