#!/usr/bin/env python3
"""Hostile TCP peers against apps/webserver, from the Linux end of its TAP.

Segments are built by hand (struct, checksums computed here: scapy is too
slow for a flood) and written raw onto the link with hostile_frames.py's
Wire; its Sniffer keeps every frame Toro sends. The phases:

  syn flood    SYNs from thousands of spoofed sources (198.19.0.0/16, off
               the link: Toro answers through its gateway, the Linux end,
               which does not forward, so nobody answers its SYN-ACKs)
               and random ports; a full backlog gives up its oldest
               half-open connection, so a real client still connects
  rst/ack      a Python client holds a keep-alive connection; at its
               four-tuple: RSTs, RST+ACKs and ACKs with random sequence
               numbers, RSTs in its window but off RCV.NXT and ACKs of data
               never sent (RFC 5961: at most one answer per 500 ms, none
               taken from the shared challenge-ACK budget, no reset), then
               SYNs with random sequence numbers (challenge ACKs, §4,
               within the budget of 1000 a second, drawn between 500 and
               1500); a request after each flood shows it still serves
  options      SYNs with every option malformed (lengths 0, 1 and past the
               header, truncated MSS, window scale, timestamps and SACK,
               window scale 15 and 255, SACK blocks outside the window),
               and the same on the established connection, which then
               serves a request
  zero window  a client with a small receive buffer asks for the big file
               and reads nothing for 8 s (Toro probes the window), then
               reads it all byte-exact; another never reads and is reset
               by the webserver's send timeout (TIMEOUT)
  vanish       a client on a secondary address of the namespace takes part
               of the big file, then its address is deleted: its segments
               stop, Toro's retransmissions go unanswered until the send
               timeout resets the connection
  slowloris    connections sending a request head a byte a second: each
               gets 408 when the head timeout (TIMEOUT) runs out

The last three run side by side. Throughout, a curl loop fetches files and
compares them byte for byte (each round within its timeout, and at least
one whole round during every phase), and a watcher reads the stack's
figures (the webserver's --stats-port) five times a second: TCP buffers
within tcp_buffer_limit, the pool within its size. At the end the figures
must come back to the baseline (the flood's half-open connections give up
after their SYN-ACK retries: 15 s with the test's --tcp-syn-retries 3).
Exit 0 when every check held; each failure is printed. The client ports
of the connections segments were forged on go to $WORK/forged_ports, for
the capture check.

usage: hostile_tcp.py IFACE TORO_MAC TORO_IP LINUX_IP TREE STATS_PORT TIMEOUT
(TIMEOUT: the webserver's --send-timeout and --head-timeout, in seconds)
"""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_frames import Sniffer, Wire, check, failures, internet_checksum  # noqa: E402  (after the path)

HTTP_PORT = 80
STATS_CLIENT_PORT = 9997  # no dissector of tshark's claims it
# The test starts the webserver with --tcp-syn-retries 3: a half-open
# connection resends its SYN-ACK after 1, 2 and 4 s and is given up 8 s
# later, 15 s after its SYN (the default 6 would take 123 s).
HALF_OPEN_LIFETIME = 15.0
# The webserver's --send-timeout and --head-timeout, which the test
# passes as its seventh argument (its defaults are 30 s: waiting them out
# took the test a minute).
SEND_TIMEOUT = HEAD_TIMEOUT = 30.0
VANISHING_IP = "198.18.0.3"
CURL_FILES = ["small.bin", "64k.bin", "1m.bin"]
BIG_FILE = "big.bin"

SYN, RST, ACK, FIN, PSH = 0x02, 0x04, 0x10, 0x01, 0x08

def say(message):
    print(message, flush=True)


# --- segments by hand ------------------------------------------------------

def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


class Segments:
    """Ethernet + IPv4 + TCP frames to Toro, checksums right."""

    def __init__(self, toro_mac, linux_mac, toro_ip):
        self.ether = mac_bytes(toro_mac) + mac_bytes(linux_mac) + b"\x08\x00"
        self.toro_ip = socket.inet_aton(toro_ip)

    def frame(self, src_ip, sport, dport, seq, ack, flags, window=65535, options=b"", payload=b"",
              header_words=None):
        """header_words: the data offset to claim (default: the options padded to 4)."""
        options += b"\0" * (-len(options) % 4)
        offset = header_words if header_words is not None else 5 + len(options) // 4
        src = socket.inet_aton(src_ip)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          offset << 4, flags, window, 0, 0) + options + payload
        pseudo = src + self.toro_ip + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", internet_checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000, 64, 6,
                         0, src, self.toro_ip)
        ip = ip[:10] + struct.pack("!H", internet_checksum(ip)) + ip[12:]
        return self.ether + ip + tcp


def parse_tcp(frame):
    """(src, dst, sport, dport, seq, ack, flags, window, payload length) of
    an IPv4 TCP frame, or None."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    t = 14 + ihl
    sport, dport, seq, ack, offset, flags, window = struct.unpack("!HHIIBBH", frame[t:t + 16])
    length = total - ihl - (offset >> 4) * 4
    return (socket.inet_ntoa(frame[26:30]), socket.inet_ntoa(frame[30:34]), sport, dport, seq, ack,
            flags, window, length)


def toro_segments(sniffer, mark, dst_ip=None, dport=None, until=None):
    """Toro's TCP segments from sniffer mark `mark` (to mark `until`)."""
    frames = sniffer.since(mark)
    if until is not None:
        frames = frames[:until - mark]
    out = []
    for stamp, frame in frames:
        segment = parse_tcp(frame)
        if segment is None:
            continue
        if dst_ip is not None and segment[1] != dst_ip:
            continue
        if dport is not None and segment[3] != dport:
            continue
        out.append((stamp, segment))
    return out


# --- the webserver's figures ------------------------------------------------

class Stats:
    """The stats port's answers, asked from one socket bound to STATS_CLIENT_PORT:
    an answer to an ephemeral port would be dissected as whatever protocol
    tshark guesses for that port, and reported malformed."""

    def __init__(self, toro_ip, port):
        self.address = (toro_ip, port)
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("", STATS_CLIENT_PORT))

    def read(self, tries=20):
        with self.lock:
            self.sock.setblocking(False)
            try:
                while True:  # late answers to requests that timed out
                    self.sock.recv(1024)
            except BlockingIOError:
                pass
            self.sock.settimeout(0.5)
            for _ in range(tries):  # a request may be lost while Toro's queue is full
                self.sock.sendto(b"stats", self.address)
                try:
                    line = self.sock.recv(1024).decode()
                    return {k: int(v) for k, v in (w.split("=") for w in line.split())}
                except socket.timeout:
                    continue
        return None


class Watcher(threading.Thread):
    """Reads the figures five times a second; checks the bounds, keeps peaks."""

    def __init__(self, stats):
        super().__init__(daemon=True)
        self.stats = stats
        self.peak = {}
        self.samples = 0
        self.unanswered = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            figures = self.stats.read(tries=4)
            if figures is None:
                self.unanswered += 1
            else:
                self.samples += 1
                for key in ("tcp_buffers", "pool_in_use", "tcp_connections", "tcp_sockets", "tcp_time_wait"):
                    self.peak[key] = max(self.peak.get(key, 0), figures[key])
                check(figures["tcp_buffers"] <= figures["tcp_buffer_limit"],
                      f"TCP buffers {figures['tcp_buffers']} over their limit {figures['tcp_buffer_limit']}")
                check(figures["pool_in_use"] <= figures["pool"],
                      f"packet pool in use {figures['pool_in_use']} over its size {figures['pool']}")
            time.sleep(0.2)


# --- the well-behaved client -----------------------------------------------

class CurlLoop(threading.Thread):
    """curl fetching CURL_FILES again and again, each round byte-exact within
    its timeout; rounds are timestamped so each phase can count its own."""

    def __init__(self, toro_ip, tree, workdir, timeout=20):
        super().__init__(daemon=True)
        self.url = f"http://{toro_ip}"
        self.tree, self.workdir, self.timeout = tree, workdir, timeout
        self.rounds = []  # (start, end)
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def one_round(self):
        args = ["curl", "-sS", "--fail", "--max-time", str(self.timeout)]
        for name in CURL_FILES:
            args += ["-o", os.path.join(self.workdir, name), f"{self.url}/{name}"]
        for name in CURL_FILES:
            try:
                os.unlink(os.path.join(self.workdir, name))
            except FileNotFoundError:
                pass
        start = time.monotonic()
        result = subprocess.run(args, capture_output=True, text=True)
        end = time.monotonic()
        if not check(result.returncode == 0,
                     f"curl failed ({result.returncode}) after {end - start:.1f} s: {result.stderr.strip()}"):
            return
        for name in CURL_FILES:
            try:
                with open(os.path.join(self.tree, name), "rb") as want, \
                        open(os.path.join(self.workdir, name), "rb") as got:
                    same = want.read() == got.read()
            except OSError as error:
                check(False, f"curl: {name}: {error} (curl said {result.stderr.strip()!r})")
                return
            if not check(same, f"curl: {name} differs from the source file"):
                return
        with self.lock:
            self.rounds.append((start, end))

    def run(self):
        while not self.stopping.is_set():
            self.one_round()
            time.sleep(0.05)

    def rounds_within(self, start, end):
        with self.lock:
            return [r for r in self.rounds if r[0] >= start and r[1] <= end]

    def wait_round_after(self, moment, timeout=40):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(r[0] >= moment for r in self.rounds):
                    return True
            time.sleep(0.1)
        return False


def during_and_after(curl, name, start, end):
    during = curl.rounds_within(start, end + 1.0)
    after = curl.wait_round_after(end)
    check(during or end - start < 1.0, f"{name}: no curl round completed during it")
    check(after, f"{name}: no curl round completed after it")
    say(f"{name}: curl rounds byte-exact during it: {len(during)}, after it: {'yes' if after else 'no'}")


# --- HTTP over a kernel socket ----------------------------------------------

def http_get(sock, name, tree):
    """One keep-alive GET on `sock`; checks the body byte for byte."""
    try:
        sock.sendall(f"GET /{name} HTTP/1.1\r\nHost: toro\r\n\r\n".encode())
    except OSError as error:
        say(f"GET /{name}: {error}")
        return False
    return read_response(sock, name, tree)


def read_response(sock, name, tree):
    """The response to a GET of `name`: 200 and the file byte for byte. On
    a failure, says what came."""
    with open(os.path.join(tree, name), "rb") as f:
        want = f.read()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                say(f"GET /{name}: the connection ended after {len(data)} bytes of the head")
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        while len(body) < len(want):
            chunk = sock.recv(65536)
            if not chunk:
                say(f"GET /{name}: the connection ended after {len(body)} of {len(want)} bytes")
                return False
            body += chunk
    except OSError as error:
        say(f"GET /{name}: {error}")
        return False
    if not head.startswith(b"HTTP/1.1 200") or body != want:
        say(f"GET /{name}: {head.splitlines()[0]!r}, {len(body)} bytes, {'differ' if body != want else 'same'}")
        return False
    return True


def quiet_tuple(sniffer, sock):
    """Toro's RCV.NXT and SND.NXT on `sock`'s connection, from the last
    segment Toro sent on it, once the connection is quiet."""
    time.sleep(0.3)
    port = sock.getsockname()[1]
    segments = toro_segments(sniffer, 0, dport=port)
    _, last = segments[-1]
    _, _, _, _, seq, ack, flags, _, length = last
    return ack, seq + length + (1 if flags & FIN else 0)


# --- the phases ---------------------------------------------------------------

def syn_flood(env, count=20000, sources=4096):
    start = time.monotonic()
    mark = env.sniffer.mark()
    before = env.stats.read()
    frames = []
    for i in range(count):
        source = random.randrange(sources)
        ip = f"198.19.{source >> 8}.{source & 0xFF}"
        frames.append(env.segments.frame(ip, random.randrange(1024, 65536), HTTP_PORT,
                                         random.getrandbits(32), 0, SYN, 64240,
                                         options=b"\x02\x04\x05\xb4\x04\x02\x01\x03\x03\x07"))
    built = time.monotonic()
    # Unpaced (tens of thousands a second): once the backlog is full the
    # listener answers with SYN cookies (RFC 4987), keeping nothing, so a
    # real client's handshake completes however many flood SYNs come in
    # its round trip. (Without cookies, the oldest half-open connection
    # made room: curl was reset at this rate under ASan.)
    env.wire.send_all(frames, batch=16, pause=0)
    sent = time.monotonic()
    time.sleep(0.5)
    after = env.stats.read()
    synacks = [s for _, s in toro_segments(env.sniffer, mark)
               if s[1].startswith("198.19.") and s[6] & (SYN | ACK) == SYN | ACK]
    rate = count / (sent - built)
    say(f"syn flood: {count} SYNs from {sources} spoofed addresses and random ports in "
        f"{sent - built:.1f} s ({rate:,.0f}/s); Toro took {after['received'] - before['received']} frames, "
        f"answered {len(synacks)} SYN-ACKs; tcp_connections={after['tcp_connections']} "
        f"tcp_buffers={after['tcp_buffers']} of {after['tcp_buffer_limit']}; "
        f"SYN cookies sent {after['tcp_syn_cookies_sent'] - before['tcp_syn_cookies_sent']}")
    check(after["tcp_syn_cookies_sent"] > before["tcp_syn_cookies_sent"],
          "syn flood: a full backlog answered no SYN with a cookie")
    # The backlog (128) bounds the half-open connections: each took its buffers.
    check(after["tcp_connections"] <= env.baseline["tcp_connections"] + 128 + 8,
          f"syn flood: {after['tcp_connections']} connections held (backlog 128)")
    # A real client connects and is served while the backlog is full.
    with socket.create_connection((env.toro_ip, HTTP_PORT), timeout=10) as s:
        check(http_get(s, "small.bin", env.tree), "syn flood: a client's GET after the flood failed")
    end = time.monotonic()
    during_and_after(env.curl, "syn flood", start, end)
    return end


def rst_ack_floods(env, client):
    start = time.monotonic()
    local_ip, port = client.getsockname()
    env.note_forged(port)
    frame = env.segments.frame

    def flood(name, build):
        """Builds the frames from Toro's RCV.NXT and SND.NXT, sends them;
        returns Toro's answers on the connection, the seconds taken and the
        challenge ACKs the budget refused. Then a request: the webserver
        closes a keep-alive connection idle for 5 s, and it shows the
        connection survived."""
        rcv_nxt, snd_nxt = quiet_tuple(env.sniffer, client)
        frames = build(rcv_nxt, snd_nxt)
        before = env.stats.read()
        mark = env.sniffer.mark()
        t0 = time.monotonic()
        env.wire.send_all(frames, batch=64, pause=0.002)
        seconds = time.monotonic() - t0
        time.sleep(0.3)
        end = env.sniffer.mark()
        after = env.stats.read()
        answers = [s for _, s in toro_segments(env.sniffer, mark, dst_ip=local_ip, dport=port, until=end)]
        limited = after["tcp_challenge_acks_limited"] - before["tcp_challenge_acks_limited"]
        say(f"rst/ack: {len(frames)} {name} in {seconds:.2f} s ({len(frames) / seconds:,.0f}/s): "
            f"{len(answers)} answers, {limited} challenge ACKs refused by the budget")
        check(http_get(client, "small.bin", env.tree), f"rst/ack: after {name}, the connection no longer serves")
        return answers, seconds, limited

    def random_seq(flags, window=0, count=15000):
        return lambda rcv_nxt, snd_nxt: [
            frame(local_ip, port, HTTP_PORT, random.getrandbits(32), random.getrandbits(32) if flags & ACK else 0,
                  flags, window) for _ in range(count)]

    # Out of the window, or off RCV.NXT (§3.2), or acknowledging data
    # never sent (§5.2): none holds sequence space, so the connection
    # answers them at most once per 500 ms, and what it holds back takes
    # nothing from the challenge ACKs all connections share.
    quiet_floods = [
        ("RSTs with random sequence numbers", random_seq(RST)),
        ("RST+ACKs with random sequence and ACK numbers", random_seq(RST | ACK)),
        ("ACKs with random sequence and ACK numbers", random_seq(ACK, 502)),
        ("RSTs in the window, off RCV.NXT", lambda rcv_nxt, snd_nxt: [
            frame(local_ip, port, HTTP_PORT, rcv_nxt + random.randrange(1, 8000), 0, RST, 0)
            for _ in range(5000)]),
        ("ACKs of data never sent", lambda rcv_nxt, snd_nxt: [
            frame(local_ip, port, HTTP_PORT, rcv_nxt, snd_nxt + random.randrange(1 << 20, 1 << 30), ACK, 502)
            for _ in range(5000)]),
    ]
    for name, build in quiet_floods:
        answers, seconds, limited = flood(name, build)
        allowed = 2 * (int(seconds) + 2)
        check(len(answers) <= allowed, f"rst/ack: {name}: {len(answers)} answers, over one per 500 ms")
        check(limited == 0, f"rst/ack: {name}: {limited} challenge ACKs refused by the shared budget")
    # SYNs in a synchronized state hold sequence space: each draws a
    # challenge ACK (§4), in the window or not, from the budget: 1000 a
    # second, each second's drawn between 500 and 1500.
    challenges, seconds, limited = flood("SYNs at the connection's four-tuple", random_seq(SYN, 64240, 10000))
    budget = 1500 * (int(seconds) + 2)
    check(len(challenges) <= budget, f"rst/ack: {len(challenges)} challenge ACKs to SYNs, over the budget {budget}")
    check(len(challenges) + limited >= 10000 - 100,
          f"rst/ack: {len(challenges)} challenge ACKs and {limited} refused, of 10000 SYNs")
    resets = [s for _, s in toro_segments(env.sniffer, 0, dst_ip=local_ip, dport=port) if s[6] & RST]
    check(not resets, f"rst/ack: Toro reset the connection ({len(resets)} RSTs)")
    if not resets:
        say("rst/ack: Toro sent the connection no RST")
    if check(http_get(client, "64k.bin", env.tree), "rst/ack: the held connection no longer serves"):
        say("rst/ack: the held connection then served 64k.bin byte-exact")
    end = time.monotonic()
    during_and_after(env.curl, "rst/ack floods", start, end)


# Option lists, each malformed one way: (name, bytes, header words or None).
# A list is padded with zeros to a multiple of 4, so a truncated option
# must end the list at a multiple of 4 to stay truncated: padded, a cut
# "TS" would be a whole TSopt whose zero TSval PAWS takes as new when the
# peer's clock is past 2^31 (and then drops the peer's real segments).
def malformed_options(window_edge):
    sack_outside = struct.pack("!II", window_edge + 100000, window_edge + 200000)
    return [
        ("length 0", b"\x02\x00\x05\xb4", None),
        ("length 1", b"\x08\x01" + b"\x00" * 8, None),
        ("length past the header", b"\x01\x01\x03\x30\x07", None),
        ("MSS truncated", b"\x01\x01\x02\x04", None),
        ("MSS length 3", b"\x02\x03\x05\x01", None),
        ("MSS 0", b"\x02\x04\x00\x00", None),
        ("window scale truncated", b"\x01" * 6 + b"\x03\x03", None),
        ("window scale length 4", b"\x03\x04\x07\x00", None),
        ("window scale 15", b"\x01\x03\x03\x0f", None),
        ("window scale 255", b"\x01\x03\x03\xff", None),
        ("timestamps truncated", b"\x01\x01\x08\x0a\x00\x00\x00\x01", None),
        ("timestamps length 9", b"\x08\x09" + b"\x00" * 7, None),
        ("timestamps length 11", b"\x08\x0b" + b"\x00" * 9, None),
        ("SACK-permitted length 3", b"\x04\x03\x00", None),
        ("SACK length 9", b"\x05\x09" + b"\x00" * 7, None),
        ("SACK truncated", b"\x01\x01\x05\x0a" + b"\x00" * 4, None),
        ("SACK 5 blocks", b"\x05\x2a" + b"\x00" * 38, None),
        ("SACK blocks outside the window", b"\x01\x01\x05\x0a" + sack_outside, None),
        ("SACK block reversed", b"\x01\x01\x05\x0a" + struct.pack("!II", window_edge, window_edge - 1000), None),
        ("unknown kind, length 40", b"\xfe\x28" + b"\x00" * 38, None),
        ("unknown kind past 40", b"\xfe\xff" + b"\x00" * 38, None),
        ("data offset past the segment", b"\x02\x04\x05\xb4", 15),
        ("data offset below 5", b"", 4),
        ("only NOPs", b"\x01" * 40, None),
        ("EOL then garbage", b"\x00\xff\xff\xff\x02\x04", None),
    ]


def options_phase(env):
    start = time.monotonic()
    mark = env.sniffer.mark()
    cases = malformed_options(random.getrandbits(32))
    # SYNs from Linux's own address: Linux resets the SYN-ACKs (it has no
    # such socket), so the half-open connections go at once.
    ports = {}
    frames = []
    for i, (name, options, words) in enumerate(cases):
        for copy in range(4):
            port = 45000 + i * 4 + copy  # outside the namespace's ephemeral ports
            ports[port] = (name, words)
            frames.append(env.segments.frame(env.linux_ip, port, HTTP_PORT, random.getrandbits(32), 0, SYN,
                                             64240, options=options, header_words=words))
    env.wire.send_all(frames)
    time.sleep(1.0)
    answered = {s[3] for _, s in toro_segments(env.sniffer, mark, dst_ip=env.linux_ip)
                if s[6] & (SYN | ACK) == SYN | ACK and s[3] in ports}
    # A header that claims more than the segment holds, or less than 20
    # bytes, is dropped; every other SYN is a SYN whatever its options.
    dropped = [p for p, (_, words) in ports.items() if words is not None]
    missing = sorted({ports[p][0] for p in ports if p not in answered and p not in dropped})
    wrongly = sorted({ports[p][0] for p in dropped if p in answered})
    check(not missing, f"options: SYNs not answered: {missing}")
    check(not wrongly, f"options: SYNs with a bad data offset answered: {wrongly}")
    say(f"options: {len(frames)} SYNs with {len(cases)} malformed option lists: {len(answered)} answered "
        f"with a SYN-ACK, {len(dropped)} with a bad data offset dropped")
    # The same options on an established connection: pure ACKs at RCV.NXT.
    client = socket.create_connection((env.toro_ip, HTTP_PORT), timeout=10)
    check(http_get(client, "small.bin", env.tree), "options: a new connection's first GET failed")
    local_ip, port = client.getsockname()
    env.note_forged(port)
    rcv_nxt, snd_nxt = quiet_tuple(env.sniffer, client)
    mark = env.sniffer.mark()
    frames = [env.segments.frame(local_ip, port, HTTP_PORT, rcv_nxt, snd_nxt, ACK, 502, options=options,
                                 header_words=words)
              for name, options, words in malformed_options(snd_nxt) for _ in range(4)]
    env.wire.send_all(frames)
    time.sleep(0.3)
    resets = [s for _, s in toro_segments(env.sniffer, mark, dst_ip=local_ip, dport=port) if s[6] & RST]
    check(not resets, "options: Toro reset the established connection")
    if check(http_get(client, "1m.bin", env.tree), "options: the established connection no longer serves"):
        say(f"options: {len(frames)} ACKs with them on an established connection; it then served 1m.bin "
            "byte-exact")
    client.close()
    end = time.monotonic()
    during_and_after(env.curl, "malformed options", start, end)


def zero_window_reader(env, hold, results):
    """GET the big file with a small receive buffer, read nothing for `hold`
    seconds, then read it all (hold None: never read, expect a reset)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.settimeout(SEND_TIMEOUT + 20)
    s.connect((env.toro_ip, HTTP_PORT))
    port = s.getsockname()[1]
    s.sendall(f"GET /{BIG_FILE} HTTP/1.1\r\nHost: toro\r\n\r\n".encode())
    if hold is None:
        results["never_port"] = port
        time.sleep(SEND_TIMEOUT + 6)
        results["never_socket"] = s  # closed at the end, after the baseline
        return
    time.sleep(hold)
    s.settimeout(20)
    results["held_ok"] = read_response(s, BIG_FILE, env.tree)
    results["held_port"] = port
    s.close()


def vanishing_peer(env, results):
    subprocess.run(["ip", "addr", "add", f"{VANISHING_IP}/24", "dev", env.iface], check=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((VANISHING_IP, 0))
    s.settimeout(10)
    s.connect((env.toro_ip, HTTP_PORT))
    s.sendall(f"GET /{BIG_FILE} HTTP/1.1\r\nHost: toro\r\n\r\n".encode())
    got = 0
    while got < 256 * 1024:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    subprocess.run(["ip", "addr", "del", f"{VANISHING_IP}/24", "dev", env.iface], check=True)
    results["vanished_at"] = time.monotonic()
    results["vanished_got"] = got
    results["vanished_socket"] = s  # never read again; closed at the very end


def slowloris(env, count, results):
    head = b"GET /small.bin HTTP/1.1\r\nHost: toro\r\nUser-Agent: " + b"s" * 200
    sockets = []
    for _ in range(count):
        s = socket.create_connection((env.toro_ip, HTTP_PORT), timeout=10)
        s.setblocking(False)
        sockets.append(s)
    start = time.monotonic()
    answers = {}
    sent = 0
    while len(answers) < count and time.monotonic() < start + HEAD_TIMEOUT + 15:
        for i, s in enumerate(sockets):
            if i in answers:
                continue
            try:
                data = s.recv(4096)
                answers[i] = (time.monotonic() - start, data)
                continue
            except BlockingIOError:
                pass
            except OSError as error:
                answers[i] = (time.monotonic() - start, f"error {error}".encode())
                continue
            if sent < len(head):
                try:
                    s.send(head[sent:sent + 1])
                except OSError:
                    pass
        sent += 1
        time.sleep(1.0)
    for s in sockets:
        s.close()
    results["slowloris"] = answers
    results["slowloris_bytes"] = min(sent, len(head))


def slow_phases(env):
    """Zero windows, a vanishing peer and slowloris, side by side."""
    start = time.monotonic()
    mark = env.sniffer.mark()
    results = {}
    threads = [threading.Thread(target=zero_window_reader, args=(env, 8.0, results)),
               threading.Thread(target=zero_window_reader, args=(env, None, results)),
               threading.Thread(target=vanishing_peer, args=(env, results)),
               threading.Thread(target=slowloris, args=(env, 32, results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = time.monotonic()
    # Zero window held 8 s, then read: byte-exact, after window probes.
    check(results.get("held_ok"), "zero window: the big file after an 8 s hold did not come whole")
    probes = [s for _, s in toro_segments(env.sniffer, mark, dport=results.get("held_port"))]
    say(f"zero window: held 8 s on {BIG_FILE}, then read byte-exact ({len(probes)} segments from Toro)")
    never = results.get("never_port")
    resets = [(t, s) for t, s in toro_segments(env.sniffer, mark, dport=never) if s[6] & RST]
    check(resets, "zero window: the client that never reads was not reset")
    if resets:
        say(f"zero window: the client that never reads was reset {resets[0][0] - start:.1f} s after it asked")
    # The vanished peer: Toro retransmitted into silence, then reset it.
    vanished = [(t, s) for t, s in toro_segments(env.sniffer, mark, dst_ip=VANISHING_IP)
                if t > results["vanished_at"]]
    retransmissions = [s for _, s in vanished if s[8] > 0]
    vanished_resets = [t for t, s in vanished if s[6] & RST]
    check(vanished_resets, "vanish: Toro never gave the vanished peer up")
    say(f"vanish: peer gone after {results['vanished_got']} bytes; Toro sent {len(retransmissions)} data "
        f"segments into the silence, then a RST after "
        f"{(vanished_resets[0] - results['vanished_at']) if vanished_resets else float('nan'):.1f} s")
    # Slowloris: every connection told 408 once the head's 30 s ran out.
    answers = results["slowloris"]
    late = [a for a in answers.values() if not a[1].startswith(b"HTTP/1.1 408")]
    check(len(answers) == 32 and not late,
          f"slowloris: {len(answers)} of 32 answered, {len(late)} not with 408: {late[:2]}")
    times = sorted(a[0] for a in answers.values())
    if times:
        say(f"slowloris: 32 connections sending a byte a second ({results['slowloris_bytes']} bytes each): "
            f"408 after {times[0]:.1f} to {times[-1]:.1f} s")
        check(times[0] >= HEAD_TIMEOUT - 2, f"slowloris: 408 after {times[0]:.1f} s, before the head timeout")
    during_and_after(env.curl, "zero window, vanish, slowloris", start, end)
    return results


def wait_for_baseline(env, flood_end):
    """TCP buffers, connections not in TIME-WAIT and the pool as at the
    start; the flood's half-open connections go after their retries."""
    deadline = max(time.monotonic() + 15, flood_end + HALF_OPEN_LIFETIME + 15)
    base = env.baseline

    def back(figures):
        return (figures["tcp_buffers"] == base["tcp_buffers"] and
                figures["tcp_connections"] - figures["tcp_time_wait"] ==
                base["tcp_connections"] - base["tcp_time_wait"] and
                figures["pool_in_use"] <= base["pool_in_use"])

    figures = env.stats.read()
    while not back(figures) and time.monotonic() < deadline:
        time.sleep(1.0)
        figures = env.stats.read()
    say("after: " + " ".join(f"{k}={figures[k]}" for k in
                             ("pool_in_use", "tcp_connections", "tcp_time_wait", "tcp_buffers",
                              "tcp_retry_timeouts", "tcp_challenge_acks_limited", "tcp_resets_sent")))
    check(back(figures), "memory not back at its baseline")
    if back(figures):
        say(f"back at the baseline {time.monotonic() - flood_end:.0f} s after the SYN flood")


class Environment:
    def __init__(self):
        self.forged_ports = []  # the client ports of the connections segments were forged on

    def note_forged(self, port):
        self.forged_ports.append(port)
        with open(os.path.join(os.environ.get("WORK", "/tmp"), "forged_ports"), "w") as f:
            f.write(" ".join(str(p) for p in self.forged_ports) + "\n")


def main():
    global SEND_TIMEOUT, HEAD_TIMEOUT
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    env = Environment()
    env.iface, toro_mac, env.toro_ip, env.linux_ip, env.tree, stats_port = sys.argv[1:7]
    SEND_TIMEOUT = HEAD_TIMEOUT = float(sys.argv[7])
    with open(f"/sys/class/net/{env.iface}/address") as f:
        linux_mac = f.read().strip()
    env.segments = Segments(toro_mac, linux_mac, env.toro_ip)
    env.wire = Wire(env.iface)
    env.sniffer = Sniffer(env.iface, toro_mac)
    env.sniffer.start()
    env.stats = Stats(env.toro_ip, int(stats_port))
    env.baseline = env.stats.read()
    if env.baseline is None:
        print("FAIL: the webserver's stats port did not answer")
        return 1
    say("baseline: " + " ".join(f"{k}={v}" for k, v in env.baseline.items()))
    watcher = Watcher(env.stats)
    watcher.start()
    workdir = os.path.join(os.environ.get("WORK", "/tmp"), "curl")
    os.makedirs(workdir, exist_ok=True)
    env.curl = CurlLoop(env.toro_ip, env.tree, workdir)
    env.curl.start()
    time.sleep(1.0)
    flood_end = syn_flood(env)
    # The webserver closes a keep-alive connection idle for 5 s: each phase
    # on an established connection opens its own.
    client = socket.create_connection((env.toro_ip, HTTP_PORT), timeout=10)
    check(http_get(client, "small.bin", env.tree), "the held connection's first GET failed")
    rst_ack_floods(env, client)
    client.close()
    options_phase(env)
    results = slow_phases(env)
    env.curl.stopping.set()
    env.curl.join()
    wait_for_baseline(env, flood_end)
    watcher.stopping.set()
    watcher.join()
    for key in ("never_socket", "vanished_socket"):
        if key in results:
            results[key].close()
    say(f"peaks over {watcher.samples} samples ({watcher.unanswered} unanswered): " +
        " ".join(f"{k}={v}" for k, v in watcher.peak.items()) +
        f" (tcp_buffer_limit={env.baseline['tcp_buffer_limit']} pool={env.baseline['pool']})")
    say(f"curl: {len(env.curl.rounds)} rounds of {len(CURL_FILES)} files byte-exact; "
        f"sent {env.wire.sent} frames ({env.wire.refused} refused by Linux)")
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
