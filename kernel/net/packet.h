// Packets: fixed-size buffers from one bounded pool, the only memory the
// stack holds frames in. A received frame stays in the packet it arrived
// in while it waits in a socket's queue or in reassembly (no copy), and a
// datagram of several fragments is a chain of them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/devices.h"

namespace toro::net {

inline constexpr std::size_t kPacketBytes = 2048;

struct Packet {
    Packet* next = nullptr;       // the next fragment of the same datagram
    Packet* next_queued = nullptr;  // the next datagram of a queue
    std::uint16_t length = 0;     // bytes of `data` in use (the whole frame)
    std::uint16_t offset = 0;     // where this packet's part of a datagram's payload starts
    std::uint16_t part_length = 0;  // and its length
    std::uint16_t fragment_offset = 0;  // of the part, in the datagram's payload
    // For a datagram queued at a socket (the chain's first packet).
    std::uint32_t source_address = 0;
    std::uint16_t source_port = 0;
    std::uint16_t datagram_length = 0;
    static constexpr std::size_t kHeaderBytes = 32;
    std::uint8_t data[kPacketBytes - kHeaderBytes];
};
static_assert(sizeof(Packet) == kPacketBytes);
inline constexpr std::size_t kPacketCapacity = sizeof(Packet::data);

// Owns no memory: carves packets out of the region it is given. Not
// thread-safe (the stack's lock guards it).
class PacketPool {
public:
    PacketPool() = default;
    // `memory` is 16-byte aligned; floor(bytes / kPacketBytes) packets.
    // Touches none of it: packets are carved on first use, so a large pool
    // costs nothing at start and only what traffic needed.
    void initialize(void* memory, std::size_t bytes);

    // A cleared packet, or null when the pool is exhausted.
    Packet* acquire();
    void release(Packet* packet);
    // Releases a datagram: `first` and every `next` after it.
    void release_chain(Packet* first);

    std::size_t capacity() const { return capacity_; }
    std::size_t in_use() const { return in_use_; }
    std::size_t available() const { return capacity_ - in_use_; }

private:
    Packet* free_ = nullptr;     // released packets, reused first
    Packet* untouched_ = nullptr;  // the region's packets never handed out yet
    std::size_t capacity_ = 0;
    std::size_t in_use_ = 0;
};

// Copies `length` bytes of a datagram's payload, starting `skip` bytes in,
// out of the chain of parts starting at `first`. Returns the bytes copied
// (fewer when the chain is shorter).
class Checksum;
// Adds the first `length` bytes of the chain's parts to `checksum`; false
// if the chain holds fewer.
bool add_chain_to_checksum(Checksum& checksum, const Packet* first, std::size_t length);

std::size_t copy_from_chain(const Packet* first, std::size_t skip, std::uint8_t* out,
                            std::size_t length);

}  // namespace toro::net
