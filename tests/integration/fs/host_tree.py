#!/usr/bin/env python3
"""Prints a host directory in the format of fstool's `tree` command.

    host_tree.py [--lost-found] DIR

One line per entry below DIR (DIR itself is not printed), depth first, the
entries of each directory in byte order (LC_ALL=C sort):
    f SIZE SHA256 PATH      regular file (each hard link its own line)
    d - - PATH              directory
    l - TARGET PATH         symbolic link
PATH is the entry's path relative to DIR written as an absolute path
(/a/b). Names and link targets are printed as raw bytes. --lost-found adds
the empty /lost+found that mke2fs makes, so the output is what an image made
from DIR with `mke2fs -d DIR` holds.
"""
import hashlib
import os
import stat
import sys


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return digest.hexdigest()
            digest.update(chunk)


def walk(root, prefix, out, extra=()):
    """Prints the entries of ROOT + PREFIX; PREFIX is b"" or b"/a/b".
    EXTRA names empty directories to show as if they were there."""
    directory = root + prefix
    for name in sorted(set(os.listdir(directory)) | set(extra)):
        path = directory + b"/" + name
        shown = prefix + b"/" + name
        if name in extra:
            out.write(b"d - - %s\n" % shown)
            continue
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            out.write(b"f %d %s %s\n" % (info.st_size, file_sha256(path).encode(), shown))
        elif stat.S_ISDIR(info.st_mode):
            out.write(b"d - - %s\n" % shown)
            walk(root, shown, out)
        elif stat.S_ISLNK(info.st_mode):
            out.write(b"l - %s %s\n" % (os.readlink(path), shown))
        else:
            sys.exit("host_tree.py: %r: not a file, directory or symlink" % path)


def main():
    arguments = sys.argv[1:]
    extra = ()
    if arguments[:1] == ["--lost-found"]:
        extra = (b"lost+found",)
        arguments = arguments[1:]
    if len(arguments) != 1:
        sys.exit("usage: host_tree.py [--lost-found] DIR")
    out = sys.stdout.buffer
    walk(os.fsencode(arguments[0]).rstrip(b"/") or b"/", b"", out, extra)
    out.flush()


if __name__ == "__main__":
    main()
