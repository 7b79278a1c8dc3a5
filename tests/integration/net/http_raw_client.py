#!/usr/bin/env python3
"""Raw HTTP/1.1 exchanges with apps/webserver, for what curl will not send:
HEAD answered with no body, pipelined requests in one segment, HTTP/1.0
closing, malformed and oversized heads, escape attempts, a client that
stops mid-request (408), one that stops reading (reset after the send
timeout, while others are still served), 128 connections at once and a
129th turned away. Usage: http_raw_client.py HOST TREE STATS_PORT
SEND_TIMEOUT, TREE the directory the served files came from, STATS_PORT
and SEND_TIMEOUT the webserver's --stats-port and --send-timeout. Each
check prints one line; the first failure exits 1."""
import socket
import sys
import threading
import time

HOST = sys.argv[1]
PORT = 80
STATS_PORT = int(sys.argv[3])
SEND_TIMEOUT = int(sys.argv[4])
STATS_CLIENT_PORT = 9997  # a fixed port: tshark guesses no protocol for it


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def exchange(data, timeout=5.0):
    """Sends data, reads until the server closes; returns (bytes, seconds)."""
    start = time.monotonic()
    with socket.create_connection((HOST, PORT), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                fail("no close within %.0f s after %r" % (timeout, data[:60]))
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - start


def responses(data):
    """Splits a byte stream of responses into (status, headers, body)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            fail("a response head without its end: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        is_head = getattr(responses, "head_only", set())
        body_length = 0 if len(out) in is_head else length
        out.append((status, headers, rest[:body_length]))
        data = rest[body_length:]
    return out


def expect_status(name, request, status, **kwargs):
    data, _ = exchange(request, **kwargs)
    got = responses(data)
    if len(got) != 1 or got[0][0] != status:
        fail("%s: wanted one %d, got %r" % (name, status, data[:300]))
    if got[0][1].get("connection") != "close":
        fail("%s: an error response must say Connection: close" % name)
    print("%s: %d" % (name, status))
    return got[0]


def check_head_has_no_body():
    responses.head_only = {0}
    data, _ = exchange(b"HEAD /one.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    got = responses(data)
    responses.head_only = set()
    status, headers, _ = got[0]
    if len(got) != 1 or status != 200 or headers["content-length"] != "1":
        fail("HEAD /one.bin: %r" % data)
    if not data.endswith(b"\r\n\r\n"):
        fail("HEAD /one.bin carried a body: %r" % data)
    print("HEAD: Content-Length 1, no body")


def check_pipelined(files):
    """Five requests in one send, the last closing: five responses in order."""
    names = ["one.bin", "nope", "sub/", "1460.bin", "empty.bin"]
    request = b"".join(b"GET /%s HTTP/1.1\r\nHost: t\r\n\r\n" % n.encode() for n in names[:-1])
    request += b"GET /empty.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    data, _ = exchange(request)
    got = responses(data)
    wanted = [(200, files["one.bin"]), (404, None), (200, files["sub/index.html"]),
              (200, files["1460.bin"]), (200, b"")]
    if len(got) != len(wanted):
        fail("pipelined: %d responses for %d requests" % (len(got), len(wanted)))
    for (status, _, body), (want_status, want_body) in zip(got, wanted):
        if status != want_status or (want_body is not None and body != want_body):
            fail("pipelined: got %d %r" % (status, body[:40]))
    print("pipelined: %d requests in one segment answered in order" % len(wanted))


def check_http10_closes():
    data, _ = exchange(b"GET /one.bin HTTP/1.0\r\n\r\n")
    got = responses(data)
    if len(got) != 1 or got[0][1].get("connection") != "close":
        fail("HTTP/1.0 without keep-alive: %r" % data)
    # With keep-alive asked, the connection stays: a second request on it works.
    with socket.create_connection((HOST, PORT), timeout=5) as s:
        for _ in range(2):
            s.sendall(b"GET /one.bin HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            reply = s.recv(4096)
            if b"Connection: keep-alive" not in reply:
                fail("HTTP/1.0 keep-alive: %r" % reply)
    print("HTTP/1.0: closes, unless keep-alive was asked")


def check_errors():
    _, headers, _ = expect_status(
        "DELETE", b"DELETE /one.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405)
    if headers.get("allow") != "GET, HEAD":
        fail("405 without Allow: GET, HEAD")
    expect_status("no Host", b"GET / HTTP/1.1\r\n\r\n", 400)
    expect_status("header without colon", b"GET / HTTP/1.1\r\nHost: t\r\nBroken\r\n\r\n", 400)
    expect_status("bad escape", b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400)
    expect_status("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505)
    expect_status("request line of 9 KiB", b"GET /" + b"a" * 9216 + b" HTTP/1.1\r\n\r\n", 414)
    expect_status("head of 9 KiB", b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X: y\r\n" * 1536 + b"\r\n",
                  431)
    for target in [b"/../secret.txt", b"/%2e%2e/secret.txt", b"/sub/../../secret.txt",
                   b"/..%2Fsecret.txt", b"/%2E%2E%2Fsecret.txt", b"/secret.txt%00.html"]:
        expect_status("escape " + target.decode(),
                      b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n", 400)
    _, _, body = expect_status("link out of the root",
                               b"GET /escape HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 403)
    if b"secret" in body:
        fail("the secret leaked")


def check_timeout():
    """A request begun and never finished: 408 after about 10 s."""
    data, seconds = exchange(b"GET /one.bin HTTP/1.1\r\nHost:", timeout=20)
    got = responses(data)
    if len(got) != 1 or got[0][0] != 408 or not 9 <= seconds <= 13:
        fail("mid-request silence: %r after %.1f s" % (data, seconds))
    print("mid-request silence: 408 after %.1f s" % seconds)
    # An idle keep-alive connection is closed, with no response, after ~5 s.
    data, seconds = exchange(b"", timeout=20)
    if data or not 4 <= seconds <= 8:
        fail("idle connection: %r after %.1f s" % (data, seconds))
    print("idle connection: closed after %.1f s" % seconds)


def open_connections():
    """Connections the server holds, from its stats port: those not closed
    and not in TIME-WAIT (each has a thread, or is about to be accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("", STATS_CLIENT_PORT))
        s.settimeout(0.5)
        for _ in range(20):
            s.sendto(b"stats", (HOST, STATS_PORT))
            try:
                line = s.recv(1024).decode()
            except socket.timeout:
                continue
            figures = {k: int(v) for k, v in (w.split("=") for w in line.split())}
            return figures["tcp_connections"] - figures["tcp_time_wait"]
    fail("the stats port did not answer")


def wait_for_open_connections(count, what):
    deadline = time.monotonic() + 20
    while open_connections() != count:
        if time.monotonic() > deadline:
            fail("%s: %d connections open, not %d" % (what, open_connections(), count))
        time.sleep(0.05)


def check_too_many():
    """128 connections open at once (the server's bound) are all served;
    the 129th is told 503 and closed. The earlier checks' connections must
    be gone first (their threads count against the bound), and the 128
    established before the 129th comes: the server accepts in order, so
    the 129th then finds all 128 threads taken, however slow the host."""
    wait_for_open_connections(0, "before 128 at once")
    time.sleep(0.2)  # a thread ends just after its connection is closed
    held = [socket.create_connection((HOST, PORT), timeout=5) for _ in range(128)]
    wait_for_open_connections(128, "128 at once")
    data, _ = exchange(b"")
    if not data.startswith(b"HTTP/1.1 503 "):
        fail("the 129th connection: %r" % data[:100])
    for s in held:
        s.sendall(b"GET /one.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    for s in held:
        reply = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        if not reply.startswith(b"HTTP/1.1 200 "):
            fail("one of 128 connections at once: %r" % reply[:100])
        s.close()
    print("128 connections at once served; the 129th: 503")


def check_stalled_reader(result):
    """Asks for 5 MiB and reads nothing: after the server's send timeout
    the connection must end (a reset), short of the whole body."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(60)
    s.connect((HOST, PORT))
    s.sendall(b"GET /5242883.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(SEND_TIMEOUT + 6)
    received, ended = 0, False
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                ended = True
                break
            received += len(chunk)
    except ConnectionResetError:
        ended = True
    except socket.timeout:
        pass
    s.close()
    result.append((ended, received))


def main():
    files = {}
    for name in ["one.bin", "1460.bin", "sub/index.html"]:
        with open(sys.argv[2] + "/" + name, "rb") as f:
            files[name] = f.read()
    check_head_has_no_body()
    check_pipelined(files)
    check_http10_closes()
    check_errors()
    check_too_many()
    stalled = []
    stall = threading.Thread(target=check_stalled_reader, args=(stalled,))
    stall.start()
    check_timeout()  # served meanwhile: one stalled reader holds only its own thread
    stall.join()
    ended, received = stalled[0]
    if not ended or received >= 5242883:
        fail("a reader that stopped: ended=%s after %d bytes" % (ended, received))
    print("a reader that stopped: reset after %d bytes" % received)


if __name__ == "__main__":
    main()
