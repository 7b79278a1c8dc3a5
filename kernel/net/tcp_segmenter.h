// Software TCP segmentation: what a NIC's TSO does to one oversized IPv4
// TCP segment, done by the stack when the frame cannot go to the device
// whole (the transmit ring is full and it must wait in packets, or the
// next hop's address is still being resolved). Also the pieces of a
// gather list, sliced, which IPv4 fragmentation shares.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/devices.h"

namespace toro::net {

// The pieces covering bytes [start, start + length) of `pieces`, stored in
// `out` (room for `capacity`); their count, or 0 when they need more room
// or `pieces` ends first.
std::size_t slice_pieces(const hal::FramePiece* pieces, std::size_t count, std::size_t start,
                         std::size_t length, hal::FramePiece* out, std::size_t capacity);

// Walks one IPv4 TCP segment's cuts: start() reads its headers, each
// next() gives the next cut's frame, as hal::NetDevice::transmit_tcp_segments
// says a device makes them. The headers next() returns live in the
// segmenter, so each frame is sent (copied) before the next is asked for.
class TcpSegmenter {
public:
    // `pieces` hold `link_bytes` of link header (copied to every cut as it
    // is: 14 for Ethernet, 0 for none), then the IPv4 header (no options)
    // and the TCP segment. False if it is not such a segment, or its
    // headers do not say its length.
    bool start(const hal::FramePiece* pieces, std::size_t count, std::size_t link_bytes,
               std::size_t segment_bytes);
    // How many cuts it makes.
    std::size_t cut_count() const;
    // The next cut's pieces in `out` (room for `capacity`, at least 4);
    // 0 when all were made.
    std::size_t next(hal::FramePiece* out, std::size_t capacity);

private:
    static constexpr std::size_t kMaxHeaders = 14 + 20 + 60;

    const hal::FramePiece* pieces_ = nullptr;
    std::size_t count_ = 0;
    std::size_t header_bytes_ = 0;  // link, IPv4 and TCP headers
    std::size_t link_bytes_ = 0;
    std::size_t payload_bytes_ = 0;
    std::size_t segment_bytes_ = 0;
    std::size_t done_ = 0;  // payload bytes cut so far
    std::size_t cuts_ = 0;
    std::uint8_t original_[kMaxHeaders];
    std::uint8_t cut_[kMaxHeaders];
};

}  // namespace toro::net
