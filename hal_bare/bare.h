// What the files of hal_bare share (not part of the HAL contract).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bare {

// Port I/O.
inline void out8(std::uint16_t port, std::uint8_t value) {
    asm volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}
inline void out32(std::uint16_t port, std::uint32_t value) {
    asm volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}
inline std::uint8_t in8(std::uint16_t port) {
    std::uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void serial_initialize();
void serial_write(const char* bytes, std::size_t length);
void interrupts_initialize();
// Loads the IDT on the calling CPU (the boot CPU's initialize does it too).
void interrupts_load();
// Masks the 8259 PICs; once, before any CPU first enables interrupts.
void mask_legacy_pic();
inline constexpr std::size_t kApStackBytes = 32 * 1024;
inline constexpr std::size_t kFaultStackBytes = 8 * 1024;
// RAM the HAL keeps for stacks: every CPU's fault stack, then the boot
// stacks of all CPUs but the first (which has boot_stack in the image).
inline std::size_t stack_memory_bytes(unsigned cpu_count) {
    return cpu_count * kFaultStackBytes + (cpu_count - 1) * kApStackBytes;
}

// The boot CPU, before kernel_main: per-CPU data, GDT and TSS, the local
// APIC, the APIC ids of every CPU (apic_ids[0] is the boot CPU's), and
// stack_memory_bytes(cpu_count) of RAM.
void cpu_initialize(const std::uint32_t* apic_ids, unsigned cpu_count, char* stack_memory);
// Loads this CPU's own GDT and TSS; IST1 (double faults) is fault_stack_top.
void gdt_load(unsigned cpu, char* fault_stack_top);

// ACPI: the RSDP from the BIOS areas (multiboot gives none), and the CPUs
// of the MADT; returns how many CPUs were stored (at least the boot CPU).
const void* find_rsdp_in_bios_areas();
unsigned find_cpus(const void* rsdp, std::uint32_t boot_apic_id, std::uint32_t* apic_ids,
                   unsigned capacity);

// Prints "toro: fatal: MESSAGE" on the serial port and stops the machine
// with status 1: for the HAL's own failures before the kernel runs.
[[noreturn]] void fatal(const char* message);

}  // namespace bare
