// What libstdc++'s freestanding headers call when a check fails (here:
// std::string_view::substr past the end). The kernel has no exceptions, so
// such a call is a bug: it is reported on the console and the machine
// stops, as a panic does.
#include "hal/console.h"
#include "hal/power.h"

namespace std {

[[noreturn]] void __throw_out_of_range_fmt(const char* format, ...) {
    static constexpr char kMessage[] = "\ntoro: fatal: std::out_of_range: ";
    hal::console_write(kMessage, sizeof kMessage - 1);
    std::size_t length = 0;
    while (format[length] != '\0') ++length;
    hal::console_write(format, length);
    hal::console_write("\n", 1);
    hal::power_off(1);
}

}  // namespace std
