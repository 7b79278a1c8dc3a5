#!/usr/bin/env python3
"""Hostile frames at a Toro echo service, from the Linux end of its TAP.

Builds frames with scapy and writes them raw onto the link (an AF_PACKET
socket: what scapy's sendp uses, without its habit of padding a frame the
kernel refuses), in phases:

  fragments   4,000 first fragments that never complete (4,000 sources and
              IDs), one datagram of 600 fragments that never completes,
              overlapping pairs (never answered), fragments past 65,535
              bytes, and a datagram with an exact duplicate (answered)
  truncated   every frame of Ethernet, ARP, IPv4, ICMP and UDP cut at every
              length from 0 to its full headers; each inner header cut with
              the outer lengths consistent
  lengths     IP total length above and below the frame's, IHL below 5 and
              past the frame, wrong versions, UDP length above and below
              the IP payload (a shorter one is echoed shortened), frames
              longer than the MTU (the link's MTU raised meanwhile)
  checksums   bad IP, ICMP and UDP checksums (never answered); UDP checksum
              0, "none" (echoed)
  options     IP options of every length 0 to 40 (NOPs: each answered), and
              malformed ones: option lengths 0 and 1, past the header
  arp         4,000 requests for Toro's address and 4,000 gratuitous ARPs,
              from 8,000 MAC and IP addresses; bad hardware types, lengths,
              operations
  spoofed     14,000 echo requests from 200 on-link addresses that never
              answer ARP: the replies waiting for them stay within their
              bound, and a real peer is answered meanwhile
  flood       UDP at closed ports, 3 s at 5,000/s: Toro's port
              unreachables (counted by a sniffer) stay within its rate
              limit, 100/s plus a burst of 100

Between phases it reads the stack's figures from echo's stats port (9998):
reassembly stays within its 16 datagrams, and at the end, once the 30 s
reassembly timeout has passed, the pool is back to its baseline. Exit 0
when every check held; each failure is printed.

usage: hostile_frames.py IFACE TORO_MAC TORO_IP LINUX_IP
"""
import ctypes
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

from scapy.compat import raw
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
STATS_PORT = 9998
ECHO_PORT = 7
REASSEMBLIES = 16             # Stack::kReassemblies
REASSEMBLY_PACKETS = 256      # StackLimits::reassembly_packets
REASSEMBLY_TIMEOUT = 30.0     # StackLimits::reassembly_timeout_ns
PACKET_BYTES = 2048           # kPacketBytes
ICMP_PER_SECOND = 100         # StackLimits::icmp_errors_per_second
ARP_ENTRIES = 64              # Stack::kArpEntries
ARP_WAITING_PACKETS = 256     # StackLimits::arp_waiting_packets

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)
    return condition


def mac_text(mac_bytes):
    return ":".join(f"{b:02x}" for b in mac_bytes)


def fake_mac(index):
    """A locally administered unicast MAC per index."""
    return mac_text(bytes([0x02, 0xAA]) + struct.pack("!I", index))


class Wire:
    """Raw frames onto the link; paced so the TAP's queue is not the test."""

    def __init__(self, iface):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((iface, 0))
        self.sent = 0
        self.refused = 0

    def send(self, frame):
        try:
            self.sock.send(frame)
            self.sent += 1
            return True
        except OSError:  # EINVAL: shorter than an Ethernet header; EMSGSIZE: above the MTU
            self.refused += 1
            return False

    def send_all(self, frames, batch=64, pause=0.002):
        for i, frame in enumerate(frames):
            self.send(frame)
            if i % batch == batch - 1:
                time.sleep(pause)


class Sniffer(threading.Thread):
    """Every frame Toro sends (a BPF filter on its source MAC), timestamped."""

    def __init__(self, iface, toro_mac):
        super().__init__(daemon=True)
        mac = bytes.fromhex(toro_mac.replace(":", ""))
        high, low = struct.unpack("!IH", mac)
        program = [(0x20, 0, 0, 6), (0x15, 0, 3, high),    # ld [6]; jeq high
                   (0x28, 0, 0, 10), (0x15, 0, 1, low),    # ldh [10]; jeq low
                   (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0)]  # accept; reject
        code = b"".join(struct.pack("HBBI", *insn) for insn in program)
        self._code = ctypes.create_string_buffer(code)
        fprog = struct.pack("HL", len(program), ctypes.addressof(self._code))
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((iface, ETH_P_ALL))
        self.frames = []
        self.lock = threading.Lock()

    def run(self):
        while True:
            frame = self.sock.recv(65536)
            with self.lock:
                self.frames.append((time.monotonic(), frame))

    def mark(self):
        with self.lock:
            return len(self.frames)

    def since(self, mark):
        with self.lock:
            return self.frames[mark:]


def parse(frame):
    """('icmp', type, code, id, seq, payload), ('udp', sport, dport, payload),
    ('arp', op), or None."""
    if len(frame) < 14:
        return None
    ether_type = struct.unpack("!H", frame[12:14])[0]
    if ether_type == 0x0806:
        return ("arp", struct.unpack("!H", frame[20:22])[0]) if len(frame) >= 42 else None
    if ether_type != 0x0800 or len(frame) < 34:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    if struct.unpack("!H", frame[20:22])[0] & 0x3FFF:
        return ("fragment",)
    payload = frame[14 + ihl:14 + total]
    if frame[23] == 1 and len(payload) >= 8:
        kind, code, _, ident, seq = struct.unpack("!BBHHH", payload[:8])
        return ("icmp", kind, code, ident, seq, payload[8:])
    if frame[23] == 17 and len(payload) >= 8:
        sport, dport, _, _ = struct.unpack("!HHHH", payload[:8])
        return ("udp", sport, dport, payload[8:])
    return None


class Toro:
    def __init__(self, iface, toro_mac, toro_ip, linux_ip):
        self.iface, self.mac, self.ip, self.linux_ip = iface, toro_mac, toro_ip, linux_ip
        with open(f"/sys/class/net/{iface}/address") as f:
            self.linux_mac = f.read().strip()
        self.stats_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stats_sock.settimeout(0.5)

    def stats(self, tries=20):
        for _ in range(tries):  # a request may be lost while Toro's queue is full
            self.stats_sock.sendto(b"stats", (self.ip, STATS_PORT))
            try:
                line = self.stats_sock.recv(1024).decode()
                return {k: int(v) for k, v in (w.split("=") for w in line.split())}
            except socket.timeout:
                continue
        check(tries < 20, "echo's stats port did not answer")
        return None

    def eth(self, src=None):
        return Ether(dst=self.mac, src=src or self.linux_mac)

    def ip_(self, **fields):
        fields.setdefault("src", self.linux_ip)
        return IP(dst=self.ip, **fields)

    def ping(self, ident, seq, payload=b"hostile!", **ip_fields):
        return self.eth() / self.ip_(**ip_fields) / ICMP(id=ident, seq=seq) / Raw(payload)

    def udp(self, sport, dport, payload, **ip_fields):
        return self.eth() / self.ip_(**ip_fields) / UDP(sport=sport, dport=dport) / Raw(payload)


def echo_replies(frames, ident):
    return [p for _, f in frames if (p := parse(f)) and p[0] == "icmp" and p[1] == 0 and p[3] == ident]


def udp_replies(frames, dport):
    return [p for _, f in frames if (p := parse(f)) and p[0] == "udp" and p[1] == ECHO_PORT and p[2] == dport]


def settle(seconds=0.5):
    time.sleep(seconds)


def replies_once(sniffer, mark, answered, timeout=5.0):
    """Toro's frames since `mark`, after 0.5 s for stray answers to come, and
    for as long as `answered(frames)` (the answers a phase expects) is not
    yet true, up to `timeout`: a loaded machine delays them."""
    settle()
    deadline = time.monotonic() + timeout
    while not answered(sniffer.since(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return sniffer.since(mark)


# Marker ICMP identifiers and UDP source ports: a reply names its case.
ID_OVERLAP, ID_DUPLICATE, ID_TRUNCATED, ID_LENGTHS, ID_BAD_IP, ID_BAD_ICMP = range(0x4F00, 0x4F06)
ID_OPTIONS, ID_BAD_OPTIONS, ID_OVERSIZE = 0x4F10, 0x4F11, 0x4F12
PORT_TRUNCATED, PORT_BAD_UDP, PORT_NO_CHECKSUM, PORT_SHORT_UDP, PORT_LONG_UDP = range(41000, 41005)
PORT_LIES, PORT_MTU = 41010, 41020


def fragments_phase(toro, wire, sniffer):
    """Returns the time of the last fragment sent (reassembly's clock)."""
    mark = sniffer.mark()
    # 4,000 first fragments that never complete, from 4,000 sources and IDs.
    frames = []
    for i in range(4000):
        src = f"198.19.{i >> 8}.{i & 0xFF}"
        frames.append(raw(Ether(dst=toro.mac, src=fake_mac(i)) /
                          IP(src=src, dst=toro.ip, id=i, flags="MF", frag=0, proto=1) /
                          Raw(bytes(64))))
    wire.send_all(frames)
    settle(0.3)
    stats = toro.stats()
    check(stats["reassembly"] <= REASSEMBLIES,
          f"4,000 first fragments: {stats['reassembly']} reassemblies held (at most {REASSEMBLIES})")
    print(f"fragments: 4,000 first fragments from 4,000 sources: reassembly={stats['reassembly']} "
          f"pool_in_use={stats['pool_in_use']}")

    # One datagram that never completes: 600 fragments, the first missing.
    frames = [raw(toro.eth() / toro.ip_(id=0xBEEF, flags="MF", frag=k, proto=1) / Raw(bytes(8)))
              for k in range(1, 601)]
    wire.send_all(frames)
    settle(0.3)
    stats = toro.stats()
    held_packets = stats["pool_in_use"] // PACKET_BYTES
    check(held_packets <= REASSEMBLY_PACKETS + 64,
          f"600 fragments of one datagram: {held_packets} packets held (reassembly may hold "
          f"{REASSEMBLY_PACKETS})")
    print(f"fragments: one datagram of 600 fragments never completed: reassembly={stats['reassembly']} "
          f"pool_in_use={stats['pool_in_use']}")

    # Overlapping pairs: every overlap discards the datagram, never answered.
    message = raw(ICMP(id=ID_OVERLAP, seq=0) / Raw(bytes(range(40))))  # 48 bytes
    cases = [((0, 24, True), (16, 32, False)),   # the second starts inside the first
             ((0, 32, True), (8, 16, True)),     # the second lies inside the first
             ((16, 32, False), (0, 24, True)),   # the same, in the other order
             ((0, 24, True), (0, 16, True)),     # same offset, shorter
             ((0, 16, True), (32, 16, False), (8, 16, True)),    # a hole filled across its left
             ((0, 16, True), (32, 16, False), (16, 24, True))]   # and across its right
    frames = []
    for ident in range(200):
        for number, case in enumerate(cases):
            for offset, length, more in case:
                frames.append(raw(toro.eth() /
                                  toro.ip_(id=0x7000 + ident * 8 + number, proto=1,
                                           flags="MF" if more else 0, frag=offset // 8) /
                                  Raw(message[offset:offset + length])))
    wire.send_all(frames)

    # Past the largest datagram: ends beyond 65,515 payload bytes.
    frames = [raw(toro.eth() / toro.ip_(id=0x6000, proto=1, frag=8184) / Raw(bytes(48))),
              raw(toro.eth() / toro.ip_(id=0x6001, proto=1, frag=8191) / Raw(bytes(100))),
              raw(toro.eth() / toro.ip_(id=0x6002, proto=1, flags="MF", frag=8189) / Raw(bytes(24)))]
    frames += [raw(toro.eth() / toro.ip_(id=0x6003, proto=1, flags="MF", frag=k * 185) /
                   Raw(bytes(1480))) for k in range(44)]
    frames += [raw(toro.eth() / toro.ip_(id=0x6003, proto=1, frag=44 * 185) / Raw(bytes(1480)))]
    wire.send_all(frames)

    # An exact duplicate is ignored: this datagram is answered.
    message = raw(ICMP(id=ID_DUPLICATE, seq=1) / Raw(bytes(range(64))))  # 72 bytes
    head = raw(toro.eth() / toro.ip_(id=0x5000, proto=1, flags="MF", frag=0) / Raw(message[:32]))
    tail = raw(toro.eth() / toro.ip_(id=0x5000, proto=1, frag=4) / Raw(message[32:]))
    for frame in (head, head, tail):
        wire.send(frame)
    last_fragment = time.monotonic()
    replies = replies_once(sniffer, mark, lambda r: echo_replies(r, ID_DUPLICATE))
    check(not echo_replies(replies, ID_OVERLAP), "an overlapping fragment pair was answered")
    duplicate = echo_replies(replies, ID_DUPLICATE)
    check(len(duplicate) == 1 and duplicate[0][5] == bytes(range(64)),
          f"the datagram with a duplicate fragment was answered {len(duplicate)} times (want once, byte-exact)")
    check(not [1 for _, f in replies if (p := parse(f)) and p[0] == "icmp" and p[1] == 0
               and p[3] not in (ID_DUPLICATE,)],
          "an echo reply to a datagram past 65,535 bytes or with overlaps")
    stats = toro.stats()
    check(stats["reassembly"] <= REASSEMBLIES, f"reassembly={stats['reassembly']} after the fragments")
    print(f"fragments: 1,200 overlapping fragment sets unanswered, 47 past 65,535 bytes unanswered, "
          f"a duplicate fragment answered once; reassembly={stats['reassembly']} "
          f"pool_in_use={stats['pool_in_use']}")
    return last_fragment


def truncated_phase(toro, wire, sniffer):
    mark = sniffer.mark()
    refused_before = wire.refused
    # Each whole frame cut at every length up to its last header byte.
    wholes = {
        "arp": raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=fake_mac(90000)) /
                   ARP(op=1, hwsrc=fake_mac(90000), psrc="198.18.0.77", pdst=toro.ip)),
        "icmp": raw(toro.ping(ID_TRUNCATED, 0)),
        "udp": raw(toro.udp(PORT_TRUNCATED, ECHO_PORT, b"hostile!")),
    }
    cuts = 0
    for whole in wholes.values():
        for length in range(0, 42):  # ARP's 14 + 28 bytes; ICMP's and UDP's 14 + 20 + 8
            wire.send(whole[:length])
            cuts += 1
    # ICMP's and UDP's headers cut with the IP total length consistent.
    icmp_header = raw(ICMP(id=ID_TRUNCATED, seq=1))
    udp_header = raw(UDP(sport=PORT_TRUNCATED, dport=ECHO_PORT, len=8))
    inner = []
    for length in range(0, 8):
        inner.append(raw(toro.eth() / toro.ip_(proto=1) / Raw(icmp_header[:length])))
        inner.append(raw(toro.eth() / toro.ip_(proto=17) / Raw(udp_header[:length])))
    for frame in inner:
        wire.send(frame)
    settle()
    replies = sniffer.since(mark)
    check(not echo_replies(replies, ID_TRUNCATED), "a truncated ICMP echo was answered")
    check(not udp_replies(replies, PORT_TRUNCATED), "a truncated UDP datagram was echoed")
    check(not [1 for _, f in replies if (p := parse(f)) and p[0] == "arp" and p[1] == 2],
          "a truncated ARP request was answered")
    refused = wire.refused - refused_before
    print(f"truncated: {cuts + len(inner)} frames cut short at every layer, none answered "
          f"(Linux refused the {refused} shorter than an Ethernet header)")


def lengths_phase(toro, wire, sniffer):
    mark = sniffer.mark()
    payload = b"lengths!" * 4  # 32 bytes
    frames = []
    # IP total length above the frame's, below the header's, inside UDP's header.
    for total in (29, 59, 61, 1000, 1500, 65535, 0, 1, 19, 20, 21, 24, 27, 28, 39):
        frames.append(raw(toro.ping(ID_LENGTHS, total, payload, len=total)))
        frames.append(raw(toro.udp(PORT_LIES, ECHO_PORT, payload, len=total)))
    # IHL below 5 and past the frame; versions other than 4.
    for ihl in (0, 1, 2, 3, 4, 14, 15):
        frames.append(raw(toro.ping(ID_LENGTHS, 100 + ihl, b"", ihl=ihl))[:34 + 8])
        frames.append(raw(toro.ping(ID_LENGTHS, 120 + ihl, b"", ihl=ihl)))
    for version in (0, 5, 6, 15):
        frames.append(raw(toro.ping(ID_LENGTHS, 200 + version, payload, version=version)))
    # UDP length above the IP payload, below UDP's header.
    for udp_length in (0, 1, 7, 41, 100, 65535):
        frames.append(raw(toro.eth() / toro.ip_() /
                          UDP(sport=PORT_LIES, dport=ECHO_PORT, len=udp_length, chksum=0) / Raw(payload)))
    for frame in frames:
        wire.send(frame)
    # Valid ones: a UDP length below the IP payload is echoed shortened (the
    # rest is padding); a frame padded past the IP total length is answered.
    wire.send(raw(toro.eth() / toro.ip_() /
                  UDP(sport=PORT_SHORT_UDP, dport=ECHO_PORT, len=8 + 16, chksum=0) / Raw(payload)))
    wire.send(raw(toro.udp(PORT_LONG_UDP, ECHO_PORT, payload)) + b"\xee" * 100)
    # Frames longer than the MTU: raise the link's MTU to send them.
    subprocess.run(["ip", "link", "set", toro.iface, "mtu", "9000"], check=True)
    try:
        for size in (1501, 1600, 2020, 2021, 2048, 4000, 8972):  # IP bytes: frames of 1515 and up
            wire.send(raw(toro.udp(PORT_MTU, ECHO_PORT, bytes(size - 28))))
            wire.send(raw(toro.ping(ID_OVERSIZE, size, bytes(size - 28))))
    finally:
        subprocess.run(["ip", "link", "set", toro.iface, "mtu", "1500"], check=True)
    replies = replies_once(sniffer, mark, lambda r: udp_replies(r, PORT_SHORT_UDP) and
                           udp_replies(r, PORT_LONG_UDP))
    check(not echo_replies(replies, ID_LENGTHS), "an ICMP echo with a lying length was answered")
    check(not udp_replies(replies, PORT_LIES), "a UDP datagram with a lying length was echoed")
    check(not echo_replies(replies, ID_OVERSIZE) and not udp_replies(replies, PORT_MTU),
          "a frame longer than 1,514 bytes was answered")
    short = udp_replies(replies, PORT_SHORT_UDP)
    check(len(short) == 1 and short[0][3] == payload[:16],
          f"a UDP length below the IP payload: {len(short)} echoes (want one of its 16 bytes)")
    padded = udp_replies(replies, PORT_LONG_UDP)
    check(len(padded) == 1 and padded[0][3] == payload,
          f"a frame padded past its IP length: {len(padded)} echoes (want one, byte-exact)")
    print(f"lengths: {len(frames) + 14} frames whose lengths lie unanswered; a short UDP length "
          f"echoed shortened, a padded frame echoed byte-exact")


def wrong(frame, at, bit):
    """`frame` with one bit of its checksum at byte `at` flipped (never to
    0, which for UDP means "no checksum")."""
    value = struct.unpack("!H", frame[at:at + 2])[0] ^ (1 << bit)
    if value == 0:
        value = 1 << ((bit + 1) % 16)
    return frame[:at] + struct.pack("!H", value) + frame[at + 2:]


def checksums_phase(toro, wire, sniffer):
    mark = sniffer.mark()
    frames = []
    for seq in range(50):
        frames.append(wrong(raw(toro.ping(ID_BAD_IP, seq)), 24, seq % 16))
        frames.append(wrong(raw(toro.ping(ID_BAD_ICMP, seq)), 36, seq % 16))
        frames.append(wrong(raw(toro.udp(PORT_BAD_UDP, ECHO_PORT, b"checksum" * (seq + 1))), 40, seq % 16))
    wire.send_all(frames)
    none = toro.eth() / toro.ip_() / UDP(sport=PORT_NO_CHECKSUM, dport=ECHO_PORT, chksum=0) / Raw(b"unsummed")
    wire.send(raw(none))
    replies = replies_once(sniffer, mark, lambda r: udp_replies(r, PORT_NO_CHECKSUM))
    check(not echo_replies(replies, ID_BAD_IP), "an echo request with a bad IP checksum was answered")
    check(not echo_replies(replies, ID_BAD_ICMP), "an echo request with a bad ICMP checksum was answered")
    check(not udp_replies(replies, PORT_BAD_UDP), "a UDP datagram with a bad checksum was echoed")
    unsummed = udp_replies(replies, PORT_NO_CHECKSUM)
    check(len(unsummed) == 1 and unsummed[0][3] == b"unsummed",
          f"a UDP datagram without a checksum (0): {len(unsummed)} echoes (want one)")
    print("checksums: 150 bad IP, ICMP and UDP checksums unanswered; UDP checksum 0 echoed")


def internet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def with_ip_options(frame, options):
    """An Ethernet + 20-byte IPv4 frame with `options` (a multiple of 4
    bytes, any content) put after its IP header; lengths and checksum fixed."""
    header = bytearray(frame[14:34]) + options
    rest = frame[34:]
    header[0] = 0x40 | len(header) // 4
    header[2:4] = struct.pack("!H", len(header) + len(rest))
    header[10:12] = b"\0\0"
    header[10:12] = struct.pack("!H", internet_checksum(bytes(header)))
    return frame[:14] + bytes(header) + rest


def options_phase(toro, wire, sniffer):
    mark = sniffer.mark()
    for length in range(0, 41):  # NOPs, then End of Option List up to a 4-byte boundary
        options = b"\x01" * length + b"\x00" * (-length % 4)
        wire.send(with_ip_options(raw(toro.ping(ID_OPTIONS, length, b"options!" * 3)), options))
    malformed = [b"\x07\x00\x00\x00",                   # record route, length 0
                 b"\x07\x01\x00\x00",                   # length 1
                 b"\x01\x07\x28\x04" + bytes(4),        # length 40 in 8 bytes
                 b"\x44\xff\x05\x00" + bytes(36),       # timestamp, length 255 in 40
                 b"\x01" * 39 + b"\x83",                # a type in the last byte, no length
                 b"\x83\x03\x04\x00",                   # loose source route, pointer and length short
                 b"\x94\x04\x00\x00" * 10,              # router alert x10
                 b"\x00" * 40]                          # all End of Option List
    for number, options in enumerate(malformed):
        wire.send(with_ip_options(raw(toro.ping(ID_BAD_OPTIONS, number, b"options!")), options))
    replies = replies_once(sniffer, mark, lambda r: len(echo_replies(r, ID_OPTIONS)) >= 41)
    answered = {p[4] for p in echo_replies(replies, ID_OPTIONS) if p[5] == b"options!" * 3}
    missing = sorted(set(range(41)) - answered)
    check(not missing, f"IP options of these lengths were not answered: {missing}")
    odd = len(echo_replies(replies, ID_BAD_OPTIONS))
    print(f"options: 0 to 40 bytes of NOPs each answered; {len(malformed)} malformed option lists, "
          f"{odd} answered (the stack skips options, acting on none)")


def arp_phase(toro, wire, sniffer):
    mark = sniffer.mark()
    frames = []
    for i in range(4000):  # requests for Toro's address, from 4,000 stations
        mac = fake_mac(100000 + i)
        frames.append(raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) /
                          ARP(op=1, hwsrc=mac, psrc=f"198.18.{1 + i // 250}.{1 + i % 250}", pdst=toro.ip)))
    for i in range(4000):  # gratuitous: a request and a reply for the sender's own address
        mac = fake_mac(200000 + i)
        address = f"198.18.{40 + i // 250}.{1 + i % 250}"
        frames.append(raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) /
                          ARP(op=1 + i % 2, hwsrc=mac, psrc=address, hwdst="ff:ff:ff:ff:ff:ff" if i % 2 else
                              "00:00:00:00:00:00", pdst=address)))
    odd = [ARP(op=1, hwtype=6, psrc="198.18.0.90", pdst=toro.ip),
           ARP(op=1, ptype=0x86DD, psrc="198.18.0.91", pdst=toro.ip),
           ARP(op=1, hwlen=8, psrc="198.18.0.92", pdst=toro.ip),
           ARP(op=1, plen=16, psrc="198.18.0.93", pdst=toro.ip),
           ARP(op=3, psrc="198.18.0.94", pdst=toro.ip),
           ARP(op=0, psrc="198.18.0.95", pdst=toro.ip),
           ARP(op=1, hwsrc="ff:ff:ff:ff:ff:ff", psrc="198.18.0.96", pdst=toro.ip),  # multicast sender
           ARP(op=1, hwsrc=fake_mac(7), psrc=toro.ip, pdst=toro.ip)]  # claims Toro's own address
    frames += [raw(Ether(dst="ff:ff:ff:ff:ff:ff", src=fake_mac(300000 + n)) / a) for n, a in enumerate(odd)]
    wire.send_all(frames)
    settle()
    stats = toro.stats()
    replies = [p for _, f in sniffer.since(mark) if (p := parse(f)) and p[0] == "arp" and p[1] == 2]
    check(stats["arp"] <= ARP_ENTRIES, f"ARP storm: {stats['arp']} entries (at most {ARP_ENTRIES})")
    print(f"arp: 8,000 requests and gratuitous ARPs from 8,000 stations, {len(odd)} malformed: "
          f"{len(replies)} replies, arp={stats['arp']} pool_in_use={stats['pool_in_use']}")


def spoofed_phase(toro, wire, sniffer):
    """Echo requests from on-link addresses that never answer ARP: every
    reply waits for them, in bounded memory, and a real peer is still
    answered while they wait (their requests are given up after 3 s)."""
    frames = []
    for seq in range(70):
        for station in range(200):  # more than the ARP table holds
            frames.append(raw(Ether(dst=toro.mac, src=fake_mac(400000 + station)) /
                              IP(src=f"198.18.0.{40 + station}", dst=toro.ip) /
                              ICMP(id=0x5EED, seq=seq) / Raw(bytes(1000))))
    wire.send_all(frames)
    during = toro.stats(tries=3)  # within 1.5 s, before the first requests are given up (3 s)
    check(during is not None, "spoofed sources: a real peer's request was not answered while "
                              "Toro resolved their addresses")
    if during is None:
        return
    held = during["pool_in_use"] // PACKET_BYTES
    check(held <= ARP_WAITING_PACKETS + REASSEMBLY_PACKETS,
          f"spoofed sources: {held} packets held (ARP may hold {ARP_WAITING_PACKETS}, reassembly {REASSEMBLY_PACKETS})")
    print(f"spoofed: 14,000 echo requests from 200 on-link addresses that never answer ARP: a real "
          f"peer answered meanwhile; pool_in_use={during['pool_in_use']} arp={during['arp']}")


def flood_phase(toro, wire, sniffer):
    before = toro.stats()
    rng = random.Random(17)
    closed = [p for p in range(10000, 60000) if p not in (ECHO_PORT, 9, STATS_PORT)]
    template = toro.udp(43000, 1, b"anyone home?")
    frames = []
    for _ in range(15000):
        template[UDP].dport = rng.choice(closed)
        template[UDP].chksum = None
        frames.append(raw(template))
    mark = sniffer.mark()
    start = time.monotonic()
    for i in range(0, len(frames), 50):  # 5,000 a second for 3 s
        for frame in frames[i:i + 50]:
            wire.send(frame)
        time.sleep(max(0.0, start + (i + 50) / 5000 - time.monotonic()))
    settle()
    window = time.monotonic() - start
    after = toro.stats()
    unreachables = [p for _, f in sniffer.since(mark)
                    if (p := parse(f)) and p[0] == "icmp" and p[1] == 3 and p[2] == 3]
    allowed = ICMP_PER_SECOND + ICMP_PER_SECOND * window + 1
    check(0 < len(unreachables) <= allowed,
          f"UDP flood: {len(unreachables)} port unreachables in {window:.2f} s (want 1 to {allowed:.0f})")
    limited = after["icmp_rate_limited"] - before["icmp_rate_limited"]
    check(limited > 0, "UDP flood: no unreachable was rate limited")
    print(f"flood: 15,000 datagrams at closed ports in {window:.2f} s: {len(unreachables)} port "
          f"unreachables ({len(unreachables) / window:.0f}/s; the limit is {ICMP_PER_SECOND}/s plus a "
          f"burst of {ICMP_PER_SECOND}), {limited} rate limited")


def wait_for_baseline(toro, baseline, last_fragment):
    deadline = last_fragment + REASSEMBLY_TIMEOUT + 5
    while True:
        stats = toro.stats()
        if stats is None:
            return
        back = (stats["pool_in_use"] == baseline["pool_in_use"] and stats["reassembly"] == 0 and
                stats["queued"] == 0 and stats["sockets"] == baseline["sockets"])
        if back or time.monotonic() > deadline:
            break
        time.sleep(1)
    waited = time.monotonic() - last_fragment
    check(back, f"after the attack the stack holds pool_in_use={stats['pool_in_use']} "
                f"reassembly={stats['reassembly']} queued={stats['queued']} sockets={stats['sockets']}"
                f" (baseline pool_in_use={baseline['pool_in_use']} sockets={baseline['sockets']})")
    print(f"memory: {waited:.0f} s after the last fragment: pool_in_use={stats['pool_in_use']} "
          f"(baseline {baseline['pool_in_use']}), reassembly={stats['reassembly']}, "
          f"queued={stats['queued']}, sockets={stats['sockets']}, arp={stats['arp']}, "
          f"dropped={stats['dropped']}")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    toro = Toro(*sys.argv[1:5])
    wire = Wire(toro.iface)
    sniffer = Sniffer(toro.iface, toro.mac)
    sniffer.start()
    baseline = toro.stats()
    if baseline is None:
        return 1
    print(f"baseline: {' '.join(f'{k}={v}' for k, v in baseline.items())}", flush=True)
    last_fragment = fragments_phase(toro, wire, sniffer)
    for phase in (truncated_phase, lengths_phase, checksums_phase, options_phase, arp_phase, spoofed_phase,
                  flood_phase):
        phase(toro, wire, sniffer)
        sys.stdout.flush()
    wait_for_baseline(toro, baseline, last_fragment)
    print(f"sent {wire.sent} frames ({wire.refused} refused by Linux); Toro sent "
          f"{len(sniffer.since(0))}")
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
