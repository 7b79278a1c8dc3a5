// Console output for the kernel and applications.
#include <cstdarg>

#include "hal/console.h"
#include "hal/cpu.h"
#include "hal/power.h"
#include "toro/print.h"
#include "toro/thread.h"

namespace toro {

namespace {

constexpr std::size_t kLineCapacity = 1024;

void write_formatted(const char* prefix, const char* format_string, va_list arguments) {
    char line[kLineCapacity];
    std::size_t used = 0;
    if (prefix != nullptr) used = format(line, sizeof line, "%s", prefix);
    std::size_t length = used + vformat(line + used, sizeof line - used, format_string, arguments);
    if (length >= sizeof line) length = sizeof line - 1;  // cut, as documented
    hal::console_write(line, length);
}

}  // namespace

void write_console(const void* bytes, std::size_t length) {
    hal::console_write(static_cast<const char*>(bytes), length);
}

void print(const char* format_string, ...) {
    va_list arguments;
    va_start(arguments, format_string);
    write_formatted(nullptr, format_string, arguments);
    va_end(arguments);
}

void panic(const char* format_string, ...) {
    char prefix[128];
    format(prefix, sizeof prefix, "panic: cpu %u thread '%s': ", hal::cpu_current(),
           thread_name(current_thread()));
    va_list arguments;
    va_start(arguments, format_string);
    write_formatted(prefix, format_string, arguments);
    va_end(arguments);
    hal::console_write("\n", 1);
    hal::power_off(1);
}

}  // namespace toro
