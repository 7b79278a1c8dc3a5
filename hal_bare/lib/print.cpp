// A small printf for the HAL's own messages (PCI and disk lists): no libc,
// no kernel; the kernel's formatter is on the other side of the HAL.
#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "bare.h"
#include "hal/console.h"

namespace bare {

namespace {

struct Line {
    char text[256];
    std::size_t length = 0;
    void put(char c) {
        if (length < sizeof text) text[length++] = c;
    }
};

void put_number(Line& line, std::uint64_t value, unsigned base, unsigned width, char pad) {
    char digits[24];
    unsigned count = 0;
    do {
        digits[count++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value != 0);
    while (width > count) {
        line.put(pad);
        --width;
    }
    while (count > 0) line.put(digits[--count]);
}

}  // namespace

void console_print(const char* format, ...) {
    Line line;
    va_list arguments;
    va_start(arguments, format);
    for (const char* at = format; *at != '\0'; ++at) {
        if (*at != '%') {
            line.put(*at);
            continue;
        }
        ++at;
        char pad = ' ';
        if (*at == '0') {
            pad = '0';
            ++at;
        }
        unsigned width = 0;
        while (*at >= '0' && *at <= '9') width = width * 10 + static_cast<unsigned>(*at++ - '0');
        unsigned longs = 0;
        while (*at == 'l') {
            ++longs;
            ++at;
        }
        auto next_unsigned = [&]() -> std::uint64_t {
            return longs > 0 ? va_arg(arguments, unsigned long) : va_arg(arguments, unsigned);
        };
        switch (*at) {
            case 's':
                for (const char* s = va_arg(arguments, const char*); *s != '\0'; ++s) line.put(*s);
                break;
            case 'c': line.put(static_cast<char>(va_arg(arguments, int))); break;
            case 'd': {
                std::int64_t value = longs > 0 ? va_arg(arguments, long) : va_arg(arguments, int);
                if (value < 0) line.put('-');
                put_number(line, value < 0 ? -static_cast<std::uint64_t>(value) : value, 10, width,
                           pad);
                break;
            }
            case 'u': put_number(line, next_unsigned(), 10, width, pad); break;
            case 'x': put_number(line, next_unsigned(), 16, width, pad); break;
            case '%': line.put('%'); break;
            default:  // a HAL bug: print nothing rather than garbage
                va_end(arguments);
                return;
        }
        if (*at == '\0') break;
    }
    va_end(arguments);
    hal::console_write(line.text, line.length);
}

}  // namespace bare
