#!/usr/bin/env python3
"""Writes seed inputs for net_input_fuzz (record format in net_input_fuzz.cpp)
into DIR: ARP, echo requests whole and in fragments (in and out of order),
UDP to the bound ports and to closed ones, IP options, sends that wait for
ARP, and time advances that expire what waits.

usage: make_net_seeds.py DIR
"""
import os
import struct
import sys

TORO_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 2])
TORO = bytes([198, 18, 0, 2])
PEER = bytes([198, 18, 0, 1])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ethernet(payload, ether_type=0x0800, destination=TORO_MAC):
    return destination + PEER_MAC + struct.pack("!H", ether_type) + payload


def arp(operation, target_ip=TORO, target_mac=bytes(6)):
    return ethernet(struct.pack("!HHBBH", 1, 0x0800, 6, 4, operation) + PEER_MAC + PEER +
                    target_mac + target_ip, 0x0806, b"\xff" * 6)


def ipv4(protocol, payload, ident=1, offset=0, more=False, options=b""):
    options += b"\0" * (-len(options) % 4)
    length = 20 + len(options)
    flags = (0x2000 if more else 0) | (offset // 8)
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | length // 4, 0, length + len(payload), ident,
                         flags, 64, protocol, 0, PEER, TORO) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def udp(port, payload):
    header = struct.pack("!HHHH", 5000, port, 8 + len(payload), 0)
    pseudo = PEER + TORO + struct.pack("!BBH", 0, 17, 8 + len(payload))
    total = checksum(pseudo + header + payload) or 0xFFFF
    return header[:6] + struct.pack("!H", total) + payload


def echo(payload):
    message = struct.pack("!BBHHH", 8, 0, 0, 0x1234, 1) + payload
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def frame_record(frame):
    return b"\0" + struct.pack("!H", len(frame)) + frame


def advance(milliseconds):
    return b"\1" + struct.pack("!H", milliseconds)


def send(port, length):
    return b"\2" + struct.pack("!HH", port, length)


def fragments(protocol, payload, size, order=None):
    parts = []
    for offset in range(0, len(payload), size):
        chunk = payload[offset:offset + size]
        parts.append(ethernet(ipv4(protocol, chunk, 77, offset, offset + size < len(payload))))
    if order:
        parts = [parts[i] for i in order]
    return b"".join(frame_record(p) for p in parts)


def seeds():
    resolve = frame_record(arp(1))
    yield "arp_request", resolve
    yield "arp_reply", frame_record(arp(2, TORO, TORO_MAC))
    yield "ping", resolve + frame_record(ethernet(ipv4(1, echo(bytes(56)))))
    big = echo(bytes(range(256)) * 16)
    yield "ping_fragments", resolve + fragments(1, big, 1480)
    yield "ping_fragments_reversed", resolve + fragments(1, big, 1480, [2, 1, 0])
    yield "udp_echo_port", frame_record(ethernet(ipv4(17, udp(7, b"hello")))) + b"\3"
    yield "udp_closed_port", resolve + frame_record(ethernet(ipv4(17, udp(4444, b"x"))))
    yield "udp_fragments", fragments(17, udp(9, bytes(3000)), 1024, [1, 0, 2]) + b"\3"
    yield "ip_options", frame_record(ethernet(ipv4(17, udp(7, b"opt"), options=b"\1" * 12)))
    yield "unknown_protocol", resolve + frame_record(ethernet(ipv4(99, bytes(20))))
    yield "send_waits_for_arp", send(7, 100) + send(7, 3000) + advance(1000) + advance(1000) + advance(1000)
    yield "send_then_resolved", send(7, 100) + frame_record(arp(2, TORO, TORO_MAC))
    yield "fragment_expires", fragments(17, udp(7, bytes(2000)), 1024)[:1100] + advance(31000)


def dhcp_reply(kind, xid=0):
    body = struct.pack("!BBBBI", 2, 1, 6, 0, xid) + bytes(8) + TORO + bytes(8) + TORO_MAC + bytes(10)
    body += bytes(192) + bytes([99, 130, 83, 99])
    body += bytes([53, 1, kind, 54, 4]) + PEER + bytes([1, 4, 255, 255, 255, 0, 3, 4]) + PEER
    body += bytes([51, 4, 0, 0, 14, 16, 255])
    header = struct.pack("!HHHH", 67, 68, 8 + len(body), 0)
    packet = ipv4(17, header + body)
    return frame_record(ethernet(packet, 0x0800, b"\xff" * 6))


def dhcp_seeds():
    # The transaction id is random, so replies match only if the fuzzer
    # learns it: these seeds exercise parsing and the retransmission timers.
    yield "dhcp_offer", dhcp_reply(2) + advance(5000) + dhcp_reply(5)
    yield "dhcp_nak", dhcp_reply(6) + advance(60000) + advance(60000)


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(b"\0" + data)  # flags: a static address
    for name, data in dhcp_seeds():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(b"\x80" + data)  # flags: no address, DHCP


if __name__ == "__main__":
    main()
