#!/usr/bin/env python3
"""Writes seed inputs for tcp_connection_fuzz (record format in
tcp_connection_fuzz.cpp) into DIR: data each way with ACKs, a lost segment
answered by duplicate ACKs, a zero window and its opening, out-of-order and
old segments, RST and SYN in the window, the peer's FIN, and closes.

usage: make_tcp_seeds.py DIR
"""
import os
import struct
import sys

FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def segment(flags, seq=0, ack=0, window=16384, options=b"", length=0):
    return (bytes([0, flags]) + struct.pack("!hhH", seq, ack, window) + bytes([len(options)]) + options +
            struct.pack("!H", length))


def advance(ms):
    return bytes([1]) + struct.pack("!H", ms)


def send(length):
    return bytes([2]) + struct.pack("!H", length)


def receive(length):
    return bytes([3]) + struct.pack("!H", length)


SHUTDOWN = bytes([4])

SEEDS = {
    "exchange": send(3000) + segment(ACK, ack=0) + segment(ACK | PSH, length=1000) + receive(4096) +
                advance(50) + segment(ACK, ack=0),
    "lost_segment": send(8000) + segment(ACK, ack=-8000 + 1460) + segment(ACK, ack=-8000 + 1460) +
                    segment(ACK, ack=-8000 + 1460) + segment(ACK, ack=-8000 + 1460) + segment(ACK, ack=0),
    "timeouts": send(2000) + advance(1000) + advance(2000) + advance(4000) + segment(ACK, ack=0),
    "zero_window": segment(ACK, window=0) + send(5000) + advance(1000) + advance(2000) +
                   segment(ACK, window=100) + segment(ACK, ack=0, window=200),
    "reorder": segment(ACK, seq=1460, length=1460) + segment(ACK, seq=0, length=1460) + receive(4000) +
               segment(ACK, seq=-500, length=1000) + receive(4000),
    "rst_and_syn": segment(RST, seq=100) + segment(SYN, seq=5) + segment(RST, seq=0),
    "peer_closes": segment(ACK | FIN, length=10) + receive(100) + receive(100) + SHUTDOWN + advance(100) +
                   segment(ACK, seq=11, ack=0),
    "we_close": send(100) + SHUTDOWN + segment(ACK, ack=0) + segment(ACK | FIN, ack=0) + advance(60000),
    "options": segment(ACK, options=bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0])),
    "fill_buffer": b"".join(segment(ACK, seq=1460 * i, length=1460) for i in range(22)) + receive(65535),
}


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data)


main()
