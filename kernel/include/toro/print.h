// Console output and string formatting for kernel code and applications.
//
// A printf-style formatter written for the kernel (no libc): conversions
// d i u x X o c s p %, flags '-' '0' '+' ' ' '#', field width and precision
// (also as '*'), length modifiers hh h l ll z t j. No floating point.
// Output of one print() call reaches the console in one piece.
#pragma once

#include <cstdarg>
#include <cstddef>

#define TORO_PRINTF_LIKE(format_index, first_argument) \
    __attribute__((format(printf, format_index, first_argument)))

namespace toro {

// Formats into `buffer` (always NUL-terminated when capacity > 0) and
// returns the length the whole output has, which may exceed capacity - 1
// (as snprintf does). Never writes past `capacity` bytes.
std::size_t format(char* buffer, std::size_t capacity, const char* format_string, ...)
    TORO_PRINTF_LIKE(3, 4);
std::size_t vformat(char* buffer, std::size_t capacity, const char* format_string,
                    va_list arguments);

// Formats and writes to the console; output longer than 1 KiB is cut.
// Any kernel thread; uses at most ~1.2 KiB of stack.
void print(const char* format_string, ...) TORO_PRINTF_LIKE(1, 2);

// Writes `length` raw bytes (any bytes, NULs too) to the console, in one
// piece. Any kernel thread.
void write_console(const void* bytes, std::size_t length);

// Prints "panic: MESSAGE" with the CPU and thread, then stops the machine
// with exit status 1. For broken kernel invariants only, never for bad
// input.
[[noreturn]] void panic(const char* format_string, ...) TORO_PRINTF_LIKE(1, 2);

}  // namespace toro
