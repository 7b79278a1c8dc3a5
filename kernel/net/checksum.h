// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit words, accumulated over any number of pieces,
// each of any length and alignment.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/net.h"

namespace toro::net {

class Checksum {
public:
    void add(const std::uint8_t* bytes, std::size_t length);
    void add16(std::uint16_t value) { sum_ += value; }
    void add32(std::uint32_t value) { sum_ += (value >> 16) + (value & 0xFFFF); }
    // The checksum to store (network order value). A buffer that already
    // holds a correct checksum sums to 0 here.
    std::uint16_t finish() const;

private:
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // the pieces so far end in the middle of a word
};

// What UDP and TCP sum before their own bytes: the pseudo-header of RFC
// 768 and RFC 9293 §3.1 (addresses, protocol, the segment's length).
inline void add_pseudo_header(Checksum& checksum, Ipv4Address source, Ipv4Address destination,
                              std::uint8_t protocol, std::size_t length) {
    checksum.add32(source.value);
    checksum.add32(destination.value);
    checksum.add16(protocol);
    checksum.add16(static_cast<std::uint16_t>(length));
}

inline std::uint16_t internet_checksum(const std::uint8_t* bytes, std::size_t length) {
    Checksum checksum;
    checksum.add(bytes, length);
    return checksum.finish();
}

}  // namespace toro::net
