// IPv4 output: the route (on-link, the gateway, or broadcast), the header,
// and fragmentation of datagrams larger than the MTU (RFC 791 §3.2). The
// payload stays in the caller's pieces; each fragment is a header and
// slices of them.
#include "net/checksum.h"
#include "net/stack.h"
#include "net/tcp_segmenter.h"

namespace toro::net {

bool Stack::route(Ipv4Address destination, Ipv4Address* next_hop, bool* broadcast) const {
    *broadcast = false;
    if (destination.is_broadcast()) {
        *broadcast = true;
        return true;
    }
    if (config_.address.is_any()) return false;
    Ipv4Address mask = netmask();
    bool on_link = (destination.value & mask.value) == (config_.address.value & mask.value);
    if (on_link) {
        *broadcast = config_.prefix_length < 31 && (destination.value | mask.value) == 0xFFFFFFFF;
        *next_hop = destination;
        return true;
    }
    if (config_.gateway.is_any()) return false;
    *next_hop = config_.gateway;
    return true;
}

Error Stack::ipv4_send(Ipv4Address destination, std::uint8_t protocol,
                       const hal::FramePiece* pieces, std::size_t count, std::size_t length,
                       std::uint64_t now, std::size_t segment_bytes, Ipv4Marking marking) {
    if (length > kMaxIpv4Datagram - sizeof(Ipv4Header)) return Error::kMessageTooLong;
    if (destination.is_any()) return Error::kInvalid;  // no host is 0.0.0.0 (a DHCP client's source)
    Ipv4Address next_hop;
    bool broadcast = false;
    if (!route(destination, &next_hop, &broadcast)) return Error::kNetworkUnreachable;
    if (broadcast) next_hop = kAnyAddress;  // marks "to every station"
    std::uint16_t identification = next_identification();
    if (segment_bytes != 0) {
        // An oversized TCP segment goes whole, to be cut; its cuts number
        // themselves from this identification on, so those are skipped.
        if (protocol != kProtocolTcp || length > offload_segment_limit_ || count >= kMaxPieces) {
            return Error::kMessageTooLong;
        }
        next_identification_ = static_cast<std::uint16_t>(
            next_identification_ + (length - 1) / segment_bytes);
        return ipv4_send_fragment(next_hop, destination, protocol, identification, 0, false, pieces,
                                  count, length, now, segment_bytes, marking);
    }
    // What fits goes whole; fragments but the last carry multiples of 8.
    std::size_t room = mtu_ - sizeof(Ipv4Header);
    std::size_t fragment_payload = length <= room ? length : room & ~std::size_t{7};
    for (std::size_t offset = 0;;) {
        std::size_t part = length - offset;
        bool more = part > fragment_payload;
        if (more) part = fragment_payload;
        hal::FramePiece slices[kMaxPieces];
        std::size_t slice_count =
            part == 0 ? 0 : slice_pieces(pieces, count, offset, part, slices, kMaxPieces - 1);
        if (part != 0 && slice_count == 0) return Error::kInvalid;
        TORO_TRY(ipv4_send_fragment(next_hop, destination, protocol, identification, offset, more,
                                    slices, slice_count, part, now, 0, marking));
        offset += part;
        if (!more) return Error::kOk;
    }
}

Error Stack::ipv4_send_fragment(Ipv4Address next_hop, Ipv4Address destination,
                                std::uint8_t protocol, std::uint16_t identification,
                                std::size_t offset, bool more, const hal::FramePiece* pieces,
                                std::size_t count, std::size_t length, std::uint64_t now,
                                std::size_t segment_bytes, Ipv4Marking marking) {
    Ipv4Header header{};
    header.version_and_length = 0x45;
    store16(header.total_length, static_cast<std::uint16_t>(sizeof header + length));
    store16(header.identification, identification);
    store16(header.flags_and_offset,
            static_cast<std::uint16_t>((more ? kIpv4MoreFragments : 0) | (offset / 8)));
    header.type_of_service = marking.type_of_service;
    header.time_to_live = marking.time_to_live;
    header.protocol = protocol;
    store32(header.source, config_.address.value);
    store32(header.destination, destination.value);
    store16(header.checksum, internet_checksum(reinterpret_cast<const std::uint8_t*>(&header),
                                               sizeof header));
    hal::FramePiece frame[kMaxPieces];
    frame[0] = {reinterpret_cast<const std::uint8_t*>(&header), sizeof header};
    for (std::size_t i = 0; i < count; ++i) frame[i + 1] = pieces[i];
    if (next_hop.is_any()) {
        return send_frame(kBroadcastMac, kEtherTypeIpv4, frame, count + 1, segment_bytes);
    }
    return arp_send_ipv4(next_hop, frame, count + 1, now, segment_bytes);
}

}  // namespace toro::net
