// ICMP (RFC 792): echo replies, and the destination-unreachable errors the
// stack sends (port and protocol), rate limited by a token bucket (RFC 1812
// §4.3.2.8) so a flood at closed ports cannot turn the host into a
// reflector.
#include "net/checksum.h"
#include "net/stack.h"

namespace toro::net {

namespace {

// Sums the chain's payload bytes, skipping the first `skip`.
void add_chain(Checksum& checksum, const Packet* first, std::size_t skip) {
    for (const Packet* part = first; part != nullptr; part = part->next) {
        std::size_t length = part->part_length;
        if (skip >= length) {
            skip -= length;
            continue;
        }
        checksum.add(part->data + part->offset + skip, length - skip);
        skip = 0;
    }
}

}  // namespace

void Stack::icmp_input(const Datagram& datagram, std::uint64_t now) {
    Packet* first = datagram.first;
    if (datagram.payload_length < sizeof(IcmpHeader) || first->part_length < sizeof(IcmpHeader)) {
        return drop(first);
    }
    Checksum received;
    add_chain(received, first, 0);
    if (received.finish() != 0) return drop(first);
    IcmpHeader header;
    __builtin_memcpy(&header, first->data + first->offset, sizeof header);
    if ((header.type == kIcmpUnreachable || header.type == kIcmpTimeExceeded) && !datagram.to_broadcast)
        icmp_error_input(datagram, header, now);
    // RFC 1122 §3.2.2.6: echo to a broadcast address may be ignored (Linux
    // does, by default): it would make the host an amplifier.
    if (header.type != kIcmpEchoRequest || datagram.to_broadcast) {
        pool_.release_chain(first);
        return;
    }
    header.type = kIcmpEchoReply;
    header.code = 0;
    store16(header.checksum, 0);
    Checksum reply;
    reply.add(reinterpret_cast<const std::uint8_t*>(&header), sizeof header);
    add_chain(reply, first, sizeof header);
    store16(header.checksum, reply.finish());
    hal::FramePiece pieces[kMaxPieces];
    std::size_t count = 0;
    pieces[count++] = {reinterpret_cast<const std::uint8_t*>(&header), sizeof header};
    std::size_t skip = sizeof header;
    for (const Packet* part = first; part != nullptr; part = part->next) {
        if (count == kMaxPieces - 1) return drop(first);
        std::size_t length = part->part_length - skip;
        if (length > 0) pieces[count++] = {part->data + part->offset + skip, length};
        skip = 0;
    }
    (void)ipv4_send(datagram.source, kProtocolIcmp, pieces, count, datagram.payload_length, now);
    pool_.release_chain(first);
}

// A destination-unreachable or time-exceeded error quoting a TCP segment
// we sent: its IP header and at least the 8 bytes of TCP header with
// ports and sequence number (RFC 792). RFC 1122 §4.2.3.9's hard errors
// (protocol and port unreachable) and RFC 1812 §5.2.7.1's
// administratively prohibited ones go to the connection, which gives up
// a handshake on them; the soft ones (net or host unreachable, Time
// Exceeded) are transient and change nothing, but for Time Exceeded in
// transit with TcpSettings::time_exceeded_aborts_connect (FreeBSD's rule).
void Stack::icmp_error_input(const Datagram& datagram, const IcmpHeader& header,
                             std::uint64_t now) {
    constexpr std::uint8_t kProtocolUnreachable = 2, kPortUnreachable = 3, kNetProhibited = 9,
                           kHostProhibited = 10, kCommunicationProhibited = 13, kTtlExceeded = 0;
    std::uint8_t code = header.code;
    Error error = Error::kConnectionRefused;
    if (header.type == kIcmpTimeExceeded) {
        if (code != kTtlExceeded || !tcp_settings_.time_exceeded_aborts_connect) return;
        error = Error::kHostUnreachable;
    } else if (code != kProtocolUnreachable && code != kPortUnreachable && code != kNetProhibited &&
               code != kHostProhibited && code != kCommunicationProhibited) {
        return;
    }
    // The quoted datagram, copied out of the chain: IP header (20 to 60
    // bytes) and 8 bytes of TCP.
    std::uint8_t quoted[60 + 8];
    std::size_t have = copy_from_chain(datagram.first, sizeof(IcmpHeader), quoted, sizeof quoted);
    if (have < 20 || (quoted[0] >> 4) != 4) return;
    std::size_t header_length = static_cast<std::size_t>(quoted[0] & 0x0F) * 4;
    if (header_length < 20 || have < header_length + 8 || quoted[9] != kProtocolTcp) return;
    const std::uint8_t* tcp = quoted + header_length;
    Endpoint local{Ipv4Address{load32(quoted + 12)}, load16(tcp)};
    Endpoint remote{Ipv4Address{load32(quoted + 16)}, load16(tcp + 2)};
    if (local.address.value != config_.address.value) return;  // not a segment of ours
    tcp_icmp_error(local, remote, load32(tcp + 4), error, now);
}

bool Stack::icmp_error_allowed(std::uint64_t now) {
    std::uint64_t rate = limits_.icmp_errors_per_second;
    if (rate == 0) return false;
    std::uint64_t interval = kSecond / rate;
    std::uint64_t earned = (now - icmp_refilled_at_) / interval;
    if (earned > 0) {
        icmp_tokens_ = icmp_tokens_ + earned > rate ? rate : icmp_tokens_ + earned;
        icmp_refilled_at_ = icmp_tokens_ == rate ? now : icmp_refilled_at_ + earned * interval;
    }
    if (icmp_tokens_ == 0) {
        ++icmp_rate_limited_;
        return false;
    }
    --icmp_tokens_;
    return true;
}

// The error quotes the offending datagram's IP header and the first 8
// bytes of its payload (RFC 792), which the first packet of the chain holds.
void Stack::icmp_send_unreachable(const Datagram& datagram, std::uint8_t code, std::uint64_t now) {
    if (datagram.to_broadcast || !icmp_error_allowed(now)) return;
    const Packet* first = datagram.first;
    std::size_t quoted = first->offset - sizeof(EthernetHeader) +
                         (first->part_length < 8 ? first->part_length : 8);
    IcmpHeader header{};
    header.type = kIcmpUnreachable;
    header.code = code;
    const std::uint8_t* original = first->data + sizeof(EthernetHeader);
    Checksum checksum;
    checksum.add(reinterpret_cast<const std::uint8_t*>(&header), sizeof header);
    checksum.add(original, quoted);
    store16(header.checksum, checksum.finish());
    hal::FramePiece pieces[2] = {{reinterpret_cast<const std::uint8_t*>(&header), sizeof header},
                                 {original, quoted}};
    (void)ipv4_send(datagram.source, kProtocolIcmp, pieces, 2, sizeof header + quoted, now);
}

}  // namespace toro::net
