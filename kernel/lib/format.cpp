// toro::format and toro::vformat: the kernel's printf-style formatter.
//
// The output follows C99 snprintf as glibc implements it, so that the host's
// snprintf can serve as the test oracle. Freestanding: no libc, no heap, no
// global state, so any thread may format at any time.

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "toro/print.h"

namespace toro {

namespace {

// Widths and precisions beyond this are clamped; glibc rejects anything above
// INT_MAX, and no kernel output comes near it.
constexpr std::size_t kFieldLimit = 0x7fffffff;

// Octal needs the most digits: ceil(64 / 3) = 22 for a 64-bit value.
constexpr std::size_t kMaxDigits = (sizeof(std::uintmax_t) * 8 + 2) / 3;

// Writes into the caller's buffer but counts every character, also those that
// no longer fit, because format() returns the length of the whole output.
class OutputBuffer {
public:
    OutputBuffer(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {}

    void put(char character) {
        if (length_ < text_capacity()) buffer_[length_] = character;
        ++length_;
    }

    void put_text(const char* text, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) put(text[i]);
    }

    // Fills only the part that fits, so that a huge width costs no time once
    // the buffer is full.
    void put_repeated(char character, std::size_t count) {
        std::size_t room = length_ < text_capacity() ? text_capacity() - length_ : 0;
        for (std::size_t i = 0; i < count && i < room; ++i) buffer_[length_ + i] = character;
        length_ += count;
    }

    // NUL-terminates (unless capacity is 0) and returns the full length.
    std::size_t finish() {
        if (capacity_ > 0) buffer_[length_ < text_capacity() ? length_ : text_capacity()] = '\0';
        return length_;
    }

private:
    // Characters that fit in front of the terminator.
    std::size_t text_capacity() const { return capacity_ > 0 ? capacity_ - 1 : 0; }

    char* buffer_;
    std::size_t capacity_;
    std::size_t length_ = 0;
};

enum class LengthModifier { kNone, kChar, kShort, kLong, kLongLong, kSize, kPtrdiff, kIntMax };

// Everything between '%' and the conversion character.
struct ConversionSpec {
    bool left_align = false;      // '-'
    bool zero_pad = false;        // '0'
    bool force_sign = false;      // '+'
    bool space_for_sign = false;  // ' '
    bool alternate_form = false;  // '#'
    std::size_t width = 0;
    bool has_precision = false;
    std::size_t precision = 0;
    LengthModifier length = LengthModifier::kNone;
};

// One formatted field: prefix (sign, "0x"), zeros, body; padded with spaces
// to the field width on the left or, with '-', on the right.
struct Field {
    const char* prefix = "";
    std::size_t prefix_length = 0;
    std::size_t zero_count = 0;
    const char* body = "";
    std::size_t body_length = 0;

    std::size_t length() const { return prefix_length + zero_count + body_length; }
};

bool is_digit(char character) { return character >= '0' && character <= '9'; }

// Like strnlen: never reads past `limit`, as the string need not be
// terminated when a precision bounds it.
std::size_t bounded_length(const char* text, std::size_t limit) {
    std::size_t length = 0;
    while (length < limit && text[length] != '\0') ++length;
    return length;
}

std::size_t parse_decimal(const char*& cursor) {
    std::size_t value = 0;
    for (; is_digit(*cursor); ++cursor) {
        value = value * 10 + static_cast<std::size_t>(*cursor - '0');
        if (value > kFieldLimit) value = kFieldLimit;
    }
    return value;
}

// Magnitude of an int argument; unsigned arithmetic keeps INT_MIN defined.
std::size_t magnitude_of(int value) {
    std::size_t magnitude = static_cast<std::size_t>(value);
    if (value < 0) magnitude = std::size_t{0} - magnitude;
    return magnitude < kFieldLimit ? magnitude : kFieldLimit;
}

const char* parse_flags(const char* cursor, ConversionSpec& spec) {
    for (;; ++cursor) {
        switch (*cursor) {
            case '-': spec.left_align = true; break;
            case '0': spec.zero_pad = true; break;
            case '+': spec.force_sign = true; break;
            case ' ': spec.space_for_sign = true; break;
            case '#': spec.alternate_form = true; break;
            default: return cursor;
        }
    }
}

// A negative '*' width means the '-' flag plus the positive width.
const char* parse_width(const char* cursor, ConversionSpec& spec, va_list* arguments) {
    if (*cursor != '*') {
        spec.width = parse_decimal(cursor);
        return cursor;
    }
    int width = va_arg(*arguments, int);
    if (width < 0) spec.left_align = true;
    spec.width = magnitude_of(width);
    return cursor + 1;
}

// A lone '.' means precision 0; a negative '*' precision means none at all.
const char* parse_precision(const char* cursor, ConversionSpec& spec, va_list* arguments) {
    if (*cursor != '.') return cursor;
    ++cursor;
    if (*cursor != '*') {
        spec.has_precision = true;
        spec.precision = parse_decimal(cursor);
        return cursor;
    }
    int precision = va_arg(*arguments, int);
    spec.has_precision = precision >= 0;
    spec.precision = spec.has_precision ? magnitude_of(precision) : 0;
    return cursor + 1;
}

const char* parse_length(const char* cursor, ConversionSpec& spec) {
    switch (*cursor) {
        case 'h':
            if (cursor[1] == 'h') {
                spec.length = LengthModifier::kChar;
                return cursor + 2;
            }
            spec.length = LengthModifier::kShort;
            return cursor + 1;
        case 'l':
            if (cursor[1] == 'l') {
                spec.length = LengthModifier::kLongLong;
                return cursor + 2;
            }
            spec.length = LengthModifier::kLong;
            return cursor + 1;
        case 'z': spec.length = LengthModifier::kSize; return cursor + 1;
        case 't': spec.length = LengthModifier::kPtrdiff; return cursor + 1;
        case 'j': spec.length = LengthModifier::kIntMax; return cursor + 1;
        default: return cursor;
    }
}

// Reads the argument as the type the length modifier names; the narrow types
// arrive promoted to int and are cut back as C requires.
std::intmax_t next_signed_argument(LengthModifier length, va_list* arguments) {
    switch (length) {
        case LengthModifier::kChar: return static_cast<signed char>(va_arg(*arguments, int));
        case LengthModifier::kShort: return static_cast<short>(va_arg(*arguments, int));
        case LengthModifier::kLong: return va_arg(*arguments, long);
        case LengthModifier::kLongLong: return va_arg(*arguments, long long);
        case LengthModifier::kSize: return va_arg(*arguments, std::make_signed_t<std::size_t>);
        case LengthModifier::kPtrdiff: return va_arg(*arguments, std::ptrdiff_t);
        case LengthModifier::kIntMax: return va_arg(*arguments, std::intmax_t);
        case LengthModifier::kNone: break;
    }
    return va_arg(*arguments, int);
}

std::uintmax_t next_unsigned_argument(LengthModifier length, va_list* arguments) {
    using UnsignedPtrdiff = std::make_unsigned_t<std::ptrdiff_t>;
    switch (length) {
        case LengthModifier::kChar:
            return static_cast<unsigned char>(va_arg(*arguments, unsigned));
        case LengthModifier::kShort:
            return static_cast<unsigned short>(va_arg(*arguments, unsigned));
        case LengthModifier::kLong: return va_arg(*arguments, unsigned long);
        case LengthModifier::kLongLong: return va_arg(*arguments, unsigned long long);
        case LengthModifier::kSize: return va_arg(*arguments, std::size_t);
        case LengthModifier::kPtrdiff: return va_arg(*arguments, UnsignedPtrdiff);
        case LengthModifier::kIntMax: return va_arg(*arguments, std::uintmax_t);
        case LengthModifier::kNone: break;
    }
    return va_arg(*arguments, unsigned);
}

void write_field(OutputBuffer& out, const ConversionSpec& spec, const Field& field) {
    std::size_t padding = spec.width > field.length() ? spec.width - field.length() : 0;
    if (!spec.left_align) out.put_repeated(' ', padding);
    out.put_text(field.prefix, field.prefix_length);
    out.put_repeated('0', field.zero_count);
    out.put_text(field.body, field.body_length);
    if (spec.left_align) out.put_repeated(' ', padding);
}

// Text fields (%s %c, "(nil)"): precision and the '0' flag do not apply here.
void write_text(OutputBuffer& out, const ConversionSpec& spec, const char* text,
                std::size_t length) {
    Field field;
    field.body = text;
    field.body_length = length;
    write_field(out, spec, field);
}

// Writes the digits of `magnitude` right-aligned into `digits` and returns
// where they start. C prints no digits for 0 with precision 0.
char* render_digits(std::uintmax_t magnitude, const ConversionSpec& spec, unsigned base,
                    bool uppercase, char (&digits)[kMaxDigits]) {
    const char* digit_set = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    char* start = digits + kMaxDigits;
    if (magnitude == 0 && spec.has_precision && spec.precision == 0) return start;
    do {
        *--start = digit_set[magnitude % base];
        magnitude /= base;
    } while (magnitude != 0);
    return start;
}

// Integer layout as C specifies it: the precision is the minimum digit count;
// '#' gives octal a leading 0 and nonzero hex a 0x; the '0' flag pads with
// zeros after the prefix, but only when no precision is given.
// `signed_style` enables '+' and ' ' (glibc honours them for %p as well).
void write_integer(OutputBuffer& out, const ConversionSpec& spec, std::uintmax_t magnitude,
                   bool negative, char conversion, bool signed_style) {
    unsigned base = conversion == 'o' ? 8 : (conversion == 'x' || conversion == 'X') ? 16 : 10;
    char digits[kMaxDigits];
    Field field;
    field.body = render_digits(magnitude, spec, base, conversion == 'X', digits);
    field.body_length = static_cast<std::size_t>(digits + kMaxDigits - field.body);

    std::size_t minimum_digits = spec.has_precision ? spec.precision : 1;
    if (minimum_digits > field.body_length) field.zero_count = minimum_digits - field.body_length;
    bool starts_with_zero = field.zero_count > 0 || (field.body_length > 0 && field.body[0] == '0');
    if (spec.alternate_form && base == 8 && !starts_with_zero) field.zero_count = 1;

    char prefix[3];
    std::size_t prefix_length = 0;
    if (negative) {
        prefix[prefix_length++] = '-';
    } else if (signed_style && spec.force_sign) {
        prefix[prefix_length++] = '+';
    } else if (signed_style && spec.space_for_sign) {
        prefix[prefix_length++] = ' ';
    }
    if (spec.alternate_form && base == 16 && magnitude != 0) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = conversion == 'X' ? 'X' : 'x';
    }
    field.prefix = prefix;
    field.prefix_length = prefix_length;

    if (spec.zero_pad && !spec.left_align && !spec.has_precision && spec.width > field.length()) {
        field.zero_count += spec.width - field.length();
    }
    write_field(out, spec, field);
}

void write_signed(OutputBuffer& out, const ConversionSpec& spec, va_list* arguments) {
    std::intmax_t value = next_signed_argument(spec.length, arguments);
    // Negating in unsigned arithmetic keeps INTMAX_MIN defined.
    std::uintmax_t magnitude = static_cast<std::uintmax_t>(value);
    if (value < 0) magnitude = std::uintmax_t{0} - magnitude;
    write_integer(out, spec, magnitude, value < 0, 'd', true);
}

// %p is glibc's "%#lx" with the sign flags honoured, and "(nil)" for null.
void write_pointer(OutputBuffer& out, const ConversionSpec& spec, va_list* arguments) {
    const void* pointer = va_arg(*arguments, const void*);
    if (pointer == nullptr) {
        write_text(out, spec, "(nil)", 5);
        return;
    }
    ConversionSpec hex_spec = spec;
    hex_spec.alternate_form = true;
    write_integer(out, hex_spec, reinterpret_cast<std::uintptr_t>(pointer), false, 'x', true);
}

// glibc prints "(null)" for a null %s, or nothing if the precision is too
// short to hold all of it.
void write_string(OutputBuffer& out, const ConversionSpec& spec, va_list* arguments) {
    const char* text = va_arg(*arguments, const char*);
    constexpr std::size_t kNullMarkerLength = 6;
    if (text == nullptr) {
        bool fits = !spec.has_precision || spec.precision >= kNullMarkerLength;
        text = fits ? "(null)" : "";
    }
    std::size_t limit = spec.has_precision ? spec.precision : static_cast<std::size_t>(-1);
    write_text(out, spec, text, bounded_length(text, limit));
}

// Returns false for a conversion character this formatter does not know.
bool write_conversion(OutputBuffer& out, const ConversionSpec& spec, char conversion,
                      va_list* arguments) {
    switch (conversion) {
        case 'd':
        case 'i': write_signed(out, spec, arguments); return true;
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            std::uintmax_t value = next_unsigned_argument(spec.length, arguments);
            write_integer(out, spec, value, false, conversion, false);
            return true;
        }
        case 'c': {
            char character = static_cast<char>(va_arg(*arguments, int));
            write_text(out, spec, &character, 1);
            return true;
        }
        case 's': write_string(out, spec, arguments); return true;
        case 'p': write_pointer(out, spec, arguments); return true;
        case '%': out.put('%'); return true;  // glibc ignores flags and width here
        default: return false;
    }
}

// Formats the directive starting at `percent` and returns where the literal
// text after it resumes. Unknown or unfinished directives are printed as
// written, so a mistake in a format string shows up in the output.
const char* write_directive(OutputBuffer& out, const char* percent, va_list* arguments) {
    ConversionSpec spec;
    const char* cursor = parse_flags(percent + 1, spec);
    cursor = parse_width(cursor, spec, arguments);
    cursor = parse_precision(cursor, spec, arguments);
    cursor = parse_length(cursor, spec);
    if (*cursor == '\0') {
        out.put_text(percent, static_cast<std::size_t>(cursor - percent));
        return cursor;
    }
    if (!write_conversion(out, spec, *cursor, arguments)) {
        out.put_text(percent, static_cast<std::size_t>(cursor + 1 - percent));
    }
    return cursor + 1;
}

}  // namespace

std::size_t format(char* buffer, std::size_t capacity, const char* format_string, ...) {
    va_list arguments;
    va_start(arguments, format_string);
    std::size_t length = vformat(buffer, capacity, format_string, arguments);
    va_end(arguments);
    return length;
}

std::size_t vformat(char* buffer, std::size_t capacity, const char* format_string,
                    va_list arguments) {
    // A va_list parameter may have decayed to a pointer (it is an array on
    // x86-64), so copy it into a real va_list that helpers can share by address.
    va_list remaining;
    va_copy(remaining, arguments);
    OutputBuffer out(buffer, capacity);
    const char* cursor = format_string;
    while (*cursor != '\0') {
        if (*cursor == '%') {
            cursor = write_directive(out, cursor, &remaining);
        } else {
            out.put(*cursor++);
        }
    }
    va_end(remaining);
    return out.finish();
}

}  // namespace toro
