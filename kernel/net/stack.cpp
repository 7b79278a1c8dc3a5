// The stack's frame: set-up, Ethernet in and out, the transmit queue for
// sends made off the device's CPU, and the reports.
#include "net/stack.h"

#include "hal/cpu.h"
#include "hal/random.h"
#include "net/tcp_segmenter.h"

namespace toro::net {

void Stack::initialize(hal::NetDevice* device, void* pool_memory, std::size_t pool_bytes,
                       const InterfaceConfig& config, const StackLimits& limits,
                       std::uint64_t now) {
    device_ = device;
    device_cpu_ = hal::cpu_current();
    device->mac_address(mac_.bytes);
    // RFC 791 §3.2: every link carries 68 bytes; no frame here is longer
    // than a packet, or than Ethernet's (what the peers expect).
    std::size_t frame = device->max_frame_size();
    mtu_ = frame < sizeof(EthernetHeader) + 68 ? 68 : frame - sizeof(EthernetHeader);
    if (mtu_ > kEthernetMtu) mtu_ = kEthernetMtu;
    // TSO: IPv4's total length bounds a segment, whatever the device takes.
    std::size_t offload = device->max_offload_frame();
    offload_segment_limit_ = 0;
    if (offload > frame && offload > sizeof(EthernetHeader) + sizeof(Ipv4Header) + tcp::kMaxTcpHeader) {
        offload_segment_limit_ = offload - sizeof(EthernetHeader) - sizeof(Ipv4Header);
        if (offload_segment_limit_ > kMaxIpv4Datagram - sizeof(Ipv4Header)) {
            offload_segment_limit_ = kMaxIpv4Datagram - sizeof(Ipv4Header);
        }
    }
    set_tcp_settings(tcp_settings_);
    limits_ = limits;
    pool_.initialize(pool_memory, pool_bytes);
    // RFC 6056 §3.3.1 would have a per-destination offset; a random start
    // keeps a restarted machine from reusing its last run's ports.
    next_ephemeral_port_ = static_cast<std::uint16_t>(49152 + hal::random_u64() % 16384);
    next_identification_ = static_cast<std::uint16_t>(hal::random_u64());
    isn_key_[0] = hal::random_u64();
    isn_key_[1] = hal::random_u64();
    for (std::uint64_t& word : cookie_key_) word = hal::random_u64();
    for (std::uint64_t& word : demux_key_) word = hal::random_u64();
    for (std::uint64_t& word : cookie_timestamp_key_) word = hal::random_u64();
    tcp_cookie_sent_at_ = 0;
    icmp_tokens_ = limits_.icmp_errors_per_second;
    icmp_refilled_at_ = now;
    configure(config, now);
}

// The MSS we announce and send with is the route's: one interface, so its
// MTU less the IP and TCP headers (RFC 9293 §3.7.1), never below the
// floor taken from peers (the connection's arithmetic counts on it: a
// link under 128 bytes is not one TCP serves).
void Stack::set_tcp_settings(const tcp::TcpSettings& settings) {
    tcp_settings_ = settings;
    std::size_t route_mss = mtu_ - sizeof(Ipv4Header) - sizeof(tcp::TcpHeader);
    if (tcp_settings_.mss > route_mss) tcp_settings_.mss = static_cast<std::uint16_t>(route_mss);
    if (tcp_settings_.mss < tcp::kMinMss) tcp_settings_.mss = tcp::kMinMss;
    std::size_t offload_payload = offload_segment_limit_ > tcp::kMaxTcpHeader
                                      ? offload_segment_limit_ - tcp::kMaxTcpHeader
                                      : 0;
    if (tcp_settings_.offload_payload > offload_payload) tcp_settings_.offload_payload = offload_payload;
}

void Stack::configure(const InterfaceConfig& config, std::uint64_t now) {
    dhcp_ = DhcpClient{};
    set_address(config);
    if (config_.address.is_any()) dhcp_start(now);
    next_deadline_ = 0;  // the next poll looks at everything
}

void Stack::set_address(const InterfaceConfig& config) {
    config_ = config;
    if (config_.prefix_length > 32) config_.prefix_length = 32;
    // RFC 5227 §3: announce the address, so neighbours drop stale mappings.
    if (!config_.address.is_any()) arp_send(kArpRequest, MacAddress{}, config_.address);
}

Ipv4Address Stack::netmask() const {
    if (config_.prefix_length == 0) return {0};
    return {~std::uint32_t{0} << (32 - config_.prefix_length)};
}

void Stack::input(Packet* frame, std::uint64_t now) {
    ++frames_received_;
    if (frame->length < sizeof(EthernetHeader)) return drop(frame);
    const auto* ethernet = reinterpret_cast<const EthernetHeader*>(frame->data);
    MacAddress destination;
    __builtin_memcpy(destination.bytes, ethernet->destination, 6);
    if (!(destination == mac_) && !destination.is_broadcast()) return drop(frame);
    switch (load16(ethernet->ether_type)) {
        case kEtherTypeArp: return arp_input(frame, now);
        case kEtherTypeIpv4: return ipv4_input(frame, now);
        default: return drop(frame);
    }
}

// The tables are scanned only when something in them is due: poll() runs
// at every turn of the driver, deadlines change far less often.
std::uint64_t Stack::poll(std::uint64_t now) {
    flush_transmit_queue();
    if (now < next_deadline_) return driver_deadline_ = next_deadline_;
    // What the scans below set (a retransmission that must wait for ARP
    // makes an ARP deadline) lowers this; it joins what they return.
    next_deadline_ = kNoDeadline;
    std::uint64_t next = arp_poll(now);
    std::uint64_t reassembly_deadline = reassembly_poll(now);
    if (reassembly_deadline < next) next = reassembly_deadline;
    std::uint64_t dhcp_deadline = dhcp_poll(now);
    if (dhcp_deadline < next) next = dhcp_deadline;
    std::uint64_t tcp_deadline = tcp_poll(now);
    if (tcp_deadline < next) next = tcp_deadline;
    if (next_deadline_ < next) next = next_deadline_;
    next_deadline_ = next;
    driver_deadline_ = next;
    return next;
}

Error Stack::send_frame(const MacAddress& destination, std::uint16_t ether_type,
                       const hal::FramePiece* pieces, std::size_t count, std::size_t segment_bytes) {
    EthernetHeader header;
    __builtin_memcpy(header.destination, destination.bytes, 6);
    __builtin_memcpy(header.source, mac_.bytes, 6);
    store16(header.ether_type, ether_type);
    hal::FramePiece frame[kMaxPieces + 1];
    if (count > kMaxPieces) return Error::kInvalid;
    frame[0] = {reinterpret_cast<const std::uint8_t*>(&header), sizeof header};
    for (std::size_t i = 0; i < count; ++i) frame[i + 1] = pieces[i];
    return transmit_or_queue(frame, count + 1, segment_bytes);
}

// On the device's CPU a frame goes straight to the device (which copies
// it); elsewhere it is copied into a packet for the driver to send. A frame
// shorter than Ethernet's minimum is padded with zeros (IEEE 802.3 §4.2.3.3).
Error Stack::transmit_or_queue(const hal::FramePiece* pieces, std::size_t count,
                               std::size_t segment_bytes) {
    if (segment_bytes != 0) return transmit_cut(pieces, count, segment_bytes);
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i) length += pieces[i].length;
    if (length > kPacketCapacity) return Error::kMessageTooLong;
    static const std::uint8_t kZeros[kMinimumFrame] = {};
    hal::FramePiece padded[kMaxPieces + 2];
    if (length < kMinimumFrame && count <= kMaxPieces + 1) {
        for (std::size_t i = 0; i < count; ++i) padded[i] = pieces[i];
        padded[count++] = {kZeros, kMinimumFrame - length};
        pieces = padded;
        length = kMinimumFrame;
    }
    if (hal::cpu_current() == device_cpu_ && transmit_queue_ == nullptr) {
        hal::DeviceStatus status = device_->transmit(pieces, count);
        if (status == hal::DeviceStatus::kOk) {
            ++frames_sent_;
            return Error::kOk;
        }
        if (status != hal::DeviceStatus::kWouldBlock) {
            ++frames_dropped_;
            return Error::kIo;
        }
    }
    Packet* packet = transmit_queued_ < kTransmitQueue ? pool_.acquire() : nullptr;
    if (packet == nullptr) {
        ++frames_dropped_;
        return Error::kNoBufferSpace;
    }
    ++transmit_queued_;
    for (std::size_t i = 0; i < count; ++i) {
        __builtin_memcpy(packet->data + packet->length, pieces[i].bytes, pieces[i].length);
        packet->length = static_cast<std::uint16_t>(packet->length + pieces[i].length);
    }
    (transmit_queue_ != nullptr ? transmit_queue_tail_->next_queued : transmit_queue_) = packet;
    transmit_queue_tail_ = packet;
    if (wake_driver_ != nullptr) wake_driver_(wake_argument_);
    return Error::kOk;
}

// An oversized TCP segment: the device cuts it (TSO) when it can take it
// now; when it cannot (a full ring, or this is not the device's CPU), the
// frame is cut here, and each cut is sent or queued as any frame is.
Error Stack::transmit_cut(const hal::FramePiece* pieces, std::size_t count, std::size_t segment_bytes) {
    TcpSegmenter segmenter;
    if (!segmenter.start(pieces, count, sizeof(EthernetHeader), segment_bytes)) return Error::kInvalid;
    if (hal::cpu_current() == device_cpu_ && transmit_queue_ == nullptr) {
        hal::DeviceStatus status = device_->transmit_tcp_segments(pieces, count, segment_bytes);
        if (status == hal::DeviceStatus::kOk) {
            frames_sent_ += segmenter.cut_count();
            return Error::kOk;
        }
        if (status == hal::DeviceStatus::kIoError) {
            frames_dropped_ += segmenter.cut_count();
            return Error::kIo;
        }
    }
    hal::FramePiece cut[kMaxPieces];
    for (std::size_t n; (n = segmenter.next(cut, kMaxPieces)) != 0;) {
        TORO_TRY(transmit_or_queue(cut, n));
    }
    return Error::kOk;
}

void Stack::flush_transmit_queue() {
    while (transmit_queue_ != nullptr) {
        Packet* packet = transmit_queue_;
        hal::FramePiece piece{packet->data, packet->length};
        hal::DeviceStatus status = device_->transmit(&piece, 1);
        if (status == hal::DeviceStatus::kWouldBlock) return;  // the device raises when room frees
        transmit_queue_ = packet->next_queued;
        --transmit_queued_;
        if (status == hal::DeviceStatus::kOk) {
            ++frames_sent_;
        } else {
            ++frames_dropped_;
        }
        pool_.release(packet);
    }
}

InterfaceInfo Stack::interface_info() const {
    InterfaceInfo info;
    info.configured = !config_.address.is_any();
    info.address = config_.address;
    info.prefix_length = config_.prefix_length;
    info.gateway = config_.gateway;
    info.dns = dhcp_.dns;
    __builtin_memcpy(info.mac, mac_.bytes, 6);
    return info;
}

NetStats Stack::stats() const {
    NetStats stats{};
    stats.pool_bytes = pool_.capacity() * kPacketBytes;
    stats.pool_bytes_in_use = pool_.in_use() * kPacketBytes;
    for (const UdpSocket& socket : socket_slots()) {
        if (!socket.open) continue;
        ++stats.sockets_open;
        stats.socket_queued_bytes += socket.queued_bytes;
    }
    stats.socket_receive_limit = limits_.socket_receive_bytes;
    for (const Reassembly& entry : reassembly_) stats.reassembly_in_progress += entry.used;
    for (const ArpEntry& entry : arp_entries()) stats.arp_entries += entry.state != ArpEntry::State::kFree;
    stats.frames_received = frames_received_;
    stats.frames_sent = frames_sent_;
    stats.frames_dropped = frames_dropped_;
    stats.icmp_rate_limited = icmp_rate_limited_;
    for (const TcpSocket& socket : tcp_sockets()) {
        if (socket.kind == TcpSocket::Kind::kFree) continue;
        ++stats.tcp_sockets;
        if (socket.kind != TcpSocket::Kind::kConnection) continue;
        tcp::State state = socket.connection.state();
        stats.tcp_connections += state != tcp::State::kClosed;
        stats.tcp_time_wait += state == tcp::State::kTimeWait;
    }
    stats.tcp_buffer_bytes = tcp_memory_in_use_;
    stats.tcp_buffer_limit = limits_.tcp_memory_bytes;
    stats.tcp_segments_received = tcp_segments_received_;
    stats.tcp_segments_sent = tcp_segments_sent_;
    stats.tcp_resets_sent = tcp_resets_sent_;
    stats.tcp_keepalive_timeouts = tcp_keepalive_timeouts_;
    stats.tcp_paws_drops = tcp_paws_drops_;
    stats.tcp_retry_timeouts = tcp_retry_timeouts_;
    stats.tcp_challenge_acks_limited = tcp_challenge_acks_limited_;
    stats.tcp_syn_cookies_sent = tcp_cookies_sent_;
    stats.tcp_syn_cookies_accepted = tcp_cookies_accepted_;
    return stats;
}

}  // namespace toro::net
