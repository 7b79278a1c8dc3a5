#!/usr/bin/env python3
"""Writes seed inputs for tcp_pair_fuzz (format in tcp_pair.cpp) into DIR:
a clean exchange at several sizes, then lost, duplicated, reordered,
corrupted, cut, forged and CE-marked (ECN) frames, a stalled clock, and a
run of losses long enough for the retries to run out.

usage: make_tcp_pair_seeds.py DIR
"""
import os
import sys

DELIVER, DROP, DUPLICATE, DELAY = 0, 3, 4, 5


def mutate(how, where):
    return bytes([6, how, where])


def wait(ticks=0):
    """The clock moves on ticks * 4 ms, or to the next timer when 0."""
    return bytes([7, ticks])


def on(frame, action):
    """action on the frame'th frame in flight."""
    return bytes([frame << 3 | action])


def header(seed, client_size, server_size):
    return bytes([seed, client_size, server_size])


SEEDS = {
    "handshake_only": header(1, 0, 0),
    "small": header(2, 16, 16),
    "medium": header(3, 64, 40),
    "bulk": header(4, 255, 255),
    "lost_syn": header(5, 20, 20) + on(0, DROP) + wait() + on(0, DROP) + wait(),
    "losses": header(6, 80, 30) + (on(0, DELIVER) * 6 + on(1, DROP)) * 12,
    "duplicates": header(7, 60, 60) + (on(0, DUPLICATE) + on(0, DELIVER)) * 20,
    "reorder": header(8, 90, 10) + (on(0, DELAY) + on(1, DELIVER) + on(0, DELIVER)) * 15,
    "syn_cookies": header(16 | 1, 100, 50) + (on(0, DELIVER) * 5 + on(0, DUPLICATE) + on(1, DROP)) * 8,
    "congestion_marks": header(8 | 2, 120, 60) + (on(0, DELIVER) * 3 + mutate(0x00, 1)) * 12,
    "flips": header(9, 50, 50) + (on(0, DELIVER) * 4 + mutate(0x10, 30) + mutate(0x41, 200)) * 6,
    "cuts": header(10, 50, 50) + (on(0, DELIVER) * 5 + mutate(0x02, 128)) * 6,
    "forged_flags": header(11, 40, 40) + on(0, DELIVER) * 8 + mutate(0x0F, 13),
    "slow_clock": header(12, 64, 64) + (on(0, DELIVER) * 3 + wait(50)) * 10,
    "retries_run_out": header(13, 30, 0) + on(0, DELIVER) * 6 + (on(0, DROP) + wait()) * 40,
    # Found by the fuzzer (CI, session 18): SYN-ACKs and ARP replies lost
    # until the server's SYN-ACK RTO was backed off to 32 s and the
    # client's first data lost; the client waited its backed-off 60 s RTO
    # and the server's half-open connection gave up first. RFC 6298 §5.7's
    # 3 s after a lossy handshake lets it complete.
    "lossy_handshake": bytes.fromhex("0d1efeffffff0affff7f8e00f80007070300030300030700030100d3030700031700030700030700c3c3c303070004ff804cf39ac3de944703"),
}


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data)


main()
