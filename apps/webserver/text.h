// The few std::string_view operations the server needs, as loops: the
// library's find and substr call memchr and throw, and the bare kernel has
// neither (it links no libc). Out-of-range positions clamp instead.
#pragma once

#include <cstddef>
#include <string_view>

namespace webserver::text {

inline constexpr std::size_t kNotFound = std::string_view::npos;

// The first `c` at or after `from`, or kNotFound.
constexpr std::size_t find(std::string_view text, char c, std::size_t from = 0) {
    for (std::size_t i = from; i < text.size(); ++i) {
        if (text[i] == c) return i;
    }
    return kNotFound;
}

// The last `c`, or kNotFound.
constexpr std::size_t find_last(std::string_view text, char c) {
    for (std::size_t i = text.size(); i > 0; --i) {
        if (text[i - 1] == c) return i - 1;
    }
    return kNotFound;
}

// At most `count` bytes from `begin` (none if begin is past the end).
constexpr std::string_view slice(std::string_view text, std::size_t begin,
                                 std::size_t count = kNotFound) {
    if (begin > text.size()) return {};
    std::size_t left = text.size() - begin;
    return {text.data() + begin, count < left ? count : left};
}

// ASCII letters compared without case, as field names and tokens are
// (RFC 9110 §5.1).
constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
        if (x != y) return false;
    }
    return true;
}

// A NUL-terminated string's view, without strlen.
constexpr std::string_view of(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return {text, length};
}

}  // namespace webserver::text
