#!/usr/bin/env python3
"""Sends UDP datagrams of the given sizes to an echo service and checks that
each comes back byte-exact. A lost datagram (or its echo) is sent again, up
to --tries times, so the same client serves links with injected faults.

usage: udp_echo_client.py HOST PORT [--sizes SPEC] [--tries N] [--timeout S]
SPEC: 'edges' (every size 1-2000, both sides of each fragment boundary up
to 65507, 200 seeded random sizes, and 65507) or a comma list of sizes.
"""
import argparse
import random
import socket
import sys

MAX_UDP = 65507


def edge_sizes():
    sizes = set(range(1, 2001))
    for boundary in range(1472, MAX_UDP, 1480):  # 1480 IP payload bytes per fragment, less UDP's 8
        sizes.update({boundary - 1, boundary, boundary + 1})
    rng = random.Random(7)
    sizes.update(rng.randint(1, MAX_UDP) for _ in range(200))
    sizes.add(MAX_UDP)
    return sorted(s for s in sizes if 1 <= s <= MAX_UDP)


def payload(size, salt):
    rng = random.Random(size * 1000003 + salt)
    return bytes(rng.getrandbits(8) for _ in range(size))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--sizes", default="edges")
    parser.add_argument("--tries", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    sizes = edge_sizes() if args.sizes == "edges" else [int(s) for s in args.sizes.split(",")]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.settimeout(args.timeout)
    retries = 0
    for index, size in enumerate(sizes):
        data = payload(size, index)
        for attempt in range(args.tries):
            sock.sendto(data, (args.host, args.port))
            try:
                while True:  # a late echo of an earlier try may arrive first
                    reply, _ = sock.recvfrom(MAX_UDP + 1)
                    if reply == data:
                        break
                    if len(reply) == size:
                        print(f"FAIL: {size} bytes came back different", file=sys.stderr)
                        return 1
                break
            except socket.timeout:
                retries += 1
        else:
            print(f"FAIL: no echo of {size} bytes after {args.tries} tries", file=sys.stderr)
            return 1
    print(f"udp echo: {len(sizes)} datagrams of 1 to {max(sizes)} bytes byte-exact ({retries} retries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
