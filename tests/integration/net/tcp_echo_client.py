#!/usr/bin/env python3
"""Linux's TCP against Toro's echo and discard services.

tcp_echo_client.py HOST: streams of edge sizes echoed byte-exact (each on
its own connection, the client's FIN answered with Toro's), eight
connections at once, 4 MiB into discard, and a closed port refused.
Exit status 1 with a FAIL line at the first mismatch."""
import os
import socket
import sys
import threading

HOST = sys.argv[1]
SIZES = [1, 2, 1460, 1461, 65535, 65536, 200_000, 1024 * 1024 + 3]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def echo_once(size, seed):
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    data = bytes((b + seed) & 0xFF for b in data) if seed else data
    connection = socket.create_connection((HOST, 7), timeout=20)
    received = bytearray()
    def reader():
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return
            received.extend(chunk)
    thread = threading.Thread(target=reader)
    thread.start()
    connection.sendall(data)
    connection.shutdown(socket.SHUT_WR)
    thread.join(30)
    if thread.is_alive():
        fail(f"echo of {size} bytes: no end of stream after {len(received)} bytes")
    connection.close()
    if bytes(received) != data:
        first = next((i for i, (a, b) in enumerate(zip(received, data)) if a != b), min(len(received), len(data)))
        fail(f"echo of {size} bytes: got {len(received)} bytes, first difference at {first}")


for size in SIZES:
    echo_once(size, 0)
print(f"echo: {len(SIZES)} sizes from 1 to {max(SIZES)} bytes, byte-exact")

errors = []
def worker(index):
    try:
        echo_once(256 * 1024, index)
    except (OSError, SystemExit) as error:
        errors.append(f"connection {index}: {error!r}")
threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(60)
if errors or any(thread.is_alive() for thread in threads):
    fail("parallel echo: " + "; ".join(errors or ["a connection hung"]))
print("echo: 8 connections of 256 KiB at once, byte-exact")

discard = socket.create_connection((HOST, 9), timeout=20)
discard.sendall(os.urandom(4 * 1024 * 1024))
discard.shutdown(socket.SHUT_WR)
if discard.recv(10) != b"":
    fail("discard answered with data")
discard.close()
print("discard: 4 MiB taken, then the end of stream")

try:
    socket.create_connection((HOST, 4444), timeout=5)
    fail("a closed port accepted")
except ConnectionRefusedError:
    print("closed port: refused (RST)")
