// Small string helpers for the Filesystem unit (no libc in the kernel).
#pragma once

#include <cstddef>

namespace toro::fs {

inline std::size_t text_length(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return length;
}

}  // namespace toro::fs
