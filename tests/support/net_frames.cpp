#include "net_frames.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace toro_test {

namespace {

void put16(Bytes& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}
void put32(Bytes& out, std::uint32_t value) {
    put16(out, static_cast<std::uint16_t>(value >> 16));
    put16(out, static_cast<std::uint16_t>(value));
}
std::uint16_t get16(const Bytes& in, std::size_t at) {
    return static_cast<std::uint16_t>(in[at] << 8 | in[at + 1]);
}
std::uint32_t get32(const Bytes& in, std::size_t at) {
    return std::uint32_t{get16(in, at)} << 16 | get16(in, at + 2);
}
void set16(Bytes& out, std::size_t at, std::uint16_t value) {
    out[at] = static_cast<std::uint8_t>(value >> 8);
    out[at + 1] = static_cast<std::uint8_t>(value);
}
std::uint32_t pseudo_sum(std::uint32_t source, std::uint32_t destination, std::uint8_t protocol,
                         std::size_t length) {
    return (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) +
           protocol + static_cast<std::uint32_t>(length);
}

bool parse_transport(Parsed& parsed, const Bytes& payload, std::string* why) {
    if (parsed.protocol == 1) {
        if (payload.size() < 8) return *why = "ICMP shorter than 8", false;
        if (checksum(payload.data(), payload.size()) != 0) return *why = "bad ICMP checksum", false;
        parsed.icmp_type = payload[0];
        parsed.icmp_code = payload[1];
        parsed.payload.assign(payload.begin() + 8, payload.end());
    } else if (parsed.protocol == 17) {
        if (payload.size() < 8) return *why = "UDP shorter than 8", false;
        std::size_t length = get16(payload, 4);
        if (length != payload.size()) return *why = "UDP length does not match IP", false;
        if (get16(payload, 6) == 0) return *why = "UDP without a checksum", false;
        std::uint32_t pseudo = pseudo_sum(parsed.ip_source, parsed.ip_destination, 17, length);
        if (checksum(payload.data(), payload.size(), pseudo) != 0) return *why = "bad UDP checksum", false;
        parsed.source_port = get16(payload, 0);
        parsed.destination_port = get16(payload, 2);
        parsed.payload.assign(payload.begin() + 8, payload.end());
    } else if (parsed.protocol == 6) {
        if (payload.size() < 20) return *why = "TCP shorter than 20", false;
        std::size_t header = static_cast<std::size_t>(payload[12] >> 4) * 4;
        if (header < 20 || header > payload.size()) return *why = "TCP data offset out of range", false;
        std::uint32_t pseudo = pseudo_sum(parsed.ip_source, parsed.ip_destination, 6, payload.size());
        if (checksum(payload.data(), payload.size(), pseudo) != 0) return *why = "bad TCP checksum", false;
        parsed.source_port = get16(payload, 0);
        parsed.destination_port = get16(payload, 2);
        parsed.sequence = get32(payload, 4);
        parsed.acknowledgment = get32(payload, 8);
        parsed.tcp_flags = payload[13];
        parsed.window = get16(payload, 14);
        parsed.tcp_options.assign(payload.begin() + 20, payload.begin() + static_cast<long>(header));
        parsed.payload.assign(payload.begin() + static_cast<long>(header), payload.end());
    }
    return true;
}

}  // namespace

std::uint32_t ip(const char* dotted) {
    unsigned a, b, c, d;
    std::sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d);
    return a << 24 | b << 16 | c << 8 | d;
}

std::uint16_t checksum(const std::uint8_t* bytes, std::size_t length, std::uint32_t initial) {
    std::uint64_t sum = initial;
    for (std::size_t i = 0; i + 1 < length; i += 2) sum += std::uint32_t{bytes[i]} << 8 | bytes[i + 1];
    if (length % 2 == 1) sum += std::uint32_t{bytes[length - 1]} << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

Bytes ethernet(const Mac& destination, const Mac& source, std::uint16_t type, const Bytes& payload) {
    Bytes frame(destination.begin(), destination.end());
    frame.insert(frame.end(), source.begin(), source.end());
    put16(frame, type);
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

Bytes arp(std::uint16_t operation, const Mac& sender_mac, std::uint32_t sender_ip,
          const Mac& target_mac, std::uint32_t target_ip) {
    Bytes packet;
    put16(packet, 1);
    put16(packet, 0x0800);
    packet.push_back(6);
    packet.push_back(4);
    put16(packet, operation);
    packet.insert(packet.end(), sender_mac.begin(), sender_mac.end());
    put32(packet, sender_ip);
    packet.insert(packet.end(), target_mac.begin(), target_mac.end());
    put32(packet, target_ip);
    return packet;
}

Bytes ipv4(const IpFields& fields, const Bytes& payload) {
    Bytes options = fields.options;
    while (options.size() % 4 != 0) options.push_back(0);  // end of options list
    std::size_t header_length = 20 + options.size();
    Bytes packet;
    packet.push_back(static_cast<std::uint8_t>(0x40 | header_length / 4));
    packet.push_back(fields.type_of_service);
    put16(packet, static_cast<std::uint16_t>(header_length + payload.size()));
    put16(packet, fields.identification);
    put16(packet, static_cast<std::uint16_t>((fields.dont_fragment ? 0x4000 : 0) |
                                             (fields.more_fragments ? 0x2000 : 0) |
                                             fields.fragment_offset / 8));
    packet.push_back(fields.ttl);
    packet.push_back(fields.protocol);
    put16(packet, 0);
    put32(packet, fields.source);
    put32(packet, fields.destination);
    packet.insert(packet.end(), options.begin(), options.end());
    set16(packet, 10, checksum(packet.data(), header_length));
    packet.insert(packet.end(), payload.begin(), payload.end());
    return packet;
}

Bytes udp(std::uint32_t source_ip, std::uint32_t destination_ip, std::uint16_t source_port,
          std::uint16_t destination_port, const Bytes& payload, bool with_checksum) {
    Bytes datagram;
    put16(datagram, source_port);
    put16(datagram, destination_port);
    put16(datagram, static_cast<std::uint16_t>(8 + payload.size()));
    put16(datagram, 0);
    datagram.insert(datagram.end(), payload.begin(), payload.end());
    if (with_checksum) {
        std::uint32_t pseudo = pseudo_sum(source_ip, destination_ip, 17, datagram.size());
        std::uint16_t sum = checksum(datagram.data(), datagram.size(), pseudo);
        set16(datagram, 6, sum == 0 ? 0xFFFF : sum);
    }
    return datagram;
}

Bytes tcp(std::uint32_t source_ip, std::uint32_t destination_ip, const TcpFields& fields,
          const Bytes& payload) {
    Bytes options = fields.options;
    while (options.size() % 4 != 0) options.push_back(0);
    Bytes segment;
    put16(segment, fields.source_port);
    put16(segment, fields.destination_port);
    put32(segment, fields.sequence);
    put32(segment, fields.acknowledgment);
    segment.push_back(static_cast<std::uint8_t>((20 + options.size()) / 4 << 4));
    segment.push_back(fields.flags);
    put16(segment, fields.window);
    put16(segment, 0);  // checksum
    put16(segment, 0);  // urgent pointer
    segment.insert(segment.end(), options.begin(), options.end());
    segment.insert(segment.end(), payload.begin(), payload.end());
    std::uint32_t pseudo = pseudo_sum(source_ip, destination_ip, 6, segment.size());
    set16(segment, 16, checksum(segment.data(), segment.size(), pseudo));
    return segment;
}

Bytes icmp_echo(std::uint8_t type, std::uint16_t identifier, std::uint16_t sequence,
                const Bytes& payload) {
    Bytes message{type, 0, 0, 0};
    put16(message, identifier);
    put16(message, sequence);
    message.insert(message.end(), payload.begin(), payload.end());
    set16(message, 2, checksum(message.data(), message.size()));
    return message;
}

std::vector<Bytes> fragments(const Mac& destination, const Mac& source, IpFields fields,
                             const Bytes& payload, std::size_t size) {
    std::vector<Bytes> frames;
    for (std::size_t offset = 0; offset < payload.size(); offset += size) {
        std::size_t length = std::min(size, payload.size() - offset);
        fields.fragment_offset = static_cast<std::uint16_t>(offset);
        fields.more_fragments = offset + length < payload.size();
        Bytes part(payload.begin() + static_cast<long>(offset),
                   payload.begin() + static_cast<long>(offset + length));
        frames.push_back(ethernet(destination, source, 0x0800, ipv4(fields, part)));
    }
    return frames;
}

Bytes pattern(std::size_t length, std::uint32_t seed) {
    Bytes bytes(length);
    std::uint32_t state = seed * 2654435761u + 1;
    for (auto& byte : bytes) {
        state = state * 1664525u + 1013904223u;
        byte = static_cast<std::uint8_t>(state >> 24);
    }
    return bytes;
}

std::optional<Parsed> parse(const Bytes& frame, std::string* why) {
    Parsed parsed;
    if (frame.size() < 60) return *why = "shorter than Ethernet's minimum", std::nullopt;
    std::copy(frame.begin(), frame.begin() + 6, parsed.destination.begin());
    std::copy(frame.begin() + 6, frame.begin() + 12, parsed.source.begin());
    parsed.ether_type = get16(frame, 12);
    if (parsed.ether_type == 0x0806) {
        if (frame.size() < 42 || get16(frame, 14) != 1 || get16(frame, 16) != 0x0800) {
            return *why = "bad ARP", std::nullopt;
        }
        parsed.arp_operation = get16(frame, 20);
        std::copy(frame.begin() + 22, frame.begin() + 28, parsed.arp_sender_mac.begin());
        parsed.arp_sender_ip = get32(frame, 28);
        parsed.arp_target_ip = get32(frame, 38);
        return parsed;
    }
    if (parsed.ether_type != 0x0800) return *why = "neither ARP nor IPv4", std::nullopt;
    if ((frame[14] >> 4) != 4) return *why = "not IPv4", std::nullopt;
    std::size_t header_length = (frame[14] & 0x0F) * 4u;
    std::size_t total = get16(frame, 16);
    if (header_length < 20 || total < header_length || 14 + total > frame.size()) {
        return *why = "bad IPv4 lengths", std::nullopt;
    }
    if (checksum(frame.data() + 14, header_length) != 0) return *why = "bad IPv4 checksum", std::nullopt;
    parsed.type_of_service = frame[15];
    parsed.time_to_live = frame[22];
    parsed.identification = get16(frame, 18);
    std::uint16_t flags = get16(frame, 20);
    parsed.more_fragments = (flags & 0x2000) != 0;
    parsed.fragment_offset = static_cast<std::uint16_t>((flags & 0x1FFF) * 8);
    parsed.protocol = frame[23];
    parsed.ip_source = get32(frame, 26);
    parsed.ip_destination = get32(frame, 30);
    parsed.ip_payload.assign(frame.begin() + 14 + static_cast<long>(header_length),
                             frame.begin() + 14 + static_cast<long>(total));
    if (parsed.more_fragments || parsed.fragment_offset != 0) return parsed;
    if (!parse_transport(parsed, parsed.ip_payload, why)) return std::nullopt;
    return parsed;
}

std::optional<Parsed> reassemble(const std::vector<Parsed>& parts, std::string* why) {
    if (parts.empty()) return *why = "no fragments", std::nullopt;
    std::map<std::size_t, const Parsed*> by_offset;
    for (const Parsed& part : parts) by_offset[part.fragment_offset] = &part;
    Bytes payload;
    bool last_seen = false;
    for (auto& [offset, part] : by_offset) {
        if (offset != payload.size()) return *why = "a hole or an overlap", std::nullopt;
        payload.insert(payload.end(), part->ip_payload.begin(), part->ip_payload.end());
        last_seen = !part->more_fragments;
    }
    if (!last_seen) return *why = "no last fragment", std::nullopt;
    Parsed whole = *by_offset.begin()->second;
    whole.more_fragments = false;
    whole.ip_payload = payload;
    if (!parse_transport(whole, payload, why)) return std::nullopt;
    return whole;
}

}  // namespace toro_test
