#include "net/packet.h"

#include <new>

#include "net/checksum.h"
#include "toro/print.h"

namespace toro::net {

void PacketPool::initialize(void* memory, std::size_t bytes) {
    untouched_ = static_cast<Packet*>(memory);
    capacity_ = bytes / kPacketBytes;
    in_use_ = 0;
    free_ = nullptr;
}

Packet* PacketPool::acquire() {
    if (in_use_ == capacity_) return nullptr;
    Packet* packet = free_;
    if (packet != nullptr) {
        free_ = packet->next;
    } else {
        packet = new (untouched_++) Packet;  // every packet before it was handed out once
    }
    ++in_use_;
    packet->next = packet->next_queued = nullptr;
    packet->length = packet->offset = packet->part_length = packet->fragment_offset = 0;
    packet->source_address = 0;
    packet->source_port = packet->datagram_length = 0;
    return packet;
}

void PacketPool::release(Packet* packet) {
    if (packet == nullptr) return;
    if (in_use_ == 0) panic("net: a packet was released twice");
    --in_use_;
    packet->next = free_;
    free_ = packet;
}

void PacketPool::release_chain(Packet* first) {
    while (first != nullptr) {
        Packet* next = first->next;
        release(first);
        first = next;
    }
}

std::size_t copy_from_chain(const Packet* first, std::size_t skip, std::uint8_t* out,
                            std::size_t length) {
    std::size_t copied = 0;
    for (const Packet* part = first; part != nullptr && copied < length; part = part->next) {
        std::size_t part_length = part->part_length;
        if (skip >= part_length) {
            skip -= part_length;
            continue;
        }
        std::size_t take = part_length - skip;
        if (take > length - copied) take = length - copied;
        const std::uint8_t* source = part->data + part->offset + skip;
        __builtin_memcpy(out + copied, source, take);
        copied += take;
        skip = 0;
    }
    return copied;
}

bool add_chain_to_checksum(Checksum& checksum, const Packet* first, std::size_t length) {
    for (const Packet* part = first; part != nullptr && length > 0; part = part->next) {
        std::size_t take = part->part_length < length ? part->part_length : length;
        checksum.add(part->data + part->offset, take);
        length -= take;
    }
    return length == 0;
}

}  // namespace toro::net
