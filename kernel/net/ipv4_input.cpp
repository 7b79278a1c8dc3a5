// IPv4 input (RFC 791, RFC 1122 §3.2.1): every length is checked against
// the frame before it is read; options are skipped (none is acted on);
// datagrams not for this host are dropped (no forwarding); fragments go to
// reassembly; whole datagrams go to ICMP or UDP.
#include "net/checksum.h"
#include "net/stack.h"

namespace toro::net {

bool Stack::is_local_destination(Ipv4Address address, bool* broadcast) const {
    *broadcast = false;
    if (address.is_broadcast()) {
        *broadcast = true;
        return true;
    }
    // Without an address, DHCP's replies may be unicast to the one offered.
    if (config_.address.is_any()) return dhcp_.state != DhcpState::kOff;
    if (address == config_.address) return true;
    Ipv4Address mask = netmask();
    // The directed broadcast of our subnet (RFC 1122 §3.2.1.3 (d)).
    if (config_.prefix_length < 31 &&
        (address.value & mask.value) == (config_.address.value & mask.value) &&
        (address.value | mask.value) == 0xFFFFFFFF) {
        *broadcast = true;
        return true;
    }
    return false;
}

void Stack::ipv4_input(Packet* frame, std::uint64_t now) {
    std::size_t available = frame->length - sizeof(EthernetHeader);
    if (available < sizeof(Ipv4Header)) return drop(frame);
    const std::uint8_t* bytes = frame->data + sizeof(EthernetHeader);
    const auto* header = reinterpret_cast<const Ipv4Header*>(bytes);
    std::size_t header_length = (header->version_and_length & 0x0F) * 4u;
    std::size_t total_length = load16(header->total_length);
    if ((header->version_and_length >> 4) != 4 || header_length < sizeof(Ipv4Header) ||
        header_length > available || total_length < header_length || total_length > available) {
        return drop(frame);
    }
    if (internet_checksum(bytes, header_length) != 0) return drop(frame);
    Ipv4Address source{load32(header->source)};
    Ipv4Address destination{load32(header->destination)};
    bool broadcast = false;
    // RFC 1122 §3.2.1.3: a source that is broadcast, multicast or
    // loopback is never a host's; such datagrams are dropped.
    std::uint8_t source_top = static_cast<std::uint8_t>(source.value >> 24);
    if (!is_local_destination(destination, &broadcast) || source.is_broadcast() ||
        source_top >= 224 || source_top == 127) {
        return drop(frame);
    }
    // The part of this frame that is IP payload (Ethernet may pad after it).
    frame->offset = static_cast<std::uint16_t>(sizeof(EthernetHeader) + header_length);
    frame->part_length = static_cast<std::uint16_t>(total_length - header_length);
    std::size_t payload_length = frame->part_length;
    std::uint16_t fragment_field = load16(header->flags_and_offset);
    Packet* first = frame;
    if ((fragment_field & (kIpv4MoreFragments | kIpv4OffsetMask)) != 0) {
        first = reassemble(frame, *header, &payload_length, now);
        if (first == nullptr) return;  // kept for later, or dropped
    }
    auto ecn = static_cast<std::uint8_t>(header->type_of_service & 3);
    Datagram datagram{first, source, destination, header->protocol, payload_length, broadcast, ecn};
    ipv4_deliver(datagram, now);
}

void Stack::ipv4_deliver(const Datagram& datagram, std::uint64_t now) {
    switch (datagram.protocol) {
        case kProtocolIcmp: return icmp_input(datagram, now);
        case kProtocolUdp: return udp_input(datagram, now);
        case kProtocolTcp: return tcp_input(datagram, now);
        default:
            if (!datagram.to_broadcast) {
                icmp_send_unreachable(datagram, kIcmpProtocolUnreachable, now);
            }
            return drop(datagram.first);
    }
}

}  // namespace toro::net
