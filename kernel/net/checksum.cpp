#include "net/checksum.h"

namespace toro::net {

void Checksum::add(const std::uint8_t* bytes, std::size_t length) {
    std::size_t i = 0;
    if (odd_ && length > 0) {  // the low byte of the word the last piece began
        sum_ += bytes[0];
        i = 1;
        odd_ = false;
    }
    for (; i + 1 < length; i += 2) sum_ += std::uint32_t{bytes[i]} << 8 | bytes[i + 1];
    if (i < length) {
        sum_ += std::uint32_t{bytes[i]} << 8;
        odd_ = true;
    }
}

std::uint16_t Checksum::finish() const {
    std::uint64_t sum = sum_;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

}  // namespace toro::net
