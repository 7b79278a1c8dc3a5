// The network stack of one machine: one interface (the first NIC: address,
// ARP cache), IPv4 with reassembly and fragmentation, ICMP, and the UDP
// socket table. Everything it holds is in this object and in its packet
// pool, so a test or fuzz target makes one on its own memory and the
// simulator can run several.
//
// It is a state machine that is handed the time: input() takes a frame and
// `now`, poll() runs what is due at `now` and says when to call it next. It
// never reads a clock. It transmits through the NetDevice it was given, and
// only on the device's CPU (the one that called initialize); a send made
// on another CPU is copied into a packet and queued, and the driver is
// asked (wake_driver) to call poll() on the device's CPU.
//
// Not thread-safe by itself: every call is made with lock() held. The
// methods are spread over files by protocol (arp.cpp, ipv4_input.cpp,
// ipv4_output.cpp, reassembly.cpp, icmp.cpp, udp.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "hal/devices.h"
#include "net/dhcp.h"
#include "net/packet.h"
#include "net/tcp/connection.h"
#include "net/wire.h"
#include "toro/error.h"
#include "toro/event.h"
#include "toro/net.h"
#include "toro/spinlock.h"

namespace toro::net {

inline constexpr std::uint64_t kNoDeadline = ~std::uint64_t{0};
inline constexpr std::uint64_t kMillisecond = 1'000'000;
inline constexpr std::uint64_t kSecond = 1'000'000'000;

struct InterfaceConfig {
    Ipv4Address address;
    unsigned prefix_length = 0;
    Ipv4Address gateway;
};

struct StackLimits {
    std::size_t socket_receive_bytes = 256 * 1024;  // packet bytes one socket may queue
    std::size_t reassembly_packets = 256;           // packets all reassembly may hold
    std::size_t arp_waiting_packets = 256;          // frames all addresses being resolved may hold
    std::uint64_t reassembly_timeout_ns = 30 * kSecond;  // Linux's ipfrag_time
    std::uint64_t arp_lifetime_ns = 60 * kSecond;
    std::uint64_t arp_retry_ns = 1 * kSecond;
    unsigned arp_attempts = 3;
    unsigned icmp_errors_per_second = 100;  // RFC 1812 §4.3.2.8: rate limit errors
    // TCP: each connection's buffers, and all of them together.
    std::size_t tcp_send_buffer_bytes = 64 * 1024;
    std::size_t tcp_receive_buffer_bytes = 64 * 1024;
    std::size_t tcp_memory_bytes = 16 * 1024 * 1024;
    unsigned tcp_default_backlog = 128;  // connections a listener holds before accept
    // RFC 5961 §7: challenge ACKs all connections may send in a second,
    // as Linux's tcp_challenge_ack_limit. Each second's budget is drawn
    // between half and one and a half times this, so that an attacker
    // cannot count the answers to learn what another connection was sent
    // (CVE-2016-5696).
    unsigned tcp_challenge_acks_per_second = 1000;
};

// Where TCP's buffers come from: the kernel's allocator on a machine,
// malloc in tests. The stack counts and bounds what it takes.
class BufferAllocator {
public:
    virtual void* allocate(std::size_t bytes) = 0;
    virtual void release(void* memory, std::size_t bytes) = 0;

protected:
    ~BufferAllocator() = default;
};

// TCP descriptors are numbered from here; UDP's are below.
inline constexpr int kTcpDescriptorBase = 1024;

// A received IPv4 datagram, whole (reassembled if it came in fragments):
// its payload is the chain of parts starting at `first`.
struct Datagram {
    Packet* first;
    Ipv4Address source;
    Ipv4Address destination;
    std::uint8_t protocol;
    std::size_t payload_length;
    bool to_broadcast;
    std::uint8_t ecn;  // the header's ECN field (RFC 3168 §5); a reassembled datagram's, its last fragment's
};

// What an IPv4 header says of a datagram's handling: its time to live
// (RFC 791 §3.2; 64, Linux's default, RFC 1700's) and type of service
// (the DSCP, RFC 2474, in its upper six bits).
struct Ipv4Marking {
    std::uint8_t time_to_live = 64;
    std::uint8_t type_of_service = 0;
};

class Stack final : private tcp::ConnectionOwner {
public:
    static constexpr std::size_t kArpEntries = 64;
    static constexpr std::size_t kArpQueuePerEntry = 64;  // a 64 KiB datagram's fragments
    static constexpr std::size_t kReassemblies = 16;
    static constexpr std::size_t kSockets = 64;
    static constexpr std::size_t kWaitersPerSocket = 8;
    static constexpr std::size_t kMaxPieces = 64;
    // Frames sent off the NIC's CPU, or refused by a full ring, waiting for
    // the driver: bounded, so a sender faster than the device gets
    // kNoBufferSpace instead of the whole pool (which receive needs too).
    static constexpr std::size_t kTransmitQueue = 256;
    static constexpr std::size_t kTcpSockets = 512;

    using WakeDriver = void (*)(void* argument);

    Stack() = default;
    // Gives back the TCP buffers connections still hold (a test's stack
    // ends with connections open; a machine's lives as long as it runs).
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // `pool_memory` (16-byte aligned) holds every packet the stack will
    // have. Sends a gratuitous ARP if `config` has an address.
    void initialize(hal::NetDevice* device, void* pool_memory, std::size_t pool_bytes,
                    const InterfaceConfig& config, const StackLimits& limits, std::uint64_t now);
    void set_wake_driver(WakeDriver wake, void* argument) {
        wake_driver_ = wake;
        wake_argument_ = argument;
    }
    // Sets (or replaces) the interface's address. An address of 0.0.0.0
    // starts the DHCP client instead (dhcp.cpp).
    void configure(const InterfaceConfig& config, std::uint64_t now);
    const DhcpClient& dhcp() const { return dhcp_; }

    // A frame the device received; the stack owns `frame` from here on.
    void input(Packet* frame, std::uint64_t now);
    // Runs what is due (ARP retries and expiry, reassembly timeouts, queued
    // sends); returns the time poll is next needed, or kNoDeadline.
    std::uint64_t poll(std::uint64_t now);

    PacketPool& pool() { return pool_; }
    // A frame the driver could not hand in (no packet for it, a device error).
    void count_drop() { ++frames_dropped_; }
    SpinLock& lock() { return lock_; }
    InterfaceInfo interface_info() const;
    NetStats stats() const;

    // UDP sockets (udp.cpp); the socket API (sockets.cpp) calls these.
    Result<int> udp_open();
    Error udp_bind(int socket, Endpoint local);
    Error udp_connect(int socket, Endpoint remote);
    Error udp_close(int socket);
    Error udp_set_nonblocking(int socket, bool nonblocking);
    Result<Endpoint> udp_local(int socket);
    bool udp_nonblocking(int socket) const;
    Result<std::size_t> udp_send(int socket, const std::uint8_t* bytes, std::size_t length,
                                 const Endpoint* remote, std::uint64_t now);
    // kWouldBlock when nothing is queued.
    Result<std::size_t> udp_receive(int socket, std::uint8_t* buffer, std::size_t capacity,
                                    Endpoint* from);
    // kReadable / kWritable now, or kBadDescriptor.
    Result<unsigned> udp_ready(int socket) const;
    // Waiters are signalled whenever the socket may have become ready.
    Error add_waiter(int socket, Event* waiter);
    void remove_waiter(int socket, Event* waiter);
    static bool is_tcp(int socket) { return socket >= kTcpDescriptorBase; }

    // TCP sockets (tcp/stream_sockets.cpp). Buffers come from `allocator`;
    // without one, connections fail with kNoBufferSpace.
    void set_buffer_allocator(BufferAllocator* allocator) { allocator_ = allocator; }
    Result<int> tcp_open();
    Error tcp_bind(int socket, Endpoint local);
    Error tcp_listen(int socket, unsigned backlog);
    // A connection that completed its handshake, or kWouldBlock.
    Result<int> tcp_accept(int socket, Endpoint* peer, std::uint64_t now);
    // Starts the handshake; tcp_connect_status then says how it went.
    Error tcp_connect(int socket, Endpoint remote, std::uint64_t now);
    // kOk once established, kWouldBlock while the handshake runs, else why it failed.
    Error tcp_connect_status(int socket) const;
    Result<std::size_t> tcp_send(int socket, const std::uint8_t* bytes, std::size_t length,
                                 std::uint64_t now);
    Result<std::size_t> tcp_receive(int socket, std::uint8_t* buffer, std::size_t capacity,
                                    std::uint64_t now);
    Error tcp_shutdown(int socket, std::uint64_t now);
    // The descriptor is gone; the connection still sends what it holds and
    // closes (or is reset, with `linger_abort`, as SO_LINGER 0 does).
    Error tcp_close(int socket, bool linger_abort, std::uint64_t now);
    Error tcp_set_nonblocking(int socket, bool nonblocking);
    bool tcp_nonblocking(int socket) const;
    Error tcp_set_no_delay(int socket, bool no_delay);
    // TCP_NOOPT: the SYN (or SYN-ACK) sends no options; it takes effect at
    // the next connect, or for a listener's next connections.
    Error tcp_set_no_options(int socket, bool no_options);
    Error tcp_set_buffer_sizes(int socket, std::size_t send_bytes, std::size_t receive_bytes);
    Error tcp_set_reuse_address(int socket, bool reuse);
    Error tcp_set_linger_abort(int socket, bool abort);
    // SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (toro/net.h
    // gives their ranges): kInvalid outside them.
    Error tcp_set_keepalive(int socket, SocketOption option, int value, std::uint64_t now);
    // TCP_KEEPINIT, in seconds (0 to 32767; 0: no bound but the SYN's
    // retries): kInvalid outside them. A listener's connections inherit it.
    Error tcp_set_handshake_limit(int socket, int seconds, std::uint64_t now);
    // IP_TTL (1-255) and IP_TOS (0-255; the two ECN bits are TCP's and are
    // left clear): kInvalid outside them. At once, and for a listener's
    // connections.
    Error tcp_set_ip_option(int socket, SocketOption option, int value);
    Result<Endpoint> tcp_local(int socket) const;
    Result<Endpoint> tcp_peer(int socket) const;
    Result<unsigned> tcp_ready(int socket) const;
    // For tests and reports: the state of a TCP socket's connection.
    Result<tcp::State> tcp_state(int socket) const;
    const tcp::TcpSettings& tcp_settings() const { return tcp_settings_; }
    // For tests and fuzzers: every connection is in the demux index once,
    // in its bucket, and the chains hold nothing else and end; and every
    // listener's queued and ready counts are what a walk of the table finds.
    bool tcp_tables_consistent() const;
    // Its MSS is clamped to what the interface's MTU carries.
    void set_tcp_settings(const tcp::TcpSettings& settings);
    // IP bytes in one frame: the NIC's largest frame less Ethernet's
    // header, and never more than standard Ethernet's 1500.
    std::size_t mtu() const { return mtu_; }

private:
    // The slots of a table that scans look at (see arp_slots_).
    template <typename Entry>
    struct Slots {
        Entry* first;
        Entry* last;
        Entry* begin() const { return first; }
        Entry* end() const { return last; }
    };
    struct ArpEntry {
        enum class State : std::uint8_t { kFree, kIncomplete, kResolved };
        State state = State::kFree;
        Ipv4Address address;
        MacAddress mac{};
        std::uint64_t deadline = 0;  // resolved: expiry; incomplete: next request
        unsigned requests_sent = 0;
        Packet* waiting = nullptr;   // frames for this address, oldest first
        Packet* waiting_tail = nullptr;
        std::size_t waiting_count = 0;
    };
    struct Reassembly {
        bool used = false;
        Ipv4Address source, destination;
        std::uint16_t identification = 0;
        std::uint8_t protocol = 0;
        std::uint64_t deadline = 0;
        std::uint64_t started = 0;
        Packet* parts = nullptr;     // sorted by fragment_offset
        std::size_t packets = 0;
        std::size_t total_length = 0;  // of the payload; 0 until the last fragment came
    };
    struct TcpSocket {
        enum class Kind : std::uint8_t { kFree, kOpen, kListener, kConnection };
        Kind kind = Kind::kFree;
        bool user_holds = false;  // a descriptor names it (not yet accepted, or closed)
        bool bound = false;
        bool nonblocking = false;
        bool no_delay = false;
        bool no_options = false;  // TCP_NOOPT, inherited by a listener's connections
        bool reuse_address = false;
        bool linger_abort = false;  // SO_LINGER 0: close resets
        tcp::KeepaliveSettings keepalive;  // a listener's, its connections inherit
        std::uint64_t handshake_limit_ns = 0;  // TCP_KEEPINIT, inherited too
        Ipv4Marking ip_marking;                // IP_TTL, IP_TOS, inherited too
        Endpoint local;
        // Listener: how many may wait; a child: its listener's slot.
        unsigned backlog = 0;
        // A listener's connections not yet accepted, and those of them
        // acceptable (past the handshake: ready_order set), kept as they
        // change (tcp_new_child, connection_changed, tcp_accept, tcp_free)
        // so that a SYN does not walk the table to learn them.
        unsigned queued = 0;
        unsigned ready = 0;
        int listener = -1;
        bool accepted = false;
        std::uint64_t ready_order = 0;  // when it became acceptable: accept is FIFO
        std::uint64_t half_open_order = 0;  // when its SYN came: the oldest is given up first
        // A connection's place in the demux index (tcp_buckets_): the next
        // slot + 1 in its bucket's chain (0 ends it), and whether it is in.
        std::uint16_t next_in_bucket = 0;
        bool indexed = false;
        std::size_t send_bytes = 0, receive_bytes = 0;
        std::uint8_t* buffers = nullptr;  // send_bytes + receive_bytes, from the allocator
        tcp::Connection connection;
        Event* waiters[kWaitersPerSocket] = {};
    };
    struct UdpSocket {
        bool open = false;
        bool bound = false;
        bool connected = false;
        bool nonblocking = false;
        Endpoint local;
        Endpoint remote;
        Packet* queue = nullptr;  // datagrams, oldest first, linked by next_queued
        Packet* queue_tail = nullptr;
        std::size_t queued_packets = 0;
        std::size_t queued_bytes = 0;  // payload bytes
        Event* waiters[kWaitersPerSocket] = {};
    };

    // ethernet (stack.cpp). `segment_bytes`, on these and the calls of
    // arp.cpp and ipv4_output.cpp, is 0 for a frame the link takes, and for
    // an oversized TCP segment the payload of each segment it is cut into:
    // by the device (TSO) if it can take it now, else by TcpSegmenter.
    Error send_frame(const MacAddress& destination, std::uint16_t ether_type,
                    const hal::FramePiece* pieces, std::size_t count, std::size_t segment_bytes = 0);
    Error transmit_or_queue(const hal::FramePiece* pieces, std::size_t count,
                            std::size_t segment_bytes = 0);
    Error transmit_cut(const hal::FramePiece* pieces, std::size_t count, std::size_t segment_bytes);
    void flush_transmit_queue();
    void drop(Packet* packet) { ++frames_dropped_; pool_.release_chain(packet); }

    // arp.cpp
    void arp_input(Packet* frame, std::uint64_t now);
    void arp_send(std::uint16_t operation, const MacAddress& target_mac, Ipv4Address target);
    ArpEntry* arp_find(Ipv4Address address);
    ArpEntry* arp_allocate(Ipv4Address address, bool for_sending, std::uint64_t now);
    void arp_learn(Ipv4Address address, const MacAddress& mac, bool create, std::uint64_t now);
    void arp_free(ArpEntry& entry);
    std::size_t arp_waiting_packets() const;
    std::uint64_t arp_poll(std::uint64_t now);
    // Sends an IPv4 frame to `next_hop`, resolving it first if need be.
    Error arp_send_ipv4(Ipv4Address next_hop, const hal::FramePiece* pieces, std::size_t count,
                        std::uint64_t now, std::size_t segment_bytes = 0);

    // ipv4_input.cpp, reassembly.cpp
    void ipv4_input(Packet* frame, std::uint64_t now);
    bool is_local_destination(Ipv4Address address, bool* broadcast) const;
    void ipv4_deliver(const Datagram& datagram, std::uint64_t now);
    Packet* reassemble(Packet* fragment, const Ipv4Header& header, std::size_t* payload_length,
                       std::uint64_t now);
    Reassembly* reassembly_for(const Ipv4Header& header, std::uint64_t now);
    void reassembly_free(Reassembly& entry);
    bool reassembly_insert(Reassembly& entry, Packet* fragment);
    std::uint64_t reassembly_poll(std::uint64_t now);
    std::size_t reassembly_packets() const;

    // ipv4_output.cpp
    // Sends `pieces` (the IP payload, `length` bytes) to `destination`,
    // fragmented as the MTU needs, or, with `segment_bytes`, whole: a TCP
    // segment up to offload_payload() long, to be cut into segments.
    // `marking`: the header's TTL and TOS (a TCP socket's IP_TTL, IP_TOS).
    Error ipv4_send(Ipv4Address destination, std::uint8_t protocol, const hal::FramePiece* pieces,
                    std::size_t count, std::size_t length, std::uint64_t now,
                    std::size_t segment_bytes = 0, Ipv4Marking marking = {});
    Error ipv4_send_fragment(Ipv4Address next_hop, Ipv4Address destination, std::uint8_t protocol,
                             std::uint16_t identification, std::size_t offset, bool more,
                             const hal::FramePiece* pieces, std::size_t count, std::size_t length,
                             std::uint64_t now, std::size_t segment_bytes = 0,
                             Ipv4Marking marking = {});
    // The longest TCP segment (header and payload) the device cuts (TSO);
    // 0 when it has no offload.
    std::size_t offload_segment_limit() const { return offload_segment_limit_; }
    bool route(Ipv4Address destination, Ipv4Address* next_hop, bool* broadcast) const;

    // icmp.cpp
    void icmp_input(const Datagram& datagram, std::uint64_t now);
    void icmp_send_unreachable(const Datagram& datagram, std::uint8_t code, std::uint64_t now);
    void icmp_error_input(const Datagram& datagram, const IcmpHeader& header, std::uint64_t now);
    bool icmp_error_allowed(std::uint64_t now);

    // dhcp.cpp
    void set_address(const InterfaceConfig& config);
    void dhcp_start(std::uint64_t now);
    void dhcp_send(std::uint8_t type, std::uint64_t now);
    void dhcp_input(const Packet* first, std::size_t length, std::uint64_t now);
    void dhcp_bind(const DhcpMessage& reply, const std::uint8_t* options, std::size_t length,
                   std::uint64_t now);
    std::uint64_t dhcp_poll(std::uint64_t now);
    std::uint64_t dhcp_backoff(std::uint64_t now);

    // tcp/demux.cpp: segments in, to a connection, a listener, or a RST.
    void tcp_input(const Datagram& datagram, std::uint64_t now);
    TcpSocket* tcp_find_connection(Endpoint local, Endpoint remote);
    // The demux index: connections by their endpoints, hashed under a key
    // drawn at initialize (a peer cannot aim its ports at one bucket).
    std::size_t tcp_bucket(Endpoint local, Endpoint remote) const;
    void tcp_index_connection(TcpSocket& socket);
    void tcp_unindex_connection(TcpSocket& socket);
    TcpSocket* tcp_find_listener(Endpoint local);
    void tcp_listener_syn(TcpSocket& listener, Endpoint local, Endpoint remote,
                          const tcp::InSegment& syn, std::uint64_t now);
    // The listener's half-open connection whose SYN came first (a walk of
    // the table: only when one is to be given up).
    TcpSocket* tcp_oldest_half_open(TcpSocket& listener);
    TcpSocket* tcp_new_child(TcpSocket& listener, Endpoint local, Endpoint remote,
                             std::uint32_t initial_sequence, std::uint32_t timestamp_offset,
                             std::uint64_t now);
    // tcp/syn_cookies.cpp (RFC 4987 §3.6)
    void tcp_send_cookie(const TcpSocket& listener, Endpoint local, Endpoint remote,
                         const tcp::InSegment& syn, std::uint64_t now);
    // True when `ack` brought a cookie back (its connection made, or the
    // ACK dropped for want of room); false when it is no cookie of ours.
    bool tcp_accept_cookie(TcpSocket& listener, Endpoint local, Endpoint remote,
                           const tcp::InSegment& ack, std::uint64_t now);
    std::uint32_t tcp_cookie_mac(Endpoint local, Endpoint remote, std::uint32_t peer_sequence,
                                 std::uint64_t period, unsigned mss_index) const;
    void tcp_send_reset(Endpoint local, Endpoint remote, const tcp::InSegment& cause);
    // The IP_TTL/IP_TOS of the socket bound to `local`'s port, which
    // answers for it (default ones when none is bound).
    Ipv4Marking tcp_port_marking(Endpoint local);
    // An ICMP hard error quoting a segment we sent from `local` to `remote`.
    void tcp_icmp_error(Endpoint local, Endpoint remote, std::uint32_t sequence, Error error,
                        std::uint64_t now);
    // tcp/segment_out.cpp
    void send_segment(tcp::Connection& connection, const tcp::OutSegment& segment) override;
    void connection_changed(tcp::Connection& connection) override;
    void count(Counter counter) override;
    bool challenge_ack_allowed(std::uint64_t now) override;
    void tcp_transmit(Endpoint local, Endpoint remote, const tcp::OutSegment& segment,
                      Ipv4Marking marking = {});
    void tcp_send_raw(Endpoint local, Endpoint remote, std::uint32_t sequence,
                      std::uint32_t acknowledgment, std::uint8_t flags, Ipv4Marking marking = {});
    // The socket a connection lives in (nullptr if it is none of ours).
    TcpSocket* tcp_socket_of(tcp::Connection& connection);
    std::uint32_t tcp_initial_sequence(Endpoint local, Endpoint remote, std::uint64_t now) const;
    // tcp/stream_sockets.cpp
    TcpSocket* tcp_socket(int socket);
    const TcpSocket* tcp_socket(int socket) const;
    TcpSocket* tcp_allocate_slot();
    bool tcp_give_buffers(TcpSocket& socket);
    void tcp_free(TcpSocket& socket);
    void tcp_release_buffers(TcpSocket& socket);
    // After any call into a connection: frees what closed and nobody
    // holds, and notes the connection's next deadline.
    void tcp_settle(TcpSocket& socket, std::uint64_t now);
    bool tcp_port_in_use(Endpoint local, bool reuse) const;
    std::uint64_t tcp_poll(std::uint64_t now);
    int tcp_index(const TcpSocket& socket) const { return static_cast<int>(&socket - tcp_slot(0)); }
    Slots<TcpSocket> tcp_sockets() { return {tcp_slot(0), tcp_slot(0) + tcp_slots_}; }
    Slots<const TcpSocket> tcp_sockets() const { return {tcp_slot(0), tcp_slot(0) + tcp_slots_}; }
    void signal_tcp_waiters(TcpSocket& socket);

    // udp.cpp
    void udp_input(const Datagram& datagram, std::uint64_t now);
    Error udp_output(std::uint16_t local_port, Endpoint peer, const std::uint8_t* bytes,
                     std::size_t length, std::uint64_t now);
    Slots<UdpSocket> socket_slots() { return {sockets_, sockets_ + socket_slots_}; }
    Slots<const UdpSocket> socket_slots() const { return {sockets_, sockets_ + socket_slots_}; }
    Slots<ArpEntry> arp_entries() { return {arp_, arp_ + arp_slots_}; }
    Slots<const ArpEntry> arp_entries() const { return {arp_, arp_ + arp_slots_}; }
    UdpSocket* udp_socket(int socket);
    const UdpSocket* udp_socket(int socket) const;
    UdpSocket* udp_find_receiver(const Datagram& datagram, std::uint16_t port);
    bool udp_port_in_use(std::uint16_t port, Ipv4Address address) const;
    Error udp_bind_ephemeral(UdpSocket& socket);
    void signal_waiters(UdpSocket& socket);

    Ipv4Address netmask() const;
    // A deadline was set: poll() must run by then. Deadlines that move
    // later leave next_deadline_ early, which costs one needless scan.
    void note_deadline(std::uint64_t deadline) {
        if (deadline < next_deadline_) next_deadline_ = deadline;
    }
    // A user's call (not the driver's input or poll) set a deadline before
    // the one the driver's timer waits for: the driver must poll sooner.
    void wake_driver_if_sooner() {
        if (next_deadline_ < driver_deadline_ && wake_driver_ != nullptr) {
            driver_deadline_ = next_deadline_;
            wake_driver_(wake_argument_);
        }
    }
    std::uint16_t next_identification() { return next_identification_++; }

    SpinLock lock_;
    hal::NetDevice* device_ = nullptr;
    unsigned device_cpu_ = 0;
    MacAddress mac_{};
    InterfaceConfig config_;
    std::size_t mtu_ = kEthernetMtu;
    StackLimits limits_;
    PacketPool pool_;
    WakeDriver wake_driver_ = nullptr;
    void* wake_argument_ = nullptr;

    DhcpClient dhcp_;
    // Every entry from arp_slots_ on is free, and every socket from
    // socket_slots_ on is closed: scans stop there, so a machine with two
    // sockets and one neighbour does not look at 64 slots per datagram.
    ArpEntry arp_[kArpEntries];
    std::size_t arp_slots_ = 0;
    Reassembly reassembly_[kReassemblies];
    UdpSocket sockets_[kSockets];
    std::size_t socket_slots_ = 0;
    // TCP slots are constructed on first use, as packets are: a stack
    // that never speaks TCP (a fuzz input, a UDP test) pays nothing for
    // the table. Slots from tcp_slots_ on are free or never built.
    alignas(TcpSocket) std::uint8_t tcp_storage_[kTcpSockets * sizeof(TcpSocket)];
    std::size_t tcp_constructed_ = 0;
    // Each bucket's first connection's slot + 1 (0: empty); a power of two
    // above the table's size, so chains stay short.
    static constexpr std::size_t kTcpBuckets = 1024;
    std::uint16_t tcp_buckets_[kTcpBuckets] = {};
    std::size_t tcp_slots_ = 0;
    TcpSocket* tcp_slot(std::size_t index) {
        return std::launder(reinterpret_cast<TcpSocket*>(tcp_storage_)) + index;
    }
    const TcpSocket* tcp_slot(std::size_t index) const {
        return std::launder(reinterpret_cast<const TcpSocket*>(tcp_storage_)) + index;
    }
    tcp::TcpSettings tcp_settings_;
    BufferAllocator* allocator_ = nullptr;
    std::size_t tcp_memory_in_use_ = 0;
    std::uint64_t tcp_ready_counter_ = 0;
    std::uint64_t isn_key_[2] = {};  // RFC 6528's secret, drawn at initialize
    // SYN cookies' MAC key and their connections' timestamp offsets' key,
    // drawn at initialize; when the last cookie went (0: never), since
    // only then may an ACK to a listener bring one back.
    std::uint64_t cookie_key_[2] = {};
    std::uint64_t demux_key_[2] = {};
    std::uint64_t cookie_timestamp_key_[2] = {};
    std::uint64_t tcp_cookie_sent_at_ = 0;
    std::uint64_t tcp_cookies_sent_ = 0;
    std::uint64_t tcp_cookies_accepted_ = 0;
    std::uint64_t tcp_resets_sent_ = 0;
    std::uint64_t tcp_keepalive_timeouts_ = 0;
    std::uint64_t tcp_paws_drops_ = 0;
    std::uint64_t tcp_retry_timeouts_ = 0;
    std::uint64_t tcp_challenge_acks_limited_ = 0;
    std::size_t offload_segment_limit_ = 0;
    std::uint64_t challenge_second_ = ~std::uint64_t{0};  // the second the budget is for
    unsigned challenge_budget_ = 0;
    std::uint64_t tcp_segments_sent_ = 0;
    std::uint64_t tcp_segments_received_ = 0;
    std::uint64_t tcp_now_ = 0;  // the time of the call in progress, for what connections send
    Packet* transmit_queue_ = nullptr;
    Packet* transmit_queue_tail_ = nullptr;
    std::size_t transmit_queued_ = 0;

    std::uint64_t next_deadline_ = 0;  // no table needs poll() before this
    std::uint64_t driver_deadline_ = 0;  // what poll() last returned: the driver's timer
    std::uint16_t next_identification_ = 0;
    std::uint16_t next_ephemeral_port_ = 0;
    std::uint64_t icmp_tokens_ = 0;
    std::uint64_t icmp_refilled_at_ = 0;

    std::uint64_t frames_received_ = 0;
    std::uint64_t frames_sent_ = 0;
    std::uint64_t frames_dropped_ = 0;
    std::uint64_t icmp_rate_limited_ = 0;
};

}  // namespace toro::net
