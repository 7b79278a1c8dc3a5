// SHA-256 (FIPS 180-4), for fstool's tree listing.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fstool {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t length);
    // The digest as 64 lowercase hex digits and a NUL.
    void finish_hex(char out[65]);

private:
    void compress(const std::uint8_t block[64]);

    std::uint32_t state_[8];
    std::uint8_t pending_[64];
    std::size_t pending_length_ = 0;
    std::uint64_t total_bytes_ = 0;
};

}  // namespace fstool
