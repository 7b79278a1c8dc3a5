#!/usr/bin/env python3
"""Estimates the ext2 image that holds a directory; make_image.sh's helper.

    image_size.py DIR BLOCK_SIZE INODE_SIZE   prints "KIB INODES"

Counts what ext2 needs for DIR: the data blocks files really hold (holes
found with SEEK_DATA/SEEK_HOLE are free), their indirect blocks, directory
blocks packed the way ext2 packs entries (8 bytes + the name rounded to 4),
slow symlink blocks, lost+found, and the inode tables, plus a margin for
group metadata. make_image.sh grows the image if mke2fs still runs out.
"""
import os
import stat
import sys


def data_blocks(path, size, block):
    """The set of BLOCK-sized file blocks holding data in PATH."""
    blocks = set()
    fd = os.open(path, os.O_RDONLY)
    try:
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            blocks.update(range(start // block, (end - 1) // block + 1))
            offset = end
    finally:
        os.close(fd)
    return blocks


def indirect_blocks(blocks, block):
    """How many indirect blocks map the file blocks BLOCKS."""
    per = block // 4
    needed = set()
    for n in blocks:
        n -= 12
        if n < 0:
            continue
        if n < per:
            needed.add(("single",))
            continue
        n -= per
        if n < per * per:
            needed.update({("double",), ("double", n // per)})
            continue
        n -= per * per
        needed.update({("triple",), ("triple", n // (per * per)),
                       ("triple", n // (per * per), n // per)})
    return len(needed)


def directory_blocks(names, block):
    used, count = block, 0  # "." and ".." open the first block
    for length in [1, 2] + [len(n) for n in names]:
        record = 8 + (length + 3) // 4 * 4
        if used + record > block:
            used, count = 0, count + 1
        used += record
    return count


def main():
    root, block, inode_size = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
    total, inodes = 0, 0
    seen = set()  # inode numbers of hard-linked files already counted
    for directory, subdirs, files in os.walk(root):
        names = subdirs + files
        dir_blocks = directory_blocks(names, block)
        total += dir_blocks + indirect_blocks(range(dir_blocks), block)
        inodes += 1
        for name in names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                inodes += 1
                if info.st_nlink > 1 and info.st_ino in seen:
                    continue
                seen.add(info.st_ino)
                held = data_blocks(path, info.st_size, block)
                total += len(held) + indirect_blocks(held, block)
            elif stat.S_ISLNK(info.st_mode):
                inodes += 1
                total += 1 if len(os.readlink(path)) >= 60 else 0
    total += max(16384 // block, 1) + 1  # lost+found
    inodes = inodes + 11 + inodes // 5 + 64  # reserved ones, room for writes
    total += inodes * inode_size // block + 1
    groups = total // (8 * block) + 1
    total = total * 11 // 10 + groups * 8 + 64
    print(total * block // 1024, inodes)


if __name__ == "__main__":
    main()
