#include "net/tcp/byte_ring.h"

namespace toro::net::tcp {

std::size_t ByteRing::append(const std::uint8_t* bytes, std::size_t length) {
    if (length > space()) length = space();
    if (length == 0) return 0;  // a ring of no memory (a TIME-WAIT's) too
    std::size_t end = (start_ + length_) % (capacity_ == 0 ? 1 : capacity_);
    std::size_t first = capacity_ - end < length ? capacity_ - end : length;
    __builtin_memcpy(memory_ + end, bytes, first);
    __builtin_memcpy(memory_, bytes + first, length - first);
    length_ += length;
    return length;
}

std::size_t ByteRing::peek(std::size_t offset, std::uint8_t* out, std::size_t length) const {
    if (offset >= length_) return 0;
    if (length > length_ - offset) length = length_ - offset;
    hal::FramePiece parts[2];
    std::size_t count = pieces(offset, length, parts);
    std::size_t copied = 0;
    for (std::size_t i = 0; i < count; ++i) {
        __builtin_memcpy(out + copied, parts[i].bytes, parts[i].length);
        copied += parts[i].length;
    }
    return copied;
}

std::uint8_t* ByteRing::tail(std::size_t* contiguous) const {
    if (capacity_ == 0) {
        *contiguous = 0;
        return memory_;
    }
    std::size_t end = (start_ + length_) % capacity_;
    std::size_t run = end >= start_ && length_ < capacity_ ? capacity_ - end : start_ - end;
    if (length_ == capacity_) run = 0;
    *contiguous = run;
    return memory_ + end;
}

std::size_t ByteRing::free_spans(std::size_t offset, std::size_t length, Span out[2]) const {
    if (length == 0 || offset + length > space()) return 0;
    std::size_t begin = (start_ + length_ + offset) % capacity_;
    std::size_t first = capacity_ - begin < length ? capacity_ - begin : length;
    out[0] = {memory_ + begin, first};
    if (first == length) return 1;
    out[1] = {memory_, length - first};
    return 2;
}

void ByteRing::consume(std::size_t length) {
    if (length > length_) length = length_;
    if (length == 0) return;
    length_ -= length;
    // The end stays where it is: data held past it (out of order) keeps
    // its place.
    start_ = (start_ + length) % capacity_;
}

std::size_t ByteRing::pieces(std::size_t offset, std::size_t length, hal::FramePiece out[2]) const {
    if (length == 0) return 0;
    std::size_t begin = (start_ + offset) % capacity_;
    std::size_t first = capacity_ - begin < length ? capacity_ - begin : length;
    out[0] = {memory_ + begin, first};
    if (first == length) return 1;
    out[1] = {memory_, length - first};
    return 2;
}

}  // namespace toro::net::tcp
