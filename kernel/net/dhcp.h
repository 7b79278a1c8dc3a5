// The DHCP client (RFC 2131) of the stack's interface, as a state machine
// handed the time: INIT -> SELECTING (DISCOVER, wait for an OFFER) ->
// REQUESTING (REQUEST, wait for ACK or NAK) -> BOUND, then RENEWING at T1
// (unicast REQUEST to the server), REBINDING at T2 (broadcast), and back to
// INIT when the lease ends or a NAK comes. Retransmissions back off from
// 4 s to 64 s with +-1 s of jitter (§4.1), drawn from hal::random, as is
// the transaction id. It runs when the interface has no static address.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/net.h"

namespace toro::net {

// RFC 2131 §2: the fixed part of a message, then the options field, which
// starts with the magic cookie 99.130.83.99 (RFC 2132 §2).
struct DhcpMessage {
    std::uint8_t op;      // 1 request, 2 reply
    std::uint8_t htype;   // 1: Ethernet
    std::uint8_t hlen;    // 6
    std::uint8_t hops;
    std::uint8_t xid[4];
    std::uint8_t secs[2];
    std::uint8_t flags[2];  // bit 15: broadcast the reply
    std::uint8_t ciaddr[4];
    std::uint8_t yiaddr[4];
    std::uint8_t siaddr[4];
    std::uint8_t giaddr[4];
    std::uint8_t chaddr[16];
    std::uint8_t sname[64];
    std::uint8_t file[128];
    std::uint8_t magic[4];
};
static_assert(sizeof(DhcpMessage) == 240);

inline constexpr std::uint16_t kDhcpServerPort = 67;
inline constexpr std::uint16_t kDhcpClientPort = 68;

enum class DhcpState : std::uint8_t { kOff, kSelecting, kRequesting, kBound, kRenewing, kRebinding };

struct DhcpClient {
    DhcpState state = DhcpState::kOff;
    std::uint32_t transaction = 0;
    std::uint64_t deadline = ~std::uint64_t{0};  // the next retransmission or lease event
    std::uint64_t backoff_ns = 0;
    Ipv4Address offered;
    Ipv4Address server;
    std::uint64_t lease_start = 0;
    std::uint64_t renew_at = 0, rebind_at = 0, expire_at = 0;
    Ipv4Address dns;
    std::uint64_t leases = 0;  // ACKs taken, for tests and reports
};

}  // namespace toro::net
