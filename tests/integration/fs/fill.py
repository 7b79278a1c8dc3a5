#!/usr/bin/env python3
"""Writes deterministic pseudo-random bytes into files; make_tree.sh's helper.

Reads jobs from stdin, one a line:  SIZE OFFSET LENGTH SEED PATH
Each job opens PATH (creating it, never truncating), writes LENGTH bytes of
SHAKE-256(SEED) at OFFSET, then sets the file's size to SIZE (so a job past
the last write leaves a hole at the end). PATH is the rest of the line, raw
bytes, spaces allowed. SHAKE-256 is used, not splitmix64, because it is fast
in plain Python and a tree holds tens of MiB.
"""
import hashlib
import os
import sys


def main():
    for line in sys.stdin.buffer:
        size, offset, length, seed, path = line.rstrip(b"\n").split(b" ", 4)
        data = hashlib.shake_256(b"toro-fs-" + seed).digest(int(length))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, data, int(offset))
            os.ftruncate(fd, int(size))
        finally:
            os.close(fd)


if __name__ == "__main__":
    main()
