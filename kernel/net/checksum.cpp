#include "net/checksum.h"

namespace toro::net {

namespace {

std::uint64_t load_big_endian(std::uint64_t raw) {
    if constexpr (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) return __builtin_bswap64(raw);
    return raw;
}

}  // namespace

void Checksum::add(const std::uint8_t* bytes, std::size_t length) {
    std::size_t i = 0;
    if (odd_ && length > 0) {  // the low byte of the word the last piece began
        sum_ += bytes[0];
        i = 1;
        odd_ = false;
    }
    // Eight bytes a step: the ones' complement sum of 32-bit big-endian
    // words folds to the same 16-bit sum (2^16 = 1 modulo 0xFFFF), and the
    // 64-bit accumulator cannot overflow below 2^31 steps.
    for (; i + 8 <= length; i += 8) {
        std::uint64_t chunk;
        __builtin_memcpy(&chunk, bytes + i, 8);
        chunk = load_big_endian(chunk);
        sum_ += (chunk >> 32) + (chunk & 0xFFFFFFFF);
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
