#!/usr/bin/env python3
"""The byte stream fstool's `write` and `append` produce.

    splitmix64.py SIZE SEED    writes SIZE bytes to stdout

The stream is splitmix64 seeded with SEED: each 64-bit output is stored
little-endian and the last one is cut to fit SIZE. SEED may be decimal or
0x-prefixed hexadecimal. Importable: `splitmix64.stream(size, seed)`.
"""
import struct
import sys

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def stream(size, seed):
    """Returns SIZE bytes of the splitmix64 stream seeded with SEED."""
    state = seed & MASK
    words = []
    for _ in range((size + 7) // 8):
        state = (state + GAMMA) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        words.append(z ^ (z >> 31))
    return struct.pack("<%dQ" % len(words), *words)[:size]


def chunks(size, seed, chunk=1 << 20):
    """Yields the SIZE-byte stream in pieces of CHUNK bytes (a multiple of
    8, so each piece starts where the previous one's state left off)."""
    done = 0
    while done < size:
        n = min(chunk, size - done)
        yield stream(n, seed + GAMMA * (done // 8))
        done += n


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: splitmix64.py SIZE SEED")
    size, seed = int(sys.argv[1], 0), int(sys.argv[2], 0)
    for piece in chunks(size, seed):
        sys.stdout.buffer.write(piece)


if __name__ == "__main__":
    main()
