#!/usr/bin/env python3
"""Writes the site's large file: 5 MiB + 3 bytes (so its end is no chunk's
or block's boundary) of a pattern in which every 8-byte group is its own
offset, so a misplaced chunk shows where it came from."""
import struct
import sys

SIZE = 5 * 1024 * 1024 + 3

def main():
    data = b"".join(struct.pack("<Q", offset) for offset in range(0, SIZE + 8, 8))
    with open(sys.argv[1], "wb") as out:
        out.write(data[:SIZE])

if __name__ == "__main__":
    main()
