// The Networking unit's application API: the machine's address, UDP and
// TCP sockets, and what the stack holds.
//
// Sockets are small integers, as POSIX descriptors are, shared by every
// CPU: any thread on any CPU may use any socket. Calls block cooperatively
// (the thread sleeps, its CPU serves others) unless the socket is
// non-blocking or the call passes kDontWait; then they fail with
// kWouldBlock instead of waiting. Memory is bounded: a socket queues at
// most its receive limit, the stack at most its packet pool, and
// net_stats() says how much of each is in use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/error.h"

namespace toro::net {

// An IPv4 address in host byte order (10.0.2.15 is 0x0A00020F).
struct Ipv4Address {
    std::uint32_t value = 0;
    constexpr bool operator==(const Ipv4Address&) const = default;
    constexpr bool is_any() const { return value == 0; }
    constexpr bool is_broadcast() const { return value == 0xFFFFFFFF; }
    static constexpr Ipv4Address from(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        return {std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d};
    }
};
inline constexpr Ipv4Address kAnyAddress{};

struct Endpoint {
    Ipv4Address address;
    std::uint16_t port = 0;
    constexpr bool operator==(const Endpoint&) const = default;
};

// "10.0.2.15" -> address; false if `text` is not a dotted quad.
bool parse_address(const char* text, std::size_t length, Ipv4Address* address);
// Writes "a.b.c.d" and a NUL into `out` (16 bytes).
void format_address(Ipv4Address address, char out[16]);

// The first interface's configuration.
struct InterfaceInfo {
    bool configured = false;  // has an address (static, or a DHCP lease)
    Ipv4Address address;
    unsigned prefix_length = 0;
    Ipv4Address gateway;
    Ipv4Address dns;  // the DHCP server's first name server, or 0.0.0.0
    std::uint8_t mac[6] = {};
};

// Starts the stack on the machine's NICs if it is not running (the first
// socket call does it too): kNoDevice when the machine has no NIC.
Error start();
InterfaceInfo interface_info();
// Waits until the first interface has an address, at most `timeout_ns`.
Error wait_configured(std::uint64_t timeout_ns);

enum class SocketType { kDatagram, kStream };

// The largest UDP payload: an IPv4 datagram of 65535 bytes less its
// 20-byte header and UDP's 8.
inline constexpr std::size_t kMaxUdpPayload = 65507;

// Flags of send_to / receive_from.
inline constexpr unsigned kDontWait = 1u << 0;

// kDatagram: UDP; kStream: TCP. The calls below take both unless they say.
Result<int> socket(SocketType type);
// Port 0 picks a free ephemeral port (49152-65535, RFC 6335). Errors:
// kAddressInUse, kAddressNotAvailable (not this machine's address), kInvalid
// (already bound).
Error bind(int socket, Endpoint local);
// UDP: fixes the peer: send_to may then pass no endpoint, and only the
// peer's datagrams are received. TCP: opens the connection, blocking until
// it is established (non-blocking: kWouldBlock, then wait for kWritable
// and call again for the result). Both bind an ephemeral port if unbound.
// TCP errors: kConnectionRefused (a RST came), kTimedOut (no answer after
// the SYN's retries), kNetworkUnreachable, kNoBufferSpace, kIsConnected,
// kAlready (a non-blocking connect is still running).
Error connect(int socket, Endpoint remote);
Error set_nonblocking(int socket, bool nonblocking);
// The bound address and port.
Result<Endpoint> local_endpoint(int socket);

// Sends one datagram of `length` bytes (0 to 65507) to `remote` (or the
// connected peer when `remote` is null). Binds an ephemeral port first if
// unbound. Datagrams larger than one frame are fragmented. The bytes are
// copied before it returns. Errors: kMessageTooLong, kDestinationRequired,
// kNetworkUnreachable (no route), kNoBufferSpace (the stack's pool is full,
// or the address is being resolved and its queue is full), kNetworkDown.
Result<std::size_t> send_to(int socket, const void* bytes, std::size_t length,
                            const Endpoint* remote, unsigned flags = 0);
// Takes the oldest queued datagram: copies at most `capacity` bytes (the
// rest of a longer datagram is discarded, as POSIX does), stores the
// sender in `*from` if not null, and returns the datagram's whole length.
Result<std::size_t> receive_from(int socket, void* buffer, std::size_t capacity, Endpoint* from,
                                 unsigned flags = 0);
// UDP: frees the socket and its queue. TCP: the descriptor is gone at
// once; the connection still sends what it holds, then its FIN (with
// unread data, or SO_LINGER of 0 set, it is reset instead).
Error close(int socket);

// TCP only. listen: accepts connections on the bound port (or an
// ephemeral one), holding at most `backlog` (0: the default, 128) that
// completed or are completing their handshake before accept takes them.
Error listen(int socket, unsigned backlog = 0);
// The oldest established connection, blocking until one comes.
Result<int> accept(int socket, Endpoint* peer = nullptr, unsigned flags = 0);
// Queues bytes to send: blocks until all are in the send buffer
// (non-blocking, or kDontWait: what fits, or kWouldBlock). Errors:
// kBrokenPipe after shutdown, kConnectionReset, kTimedOut, kNotConnected.
Result<std::size_t> send(int socket, const void* bytes, std::size_t length, unsigned flags = 0);
// Takes what has arrived, at most `capacity` bytes, blocking until some
// has; 0 is the end of the stream (the peer's FIN). Errors: kConnectionReset,
// kTimedOut, kNotConnected.
Result<std::size_t> receive(int socket, void* buffer, std::size_t capacity, unsigned flags = 0);
// shutdown(SHUT_WR): a FIN follows what was sent; receiving goes on.
Error shutdown(int socket);
Result<Endpoint> peer_endpoint(int socket);

enum class SocketOption {
    kNoDelay,        // TCP_NODELAY: 1 sends small segments at once (no Nagle)
    kNoOptions,      // TCP_NOOPT: 1 sends SYNs without options (no MSS, window scale,
                     // timestamps or SACK), before connect or listen
    kReuseAddress,   // SO_REUSEADDR: 1 lets a port with lingering connections be bound
    kLingerAbort,    // SO_LINGER with a time of 0: 1 makes close reset the connection
    kSendBuffer,     // SO_SNDBUF, bytes (2 KiB to 4 MiB), before connect or listen
    kReceiveBuffer,  // SO_RCVBUF, the same
    kKeepAlive,      // SO_KEEPALIVE: 1 probes a connection idle for kKeepIdle
    kKeepIdle,       // TCP_KEEPIDLE: seconds without a segment from the peer (1-32767, default 7200)
    kKeepInterval,   // TCP_KEEPINTVL: seconds between unanswered probes (1-32767, default 75)
    kKeepCount,      // TCP_KEEPCNT: unanswered probes before kTimedOut (1-127, default 9)
    kKeepInit,       // TCP_KEEPINIT: seconds a handshake may take before kTimedOut
                     // (0-32767; 0, the default: only the SYN's retries bound it)
    kTimeToLive,     // IP_TTL: the TTL of the segments sent (1-255, default 64)
    kTypeOfService,  // IP_TOS: their TOS byte, the DSCP (0-255, default 0; ECN bits kept clear)
};
// Keepalive settings and kKeepInit may be made on a listener (its
// connections inherit them, as Linux's do) or on a connection at any time.
Error set_option(int socket, SocketOption option, int value);

// Waiting on several sockets at once (poll(2)'s shape).
inline constexpr unsigned kReadable = 1u << 0;
inline constexpr unsigned kWritable = 1u << 1;
struct WaitEntry {
    int socket;
    unsigned wanted;  // kReadable | kWritable
    unsigned ready;   // set by wait
};
// TCP: a listener is kReadable when accept would not wait; a connection
// is kReadable with data, the end of its stream or an error, kWritable
// with space in its send buffer (or an error).
// Blocks until at least one entry is ready or `timeout_ns` passed (0: just
// look; hal kNoDeadline-sized values: for ever). Returns how many entries
// are ready. kBadDescriptor if an entry names no socket.
Result<std::size_t> wait(WaitEntry* entries, std::size_t count, std::uint64_t timeout_ns);

struct NetStats {
    std::size_t pool_bytes;          // the packet pool: all the stack may hold
    std::size_t pool_bytes_in_use;   // frames queued, in reassembly, waiting for ARP
    std::size_t sockets_open;
    std::size_t socket_queued_bytes; // datagram bytes waiting in sockets
    std::size_t socket_receive_limit;  // bytes one socket may queue
    std::size_t reassembly_in_progress;  // datagrams missing fragments
    std::size_t arp_entries;
    std::uint64_t frames_received, frames_sent;
    std::uint64_t frames_dropped;    // malformed, not for us, or no memory
    std::uint64_t icmp_rate_limited;
    // TCP
    std::size_t tcp_sockets;             // listeners, connections (TIME-WAIT too)
    std::size_t tcp_connections;         // connections not closed
    std::size_t tcp_time_wait;
    std::size_t tcp_buffer_bytes;        // send and receive buffers held
    std::size_t tcp_buffer_limit;        // what all of them may hold
    std::uint64_t tcp_segments_received, tcp_segments_sent;
    std::uint64_t tcp_resets_sent;       // to segments for no connection
    std::uint64_t tcp_keepalive_timeouts;  // connections given up after unanswered probes
    std::uint64_t tcp_paws_drops;        // old duplicates PAWS dropped (RFC 7323 §5)
    std::uint64_t tcp_retry_timeouts;    // connections given up when their retries ran out
                                         // (SYN, SYN-ACK, data or window probes), seen or not
    std::uint64_t tcp_challenge_acks_limited;  // not sent: over the budget per second (RFC 5961 §7)
    std::uint64_t tcp_syn_cookies_sent;      // SYN-ACKs a listener sent keeping no state (RFC 4987)
    std::uint64_t tcp_syn_cookies_accepted;  // connections their ACKs opened
};
NetStats net_stats();

}  // namespace toro::net
