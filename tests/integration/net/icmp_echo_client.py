#!/usr/bin/env python3
"""Pings HOST with COUNT echo requests of SIZE bytes each, over a raw socket
(root), and checks that every one is answered with its own payload, byte
for byte. A request whose reply does not come within --timeout is sent
again, up to --tries times: the client for links with injected faults.

usage: icmp_echo_client.py HOST COUNT SIZE [--tries N] [--timeout S]
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def request(identifier, sequence, payload):
    header = struct.pack("!BBHHH", 8, 0, 0, identifier, sequence)
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), identifier, sequence) + payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("count", type=int)
    parser.add_argument("size", type=int)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=0.3)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    identifier = os.getpid() & 0xFFFF
    rng = random.Random(11)
    retries = 0
    for sequence in range(args.count):
        payload = bytes(rng.getrandbits(8) for _ in range(args.size))
        answered = False
        for _ in range(args.tries):
            sock.sendto(request(identifier, sequence, payload), (args.host, 0))
            deadline = time.monotonic() + args.timeout
            while not answered and time.monotonic() < deadline:
                ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                packet, _ = sock.recvfrom(70000)
                icmp = packet[(packet[0] & 0x0F) * 4:]
                kind, _, _, got_id, got_sequence = struct.unpack("!BBHHH", icmp[:8])
                if kind != 0 or got_id != identifier or got_sequence != sequence:
                    continue  # our own request, a duplicate, or a late reply
                if checksum(icmp) != 0:
                    continue  # damaged on the way: as good as lost
                if icmp[8:] != payload:
                    print(f"FAIL: echo {sequence} came back different", file=sys.stderr)
                    return 1
                answered = True
            if answered:
                break
            retries += 1
        if not answered:
            print(f"FAIL: echo {sequence} unanswered after {args.tries} tries", file=sys.stderr)
            return 1
    print(f"icmp echo: {args.count} of {args.size} bytes answered byte-exact ({retries} retries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
