// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash whose output
// nobody without the key can predict, fast on short inputs. RFC 6528's
// F() for initial sequence numbers, the MAC of SYN cookies, and the
// timestamp offset of a connection a cookie opens. Fed 64-bit words, the
// last of which carries the message's length in its top byte (the
// algorithm's padding), then finish().
#pragma once

#include <cstdint>

#include "toro/net.h"

namespace toro::net {

class SipHash {
public:
    explicit SipHash(const std::uint64_t key[2])
        : v0_(0x736f6d6570736575ull ^ key[0]),
          v1_(0x646f72616e646f6dull ^ key[1]),
          v2_(0x6c7967656e657261ull ^ key[0]),
          v3_(0x7465646279746573ull ^ key[1]) {}

    void absorb(std::uint64_t word) {
        v3_ ^= word;
        round();
        round();
        v0_ ^= word;
    }

    std::uint64_t finish() {
        v2_ ^= 0xFF;
        for (int i = 0; i < 4; ++i) round();
        return v0_ ^ v1_ ^ v2_ ^ v3_;
    }

private:
    static std::uint64_t rotate(std::uint64_t value, int bits) { return value << bits | value >> (64 - bits); }
    void round() {
        v0_ += v1_; v1_ = rotate(v1_, 13); v1_ ^= v0_; v0_ = rotate(v0_, 32);
        v2_ += v3_; v3_ = rotate(v3_, 16); v3_ ^= v2_;
        v0_ += v3_; v3_ = rotate(v3_, 21); v3_ ^= v0_;
        v2_ += v1_; v1_ = rotate(v1_, 17); v1_ ^= v2_; v2_ = rotate(v2_, 32);
    }

    std::uint64_t v0_, v1_, v2_, v3_;
};

// Of the 12 bytes of a connection's addresses and ports (segment_out.cpp).
std::uint64_t siphash_endpoints(const std::uint64_t key[2], Endpoint local, Endpoint remote);

}  // namespace toro::net
