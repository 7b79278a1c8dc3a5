#!/usr/bin/env python3
"""Host side of the disk tests: makes images and checks what disktest
(apps/disktest) reports or wrote, with the same checksum and pattern.

  disk_image.py make PATH MIB SEED           random bytes from SEED
  disk_image.py fnv PATH FIRST COUNT         FNV-1a 64 of sectors, hex
  disk_image.py pattern PATH FIRST COUNT SEED  exit 0 if the sectors hold
                                             disktest's write pattern
"""
import random
import struct
import sys

SECTOR = 512
MASK = (1 << 64) - 1


def fnv1a(data, value=0xCBF29CE484222325):
    prime = 0x100000001B3
    for byte in data:
        value = ((value ^ byte) * prime) & MASK
    return value


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def pattern(sector, seed):
    """disktest's fill_pattern: word k of a sector is
    splitmix64(seed << 40 + sector * 64 + k), little-endian."""
    words = SECTOR // 8
    base = ((seed << 40) + sector * words) & MASK
    return struct.pack("<%dQ" % words, *(splitmix64((base + k) & MASK) for k in range(words)))


def read_sectors(path, first, count):
    with open(path, "rb") as image:
        image.seek(first * SECTOR)
        data = image.read(count * SECTOR)
    if len(data) != count * SECTOR:
        sys.exit("%s: sectors %d+%d are past the end" % (path, first, count))
    return data


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "make" and len(argv) == 5:
        path, mib, seed = argv[2], int(argv[3]), int(argv[4])
        with open(path, "wb") as image:
            image.write(random.Random(seed).randbytes(mib << 20))
    elif command == "fnv" and len(argv) == 5:
        print("%016x" % fnv1a(read_sectors(argv[2], int(argv[3]), int(argv[4]))))
    elif command == "pattern" and len(argv) == 6:
        path, first, count, seed = argv[2], int(argv[3]), int(argv[4]), int(argv[5])
        data = read_sectors(path, first, count)
        for i in range(count):
            if data[i * SECTOR:(i + 1) * SECTOR] != pattern(first + i, seed):
                sys.exit("%s: sector %d does not hold the pattern of seed %d"
                         % (path, first + i, seed))
        print("pattern ok: %d+%d seed %d" % (first, count, seed))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
