// A circular byte buffer over memory it is given: a connection's send
// buffer (bytes sent but unacknowledged, then bytes not yet sent) and its
// receive buffer (bytes in order, not yet read). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/devices.h"

namespace toro::net::tcp {

class ByteRing {
public:
    ByteRing() = default;
    void reset(std::uint8_t* memory, std::size_t capacity) {
        memory_ = memory;
        capacity_ = capacity;
        start_ = length_ = 0;
    }
    std::uint8_t* memory() const { return memory_; }
    std::size_t capacity() const { return capacity_; }
    std::size_t length() const { return length_; }
    std::size_t space() const { return capacity_ - length_; }

    // Appends up to `length` bytes; returns how many fit.
    std::size_t append(const std::uint8_t* bytes, std::size_t length);
    // Copies up to `length` bytes from `offset` on into `out`, leaving them.
    std::size_t peek(std::size_t offset, std::uint8_t* out, std::size_t length) const;
    // The free space from `offset` bytes past the end of what is held, for
    // `length` bytes (offset + length <= space()), as at most two runs;
    // returns how many. Out-of-order data is written there, and committed
    // once the gap before it fills.
    struct Span {
        std::uint8_t* bytes;
        std::size_t length;
    };
    std::size_t free_spans(std::size_t offset, std::size_t length, Span out[2]) const;
    // Where the next appended bytes go, and how many fit there in one run;
    // commit() then counts what was written.
    std::uint8_t* tail(std::size_t* contiguous) const;
    void commit(std::size_t length) { length_ += length <= space() ? length : space(); }
    // Drops up to `length` bytes from the front.
    void consume(std::size_t length);
    // Describes `length` bytes from `offset` on (which must be held) as at
    // most two pieces; returns how many.
    std::size_t pieces(std::size_t offset, std::size_t length, hal::FramePiece out[2]) const;

private:
    std::uint8_t* memory_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t start_ = 0;
    std::size_t length_ = 0;
};

}  // namespace toro::net::tcp
