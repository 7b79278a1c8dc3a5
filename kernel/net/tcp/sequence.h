// Sequence numbers are 32-bit and wrap (RFC 9293 §3.4): they are compared
// by the sign of their difference, which holds while the two are less
// than 2^31 apart, as every window is.
#pragma once

#include <cstdint>

namespace toro::net::tcp {

inline bool seq_lt(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
inline bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }
inline bool seq_gt(std::uint32_t a, std::uint32_t b) { return seq_lt(b, a); }
inline bool seq_ge(std::uint32_t a, std::uint32_t b) { return seq_le(b, a); }
// first <= value < first + length, in sequence space.
inline bool seq_in(std::uint32_t value, std::uint32_t first, std::uint32_t length) {
    return value - first < length;
}

}  // namespace toro::net::tcp
