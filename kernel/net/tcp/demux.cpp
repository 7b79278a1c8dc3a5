// Segments in: checked (lengths, checksum), then handed to their
// connection, to a listener (RFC 9293 §3.10.7.2, LISTEN), or answered with
// a RST when nothing listens (§3.10.7.1, CLOSED).
#include "hal/random.h"
#include "net/checksum.h"
#include "net/siphash.h"
#include "net/stack.h"
#include "net/tcp/sequence.h"

namespace toro::net {

namespace {

using tcp::InSegment;

bool checksum_valid(const Datagram& datagram) {
    Checksum checksum;
    add_pseudo_header(checksum, datagram.source, datagram.destination, kProtocolTcp, datagram.payload_length);
    return add_chain_to_checksum(checksum, datagram.first, datagram.payload_length) && checksum.finish() == 0;
}

}  // namespace

void Stack::tcp_input(const Datagram& datagram, std::uint64_t now) {
    tcp_now_ = now;
    std::uint8_t header_bytes[tcp::kMaxTcpHeader];
    if (datagram.to_broadcast || datagram.payload_length < sizeof(tcp::TcpHeader)) {
        return drop(datagram.first);
    }
    std::size_t copied = copy_from_chain(datagram.first, 0, header_bytes,
                                         datagram.payload_length < sizeof header_bytes
                                             ? datagram.payload_length
                                             : sizeof header_bytes);
    const auto* header = reinterpret_cast<const tcp::TcpHeader*>(header_bytes);
    std::size_t header_length = static_cast<std::size_t>(header->data_offset >> 4) * 4;
    if (header_length < sizeof(tcp::TcpHeader) || header_length > copied || !checksum_valid(datagram)) {
        return drop(datagram.first);
    }
    ++tcp_segments_received_;
    InSegment segment;
    segment.sequence = load32(header->sequence);
    segment.acknowledgment = load32(header->acknowledgment);
    segment.flags = header->flags;
    segment.window = load16(header->window);
    segment.options = tcp::parse_options(header_bytes + sizeof(tcp::TcpHeader),
                                         header_length - sizeof(tcp::TcpHeader));
    segment.payload = datagram.first;
    segment.payload_skip = header_length;
    segment.payload_length = datagram.payload_length - header_length;
    segment.ecn = datagram.ecn;
    Endpoint local{datagram.destination, load16(header->destination_port)};
    Endpoint remote{datagram.source, load16(header->source_port)};

    TcpSocket* socket = tcp_find_connection(local, remote);
    // RFC 9293 §3.10.7.4 (TIME-WAIT) and RFC 6191: a new SYN beyond the
    // old connection's sequence space ends the TIME-WAIT and opens anew
    // (lib-lwip PR #76: a Linux client reusing its port must connect). A
    // descriptor still naming the old connection keeps it.
    if (socket != nullptr && socket->connection.state() == tcp::State::kTimeWait && !socket->user_holds &&
        (segment.flags & (tcp::kSyn | tcp::kAck | tcp::kRst)) == tcp::kSyn &&
        tcp_find_listener(local) != nullptr &&
        tcp::seq_gt(segment.sequence, socket->connection.receive_next())) {
        tcp_free(*socket);
        socket = nullptr;
    }
    if (socket != nullptr) {
        socket->connection.input(segment, now);
        tcp_settle(*socket, now);
    } else if (TcpSocket* listener = tcp_find_listener(local)) {
        tcp_listener_syn(*listener, local, remote, segment, now);
    } else {
        tcp_send_reset(local, remote, segment);
    }
    pool_.release_chain(datagram.first);  // taken (the payload was copied), not dropped
}

void Stack::tcp_icmp_error(Endpoint local, Endpoint remote, std::uint32_t sequence, Error error,
                           std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_find_connection(local, remote);
    if (socket == nullptr) return;
    socket->connection.icmp_hard_error(error, sequence);
    tcp_settle(*socket, now);
}

// Through the index: the segments of a busy server no longer walk every
// connection (a table scan was a fifth of a SYN's cost at 129 sockets).
Stack::TcpSocket* Stack::tcp_find_connection(Endpoint local, Endpoint remote) {
    for (std::uint16_t at = tcp_buckets_[tcp_bucket(local, remote)]; at != 0;) {
        TcpSocket& socket = *tcp_slot(at - 1u);
        at = socket.next_in_bucket;
        const tcp::Connection& connection = socket.connection;
        if (connection.state() == tcp::State::kClosed) continue;
        if (connection.local() == local && connection.remote() == remote) return &socket;
    }
    return nullptr;
}

std::size_t Stack::tcp_bucket(Endpoint local, Endpoint remote) const {
    return static_cast<std::size_t>(siphash_endpoints(demux_key_, local, remote)) & (kTcpBuckets - 1);
}

// Once its endpoints are fixed (connection.initialize), until tcp_free.
void Stack::tcp_index_connection(TcpSocket& socket) {
    std::size_t bucket = tcp_bucket(socket.connection.local(), socket.connection.remote());
    socket.next_in_bucket = tcp_buckets_[bucket];
    tcp_buckets_[bucket] = static_cast<std::uint16_t>(tcp_index(socket) + 1);
    socket.indexed = true;
}

void Stack::tcp_unindex_connection(TcpSocket& socket) {
    if (!socket.indexed) return;
    auto me = static_cast<std::uint16_t>(tcp_index(socket) + 1);
    std::uint16_t* link = &tcp_buckets_[tcp_bucket(socket.connection.local(), socket.connection.remote())];
    while (*link != 0 && *link != me) link = &tcp_slot(*link - 1u)->next_in_bucket;
    if (*link == me) *link = socket.next_in_bucket;
    socket.next_in_bucket = 0;
    socket.indexed = false;
}

bool Stack::tcp_tables_consistent() const {
    for (std::size_t i = 0; i < tcp_slots_; ++i) {
        const TcpSocket& listener = *tcp_slot(i);
        if (listener.kind != TcpSocket::Kind::kListener) continue;
        unsigned queued = 0, ready = 0;
        for (const TcpSocket& child : tcp_sockets()) {
            if (child.kind != TcpSocket::Kind::kConnection || child.listener != static_cast<int>(i) ||
                child.accepted) {
                continue;
            }
            ++queued;
            ready += child.ready_order != 0;
        }
        if (queued != listener.queued || ready != listener.ready) return false;
    }
    std::size_t chained = 0;
    for (std::size_t bucket = 0; bucket < kTcpBuckets; ++bucket) {
        std::size_t steps = 0;
        for (std::uint16_t at = tcp_buckets_[bucket]; at != 0; ++steps, ++chained) {
            if (steps > tcp_slots_ || at > tcp_slots_) return false;  // a loop, or a slot not in use
            const TcpSocket& socket = *tcp_slot(at - 1u);
            if (socket.kind != TcpSocket::Kind::kConnection || !socket.indexed ||
                tcp_bucket(socket.connection.local(), socket.connection.remote()) != bucket) {
                return false;
            }
            at = socket.next_in_bucket;
        }
    }
    std::size_t connections = 0;
    for (std::size_t i = 0; i < tcp_slots_; ++i) {
        const TcpSocket& socket = *tcp_slot(i);
        if (socket.kind == TcpSocket::Kind::kConnection && !socket.indexed) return false;
        connections += socket.kind == TcpSocket::Kind::kConnection;
    }
    return chained == connections;
}

Stack::TcpSocket* Stack::tcp_find_listener(Endpoint local) {
    for (TcpSocket& socket : tcp_sockets()) {
        if (socket.kind != TcpSocket::Kind::kListener || socket.local.port != local.port) continue;
        if (socket.local.address.is_any() || socket.local.address == local.address) return &socket;
    }
    return nullptr;
}

// §3.10.7.2. A full backlog (or socket table, or TCP memory) answers
// with a SYN cookie (syn_cookies.cpp) and keeps nothing; with cookies
// off, a full backlog gives up its oldest half-open connection for the new
// SYN: under a flood of spoofed SYNs, a real client's handshake (one round
// trip) still completes before its entry is taken.
void Stack::tcp_listener_syn(TcpSocket& listener, Endpoint local, Endpoint remote,
                             const InSegment& syn, std::uint64_t now) {
    if ((syn.flags & tcp::kRst) != 0) return;
    if ((syn.flags & tcp::kAck) != 0) {
        if ((syn.flags & tcp::kSyn) != 0 && tcp_settings_.listener_drops_syn_ack) return;
        if (tcp_accept_cookie(listener, local, remote, syn, now)) return;
        tcp_send_raw(local, remote, syn.acknowledgment, 0, tcp::kRst, listener.ip_marking);
        return;
    }
    if ((syn.flags & tcp::kSyn) == 0) return;
    if ((syn.flags & tcp::kFin) != 0 && tcp_settings_.drop_syn_fin) return;
    tcp::SynCookies cookies = tcp_settings_.syn_cookies;
    if (cookies == tcp::SynCookies::kAlways) return tcp_send_cookie(listener, local, remote, syn, now);
    if (listener.queued >= listener.backlog) {
        if (listener.ready == listener.queued) return;  // all established, waiting for accept: drop
        if (cookies == tcp::SynCookies::kWhenFull) return tcp_send_cookie(listener, local, remote, syn, now);
        if (TcpSocket* oldest = tcp_oldest_half_open(listener)) tcp_free(*oldest);
    }
    TcpSocket* child = tcp_new_child(listener, local, remote, tcp_initial_sequence(local, remote, now),
                                     static_cast<std::uint32_t>(hal::random_u64()), now);
    if (child == nullptr) {
        if (cookies != tcp::SynCookies::kOff) tcp_send_cookie(listener, local, remote, syn, now);
        return;
    }
    child->half_open_order = ++tcp_ready_counter_;
    child->connection.accept_syn(syn, now);
    tcp_settle(*child, now);
}

Stack::TcpSocket* Stack::tcp_oldest_half_open(TcpSocket& listener) {
    int listener_index = tcp_index(listener);
    TcpSocket* oldest = nullptr;
    for (TcpSocket& socket : tcp_sockets()) {
        bool half_open = socket.kind == TcpSocket::Kind::kConnection && socket.listener == listener_index &&
                         !socket.accepted && socket.connection.state() == tcp::State::kSynReceived;
        if (half_open && (oldest == nullptr || socket.half_open_order < oldest->half_open_order)) {
            oldest = &socket;
        }
    }
    return oldest;
}

// A connection for `listener`, inheriting its options, with its buffers
// and its connection initialized (ISS `initial_sequence`); nullptr when
// the socket table or TCP memory is full.
Stack::TcpSocket* Stack::tcp_new_child(TcpSocket& listener, Endpoint local, Endpoint remote,
                                       std::uint32_t initial_sequence, std::uint32_t timestamp_offset,
                                       std::uint64_t now) {
    TcpSocket* child = tcp_allocate_slot();
    if (child == nullptr) return nullptr;
    child->kind = TcpSocket::Kind::kConnection;
    child->listener = tcp_index(listener);
    ++listener.queued;
    child->local = local;
    child->bound = true;
    child->no_delay = listener.no_delay;
    child->no_options = listener.no_options;
    child->keepalive = listener.keepalive;
    child->handshake_limit_ns = listener.handshake_limit_ns;
    child->ip_marking = listener.ip_marking;
    child->send_bytes = listener.send_bytes;
    child->receive_bytes = listener.receive_bytes;
    if (!tcp_give_buffers(*child)) {
        tcp_free(*child);
        return nullptr;
    }
    tcp::Connection& connection = child->connection;
    connection.initialize(this, &tcp_settings_, local, remote, initial_sequence, timestamp_offset);
    tcp_index_connection(*child);
    connection.attach_buffers(child->buffers, child->send_bytes, child->buffers + child->send_bytes,
                              child->receive_bytes);
    connection.set_no_delay(child->no_delay);
    connection.set_no_options(child->no_options);
    connection.set_keepalive(child->keepalive, now);
    connection.set_handshake_limit(child->handshake_limit_ns, now);
    return child;
}

// §3.10.7.1: a segment for no connection gets a RST, unless it is one.
void Stack::tcp_send_reset(Endpoint local, Endpoint remote, const InSegment& cause) {
    if ((cause.flags & tcp::kRst) != 0) return;
    Ipv4Marking marking = tcp_port_marking(local);
    if ((cause.flags & tcp::kAck) != 0) {
        tcp_send_raw(local, remote, cause.acknowledgment, 0, tcp::kRst, marking);
        return;
    }
    std::uint32_t length = static_cast<std::uint32_t>(cause.payload_length) +
                           ((cause.flags & tcp::kSyn) != 0) + ((cause.flags & tcp::kFin) != 0);
    tcp_send_raw(local, remote, 0, cause.sequence + length, tcp::kRst | tcp::kAck, marking);
}

// A socket bound to the port (not yet listening or connected) answers for
// it, so the RST carries what its user set, as FreeBSD's does.
Ipv4Marking Stack::tcp_port_marking(Endpoint local) {
    for (const TcpSocket& socket : tcp_sockets()) {
        if (socket.kind != TcpSocket::Kind::kOpen || !socket.bound ||
            socket.local.port != local.port)
            continue;
        if (socket.local.address.is_any() || socket.local.address == local.address)
            return socket.ip_marking;
    }
    return {};
}

}  // namespace toro::net
