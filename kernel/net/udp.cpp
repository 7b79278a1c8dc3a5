// UDP (RFC 768, RFC 1122 §4.1): the socket table, input with checksums
// checked, and output with checksums computed. A datagram that no socket
// takes draws a port unreachable (rate limited, never for broadcasts).
#include "hal/random.h"
#include "net/checksum.h"
#include "net/stack.h"

namespace toro::net {

namespace {

constexpr std::uint16_t kFirstEphemeralPort = 49152;  // RFC 6335 §6

}  // namespace

Stack::UdpSocket* Stack::udp_socket(int socket) {
    if (socket < 0 || static_cast<std::size_t>(socket) >= kSockets) return nullptr;
    UdpSocket& entry = sockets_[socket];
    return entry.open ? &entry : nullptr;
}

const Stack::UdpSocket* Stack::udp_socket(int socket) const {
    return const_cast<Stack*>(this)->udp_socket(socket);
}

Result<int> Stack::udp_open() {
    for (std::size_t i = 0; i < kSockets; ++i) {
        if (sockets_[i].open) continue;
        sockets_[i] = UdpSocket{};
        sockets_[i].open = true;
        if (i >= socket_slots_) socket_slots_ = i + 1;
        return static_cast<int>(i);
    }
    return Error::kTooManyOpen;
}

bool Stack::udp_port_in_use(std::uint16_t port, Ipv4Address address) const {
    for (const UdpSocket& socket : socket_slots()) {
        if (!socket.open || !socket.bound || socket.local.port != port) continue;
        if (socket.local.address.is_any() || address.is_any() || socket.local.address == address) {
            return true;
        }
    }
    return false;
}

Error Stack::udp_bind_ephemeral(UdpSocket& socket) {
    for (unsigned tries = 0; tries < 16384; ++tries) {
        std::uint16_t port = next_ephemeral_port_;
        next_ephemeral_port_ = port == 65535 ? kFirstEphemeralPort : static_cast<std::uint16_t>(port + 1);
        if (udp_port_in_use(port, socket.local.address)) continue;
        socket.local.port = port;
        socket.bound = true;
        return Error::kOk;
    }
    return Error::kAddressInUse;
}

Error Stack::udp_bind(int descriptor, Endpoint local) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->bound) return Error::kInvalid;
    if (!local.address.is_any() && !(local.address == config_.address)) {
        return Error::kAddressNotAvailable;
    }
    socket->local.address = local.address;
    if (local.port == 0) return udp_bind_ephemeral(*socket);
    if (udp_port_in_use(local.port, local.address)) return Error::kAddressInUse;
    socket->local.port = local.port;
    socket->bound = true;
    return Error::kOk;
}

Error Stack::udp_connect(int descriptor, Endpoint remote) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (remote.address.is_any() || remote.port == 0) return Error::kInvalid;
    if (!socket->bound) TORO_TRY(udp_bind_ephemeral(*socket));
    socket->remote = remote;
    socket->connected = true;
    return Error::kOk;
}

Error Stack::udp_close(int descriptor) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    for (Packet* datagram = socket->queue; datagram != nullptr;) {
        Packet* next = datagram->next_queued;
        pool_.release_chain(datagram);
        datagram = next;
    }
    signal_waiters(*socket);  // a thread waiting on it sees kBadDescriptor
    *socket = UdpSocket{};
    while (socket_slots_ > 0 && !sockets_[socket_slots_ - 1].open) --socket_slots_;
    return Error::kOk;
}

Error Stack::udp_set_nonblocking(int descriptor, bool nonblocking) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->nonblocking = nonblocking;
    return Error::kOk;
}

bool Stack::udp_nonblocking(int descriptor) const {
    const UdpSocket* socket = udp_socket(descriptor);
    return socket != nullptr && socket->nonblocking;
}

Result<Endpoint> Stack::udp_local(int descriptor) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    return socket->local;
}

Result<std::size_t> Stack::udp_send(int descriptor, const std::uint8_t* bytes, std::size_t length,
                                    const Endpoint* remote, std::uint64_t now) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (length > kMaxUdpPayload) return Error::kMessageTooLong;
    if (remote == nullptr && !socket->connected) return Error::kDestinationRequired;
    Endpoint peer = remote != nullptr ? *remote : socket->remote;
    if (peer.port == 0 || peer.address.is_any()) return Error::kInvalid;
    if (config_.address.is_any() && !peer.address.is_broadcast()) return Error::kNetworkDown;
    if (!socket->bound) TORO_TRY(udp_bind_ephemeral(*socket));
    TORO_TRY(udp_output(socket->local.port, peer, bytes, length, now));
    return length;
}

Error Stack::udp_output(std::uint16_t local_port, Endpoint peer, const std::uint8_t* bytes,
                        std::size_t length, std::uint64_t now) {
    std::size_t udp_length = sizeof(UdpHeader) + length;
    UdpHeader header;
    store16(header.source_port, local_port);
    store16(header.destination_port, peer.port);
    store16(header.length, static_cast<std::uint16_t>(udp_length));
    store16(header.checksum, 0);
    Checksum checksum;
    add_pseudo_header(checksum, config_.address, peer.address, kProtocolUdp, udp_length);
    checksum.add(reinterpret_cast<const std::uint8_t*>(&header), sizeof header);
    checksum.add(bytes, length);
    std::uint16_t sum = checksum.finish();
    store16(header.checksum, sum == 0 ? 0xFFFF : sum);  // 0 would mean "none" (RFC 768)
    hal::FramePiece pieces[2] = {{reinterpret_cast<const std::uint8_t*>(&header), sizeof header},
                                 {bytes, length}};
    return ipv4_send(peer.address, kProtocolUdp, pieces, length > 0 ? 2 : 1, udp_length, now);
}

Result<std::size_t> Stack::udp_receive(int descriptor, std::uint8_t* buffer, std::size_t capacity,
                                       Endpoint* from) {
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    Packet* datagram = socket->queue;
    if (datagram == nullptr) return Error::kWouldBlock;
    socket->queue = datagram->next_queued;
    if (socket->queue == nullptr) socket->queue_tail = nullptr;
    std::size_t length = datagram->datagram_length;
    std::size_t packets = 0;
    for (Packet* part = datagram; part != nullptr; part = part->next) ++packets;
    socket->queued_packets -= packets;
    socket->queued_bytes -= length;
    copy_from_chain(datagram, 0, buffer, length < capacity ? length : capacity);
    if (from != nullptr) *from = {{datagram->source_address}, datagram->source_port};
    pool_.release_chain(datagram);
    return length;
}

Result<unsigned> Stack::udp_ready(int descriptor) const {
    const UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    unsigned ready = socket->queue != nullptr ? kReadable : 0;
    if (pool_.available() > 0) ready |= kWritable;
    return ready;
}

Error Stack::add_waiter(int descriptor, Event* waiter) {
    if (is_tcp(descriptor)) {
        TcpSocket* stream = tcp_socket(descriptor);
        if (stream == nullptr) return Error::kBadDescriptor;
        for (Event*& slot : stream->waiters) {
            if (slot == nullptr) {
                slot = waiter;
                return Error::kOk;
            }
        }
        return Error::kBusy;
    }
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    for (Event*& slot : socket->waiters) {
        if (slot == nullptr) {
            slot = waiter;
            return Error::kOk;
        }
    }
    return Error::kBusy;
}

void Stack::remove_waiter(int descriptor, Event* waiter) {
    if (is_tcp(descriptor)) {
        TcpSocket* stream = tcp_socket(descriptor);
        if (stream == nullptr) return;
        for (Event*& slot : stream->waiters) {
            if (slot == waiter) slot = nullptr;
        }
        return;
    }
    UdpSocket* socket = udp_socket(descriptor);
    if (socket == nullptr) return;
    for (Event*& slot : socket->waiters) {
        if (slot == waiter) slot = nullptr;
    }
}

void Stack::signal_waiters(UdpSocket& socket) {
    for (Event* waiter : socket.waiters) {
        if (waiter != nullptr) waiter->signal();
    }
}

Stack::UdpSocket* Stack::udp_find_receiver(const Datagram& datagram, std::uint16_t port) {
    for (UdpSocket& socket : socket_slots()) {
        if (!socket.open || !socket.bound || socket.local.port != port) continue;
        if (!socket.local.address.is_any() && !(socket.local.address == datagram.destination)) {
            continue;
        }
        if (socket.connected && !(socket.remote.address == datagram.source)) continue;
        return &socket;
    }
    return nullptr;
}

void Stack::udp_input(const Datagram& datagram, std::uint64_t now) {
    Packet* first = datagram.first;
    if (datagram.payload_length < sizeof(UdpHeader) || first->part_length < sizeof(UdpHeader)) {
        return drop(first);
    }
    UdpHeader header;
    __builtin_memcpy(&header, first->data + first->offset, sizeof header);
    std::size_t udp_length = load16(header.length);
    if (udp_length < sizeof header || udp_length > datagram.payload_length) return drop(first);
    if (load16(header.checksum) != 0) {  // RFC 768: 0 means the sender computed none
        Checksum checksum;
        add_pseudo_header(checksum, datagram.source, datagram.destination, kProtocolUdp, udp_length);
        if (!add_chain_to_checksum(checksum, first, udp_length) || checksum.finish() != 0) return drop(first);
    }
    std::uint16_t source_port = load16(header.source_port);
    if (load16(header.destination_port) == kDhcpClientPort && dhcp_.state != DhcpState::kOff) {
        first->offset = static_cast<std::uint16_t>(first->offset + sizeof header);
        first->part_length = static_cast<std::uint16_t>(first->part_length - sizeof header);
        dhcp_input(first, udp_length - sizeof header, now);
        pool_.release_chain(first);
        return;
    }
    UdpSocket* socket = udp_find_receiver(datagram, load16(header.destination_port));
    if (socket == nullptr || (socket->connected && socket->remote.port != source_port)) {
        icmp_send_unreachable(datagram, kIcmpPortUnreachable, now);
        return drop(first);
    }
    std::size_t packets = 0;
    for (Packet* part = first; part != nullptr; part = part->next) ++packets;
    if ((socket->queued_packets + packets) * kPacketBytes > limits_.socket_receive_bytes) {
        return drop(first);  // the socket's queue is full: UDP may lose datagrams
    }
    // The chain becomes the UDP payload: the header out of the first part,
    // and anything past udp_length (IP padding) out of the last ones.
    first->offset = static_cast<std::uint16_t>(first->offset + sizeof header);
    first->part_length = static_cast<std::uint16_t>(first->part_length - sizeof header);
    std::size_t remaining = udp_length - sizeof header;
    for (Packet* part = first; part != nullptr; part = part->next) {
        if (part->part_length > remaining) part->part_length = static_cast<std::uint16_t>(remaining);
        remaining -= part->part_length;
    }
    first->source_address = datagram.source.value;
    first->source_port = source_port;
    first->datagram_length = static_cast<std::uint16_t>(udp_length - sizeof header);
    first->next_queued = nullptr;
    (socket->queue != nullptr ? socket->queue_tail->next_queued : socket->queue) = first;
    socket->queue_tail = first;
    socket->queued_packets += packets;
    socket->queued_bytes += first->datagram_length;
    signal_waiters(*socket);
}

}  // namespace toro::net
