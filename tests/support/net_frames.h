// Frames as a test's far end builds and reads them: Ethernet, ARP, IPv4
// (with options and fragments), ICMP and UDP, written from the RFCs with no
// use of the kernel's own code, so a test checks the stack against an
// independent reading of the formats.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace toro_test {

using Bytes = std::vector<std::uint8_t>;
using Mac = std::array<std::uint8_t, 6>;

inline constexpr Mac kBroadcast{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

std::uint32_t ip(const char* dotted);
std::uint16_t checksum(const std::uint8_t* bytes, std::size_t length, std::uint32_t initial = 0);

Bytes ethernet(const Mac& destination, const Mac& source, std::uint16_t type, const Bytes& payload);
Bytes arp(std::uint16_t operation, const Mac& sender_mac, std::uint32_t sender_ip,
          const Mac& target_mac, std::uint32_t target_ip);

struct IpFields {
    std::uint32_t source = 0, destination = 0;
    std::uint8_t protocol = 17;
    std::uint16_t identification = 1;
    std::uint16_t fragment_offset = 0;  // bytes, a multiple of 8
    bool more_fragments = false;
    bool dont_fragment = false;
    std::uint8_t ttl = 64;
    std::uint8_t type_of_service = 0;  // the DSCP and, in its low two bits, ECN
    Bytes options;  // padded to 4 bytes
};
Bytes ipv4(const IpFields& fields, const Bytes& payload);
Bytes udp(std::uint32_t source_ip, std::uint32_t destination_ip, std::uint16_t source_port,
          std::uint16_t destination_port, const Bytes& payload, bool with_checksum = true);
// A TCP segment (RFC 9293 §3.1) with its checksum; `options` are padded
// to a multiple of 4 bytes with zeros (end of option list).
struct TcpFields {
    std::uint16_t source_port = 0, destination_port = 0;
    std::uint32_t sequence = 0, acknowledgment = 0;
    std::uint8_t flags = 0;  // FIN 1, SYN 2, RST 4, PSH 8, ACK 16
    std::uint16_t window = 65535;
    Bytes options;
};
Bytes tcp(std::uint32_t source_ip, std::uint32_t destination_ip, const TcpFields& fields,
          const Bytes& payload);
Bytes icmp_echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence,
                const Bytes& payload);
// An IP datagram's payload cut into fragments of at most `size` bytes
// (a multiple of 8), each a whole Ethernet frame.
std::vector<Bytes> fragments(const Mac& destination, const Mac& source, IpFields fields,
                             const Bytes& payload, std::size_t size);
Bytes pattern(std::size_t length, std::uint32_t seed);

// What a frame the stack sent says, parsed and checked (every checksum).
struct Parsed {
    Mac destination{}, source{};
    std::uint16_t ether_type = 0;
    // ARP
    std::uint16_t arp_operation = 0;
    std::uint32_t arp_sender_ip = 0, arp_target_ip = 0;
    Mac arp_sender_mac{};
    // IPv4
    std::uint32_t ip_source = 0, ip_destination = 0;
    std::uint8_t protocol = 0;
    std::uint16_t identification = 0, fragment_offset = 0;
    bool more_fragments = false;
    std::uint8_t type_of_service = 0, time_to_live = 0;
    Bytes ip_payload;  // this frame's part
    // whole-datagram fields (valid when not a fragment)
    std::uint8_t icmp_type = 0, icmp_code = 0;
    std::uint16_t source_port = 0, destination_port = 0;
    // TCP
    std::uint32_t sequence = 0, acknowledgment = 0;
    std::uint8_t tcp_flags = 0;
    std::uint16_t window = 0;
    Bytes tcp_options;
    Bytes payload;  // ICMP after its 8-byte header, UDP and TCP after theirs
};
// nullopt, with `why` set, if the frame is malformed or a checksum is wrong.
std::optional<Parsed> parse(const Bytes& frame, std::string* why);
// Reassembles IP fragments (any order) into one datagram's payload and
// parses its ICMP or UDP, checking the checksum across the whole.
std::optional<Parsed> reassemble(const std::vector<Parsed>& parts, std::string* why);

}  // namespace toro_test
