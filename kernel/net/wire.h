// The wire formats of the protocols below TCP, declared once, with their
// sizes checked against the RFCs. Fields are kept as bytes in network
// order and read through the accessors, so a header may sit at any
// alignment inside a frame and no parser depends on the host's byte order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/net.h"

namespace toro::net {

// Big-endian loads and stores of unaligned fields.
inline std::uint16_t load16(const std::uint8_t* bytes) {
    return static_cast<std::uint16_t>(bytes[0] << 8 | bytes[1]);
}
inline std::uint32_t load32(const std::uint8_t* bytes) {
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
           std::uint32_t{bytes[2]} << 8 | bytes[3];
}
inline void store16(std::uint8_t* bytes, std::uint16_t value) {
    bytes[0] = static_cast<std::uint8_t>(value >> 8);
    bytes[1] = static_cast<std::uint8_t>(value);
}
inline void store32(std::uint8_t* bytes, std::uint32_t value) {
    bytes[0] = static_cast<std::uint8_t>(value >> 24);
    bytes[1] = static_cast<std::uint8_t>(value >> 16);
    bytes[2] = static_cast<std::uint8_t>(value >> 8);
    bytes[3] = static_cast<std::uint8_t>(value);
}

struct MacAddress {
    std::uint8_t bytes[6];
    bool operator==(const MacAddress&) const = default;
    bool is_broadcast() const {
        for (std::uint8_t b : bytes) {
            if (b != 0xFF) return false;
        }
        return true;
    }
    bool is_multicast() const { return (bytes[0] & 1) != 0; }
};
inline constexpr MacAddress kBroadcastMac{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}};

// IEEE 802.3 / Ethernet II header (no VLAN tag, no FCS).
struct EthernetHeader {
    std::uint8_t destination[6];
    std::uint8_t source[6];
    std::uint8_t ether_type[2];
};
static_assert(sizeof(EthernetHeader) == 14);
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::size_t kEthernetMtu = 1500;  // IP bytes in one frame
inline constexpr std::size_t kMinimumFrame = 60;   // without FCS (IEEE 802.3 §3.2.8)

// RFC 826, for Ethernet (hardware type 1) and IPv4.
struct ArpPacket {
    std::uint8_t hardware_type[2];
    std::uint8_t protocol_type[2];
    std::uint8_t hardware_length;
    std::uint8_t protocol_length;
    std::uint8_t operation[2];
    std::uint8_t sender_mac[6];
    std::uint8_t sender_ip[4];
    std::uint8_t target_mac[6];
    std::uint8_t target_ip[4];
};
static_assert(sizeof(ArpPacket) == 28);
inline constexpr std::uint16_t kArpRequest = 1;
inline constexpr std::uint16_t kArpReply = 2;

// RFC 791 §3.1. The header may be longer (options: header_length > 5).
struct Ipv4Header {
    std::uint8_t version_and_length;  // version 4 << 4 | header length in words
    std::uint8_t type_of_service;
    std::uint8_t total_length[2];
    std::uint8_t identification[2];
    std::uint8_t flags_and_offset[2];  // reserved, DF, MF | offset in 8-byte units
    std::uint8_t time_to_live;
    std::uint8_t protocol;
    std::uint8_t checksum[2];
    std::uint8_t source[4];
    std::uint8_t destination[4];
};
static_assert(sizeof(Ipv4Header) == 20);
inline constexpr std::uint16_t kIpv4DontFragment = 0x4000;
inline constexpr std::uint16_t kIpv4MoreFragments = 0x2000;
inline constexpr std::uint16_t kIpv4OffsetMask = 0x1FFF;
inline constexpr std::uint8_t kProtocolIcmp = 1;
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::uint8_t kProtocolUdp = 17;
inline constexpr std::size_t kMaxIpv4Datagram = 65535;

// RFC 792: the first 8 bytes of every ICMP message.
struct IcmpHeader {
    std::uint8_t type;
    std::uint8_t code;
    std::uint8_t checksum[2];
    std::uint8_t rest[4];  // echo: identifier, sequence; unreachable: unused
};
static_assert(sizeof(IcmpHeader) == 8);
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpUnreachable = 3;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpProtocolUnreachable = 2;
inline constexpr std::uint8_t kIcmpPortUnreachable = 3;

// RFC 768.
struct UdpHeader {
    std::uint8_t source_port[2];
    std::uint8_t destination_port[2];
    std::uint8_t length[2];
    std::uint8_t checksum[2];
};
static_assert(sizeof(UdpHeader) == 8);
static_assert(kMaxUdpPayload == kMaxIpv4Datagram - 20 - 8);  // toro/net.h's

}  // namespace toro::net
