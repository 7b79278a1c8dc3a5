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
void cpu_initialize(unsigned cpu_count);

// Prints "toro: fatal: MESSAGE" on the serial port and stops the machine
// with status 1: for the HAL's own failures before the kernel runs.
[[noreturn]] void fatal(const char* message);

}  // namespace bare
