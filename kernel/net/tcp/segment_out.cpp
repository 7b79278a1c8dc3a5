// What connections send, framed: the TCP header and checksum around a
// connection's OutSegment, handed to IPv4 as a gather list (the payload
// stays in the send buffer). And RFC 6528's initial sequence numbers.
#include "hal/random.h"
#include "net/checksum.h"
#include "net/siphash.h"
#include "net/stack.h"

namespace toro::net {

namespace {

using tcp::TcpHeader;

}  // namespace

// SipHash-2-4 of the 12 bytes of a connection's addresses and ports: RFC
// 6528's F(), and the timestamp offset of a connection a SYN cookie opens.
std::uint64_t siphash_endpoints(const std::uint64_t key[2], Endpoint local, Endpoint remote) {
    SipHash hash(key);
    hash.absorb(std::uint64_t{local.address.value} << 32 | remote.address.value);
    // The last word: the 4 remaining bytes, and the message length (12) in the top byte.
    hash.absorb(std::uint64_t{12} << 56 | std::uint64_t{local.port} << 16 | remote.port);
    return hash.finish();
}

// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), M a timer ticking every 4 microseconds.
std::uint32_t Stack::tcp_initial_sequence(Endpoint local, Endpoint remote, std::uint64_t now) const {
    return static_cast<std::uint32_t>(now / 4000) +
           static_cast<std::uint32_t>(siphash_endpoints(isn_key_, local, remote));
}

void Stack::send_segment(tcp::Connection& connection, const tcp::OutSegment& segment) {
    TcpSocket* socket = tcp_socket_of(connection);
    Ipv4Marking marking = socket != nullptr ? socket->ip_marking : Ipv4Marking{};
    // IP_TOS sets the DSCP; the ECN field is the connection's (RFC 3168 §5).
    marking.type_of_service = static_cast<std::uint8_t>((marking.type_of_service & 0xFC) | segment.ecn);
    tcp_transmit(connection.local(), connection.remote(), segment, marking);
}

Stack::TcpSocket* Stack::tcp_socket_of(tcp::Connection& connection) {
    std::size_t index =
        static_cast<std::size_t>(reinterpret_cast<std::uint8_t*>(&connection) - tcp_storage_) /
        sizeof(TcpSocket);
    return index < tcp_constructed_ ? tcp_slot(index) : nullptr;
}

void Stack::tcp_transmit(Endpoint local, Endpoint remote, const tcp::OutSegment& segment,
                         Ipv4Marking marking) {
    std::uint8_t header_bytes[tcp::kMaxTcpHeader];
    auto* header = reinterpret_cast<TcpHeader*>(header_bytes);
    std::size_t header_length = sizeof(TcpHeader) + segment.options_length;
    store16(header->source_port, local.port);
    store16(header->destination_port, remote.port);
    store32(header->sequence, segment.sequence);
    store32(header->acknowledgment, segment.acknowledgment);
    header->data_offset = static_cast<std::uint8_t>(header_length / 4 << 4);
    header->flags = segment.flags;
    store16(header->window, segment.window);
    store16(header->checksum, 0);
    store16(header->urgent, 0);
    __builtin_memcpy(header_bytes + sizeof(TcpHeader), segment.options, segment.options_length);
    std::size_t tcp_length = header_length + segment.payload_length;
    Checksum checksum;
    add_pseudo_header(checksum, config_.address, remote.address, kProtocolTcp, tcp_length);
    checksum.add(header_bytes, header_length);
    hal::FramePiece pieces[3] = {{header_bytes, header_length}};
    std::size_t count = 1;
    for (std::size_t i = 0; i < segment.payload_count; ++i) {
        checksum.add(segment.payload[i].bytes, segment.payload[i].length);
        pieces[count++] = segment.payload[i];
    }
    store16(header->checksum, checksum.finish());
    std::size_t cut = segment.payload_length > segment.segment_bytes ? segment.segment_bytes : 0;
    tcp_segments_sent_ += cut == 0 ? 1 : (segment.payload_length + cut - 1) / cut;
    (void)ipv4_send(remote.address, kProtocolTcp, pieces, count, tcp_length, tcp_now_, cut,
                    marking);
}

void Stack::tcp_send_raw(Endpoint local, Endpoint remote, std::uint32_t sequence,
                         std::uint32_t acknowledgment, std::uint8_t flags, Ipv4Marking marking) {
    tcp::OutSegment segment;
    segment.sequence = sequence;
    segment.acknowledgment = acknowledgment;
    segment.flags = flags;
    ++tcp_resets_sent_;
    tcp_transmit(local, remote, segment, marking);
}

void Stack::connection_changed(tcp::Connection& connection) {
    TcpSocket* found = tcp_socket_of(connection);
    if (found == nullptr) return;
    TcpSocket& socket = *found;
    signal_tcp_waiters(socket);
    if (socket.listener >= 0 && !socket.accepted) {
        TcpSocket& listener = *tcp_slot(static_cast<std::size_t>(socket.listener));
        if (connection.state() != tcp::State::kSynReceived && socket.ready_order == 0 &&
            connection.state() != tcp::State::kClosed) {
            socket.ready_order = ++tcp_ready_counter_;  // acceptable now
            ++listener.ready;
        }
        signal_tcp_waiters(listener);
    }
}

void Stack::count(Counter counter) {
    switch (counter) {
        case Counter::kKeepaliveTimeout: ++tcp_keepalive_timeouts_; break;
        case Counter::kPawsDrop: ++tcp_paws_drops_; break;
        case Counter::kRetriesExhausted: ++tcp_retry_timeouts_; break;
    }
}

bool Stack::challenge_ack_allowed(std::uint64_t now) {
    std::uint64_t second = now / kSecond;
    if (second != challenge_second_) {
        challenge_second_ = second;
        unsigned limit = limits_.tcp_challenge_acks_per_second;
        challenge_budget_ = limit == 0 ? 0 : limit / 2 + static_cast<unsigned>(hal::random_u64() % limit) + 1;
    }
    if (challenge_budget_ == 0) {
        ++tcp_challenge_acks_limited_;
        return false;
    }
    --challenge_budget_;
    return true;
}

void Stack::signal_tcp_waiters(TcpSocket& socket) {
    for (Event* waiter : socket.waiters) {
        if (waiter != nullptr) waiter->signal();
    }
}

}  // namespace toro::net
