#!/usr/bin/env python3
"""Prints an ext2 image's tree as e2fsprogs' debugfs reads it, in the
format of fstool's `tree` command (see host_tree.py), for every entry below
the root.

    debugfs_tree.py IMG

Directories are listed with `ls -p <INODE>` (lines /ino/mode/uid/gid/name/
size/; names hold no '/' or newline, so the name is what lies between the
fourth '/' and the last but one), file contents come from `cat <INODE>`,
fast symlink targets from `stat <INODE>`'s "Fast link dest" line, and slow
symlink targets from `cat <INODE>`. Inodes are named by number, never by
path, so no name needs quoting for debugfs's command parser.
"""
import hashlib
import os
import shutil
import subprocess
import sys

DEBUGFS = shutil.which("debugfs", path=os.environ.get("PATH", "") + ":/sbin:/usr/sbin")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def debugfs(image, command):
    """Runs one debugfs command read-only; returns its stdout, raw."""
    result = subprocess.run([DEBUGFS, "-R", command, image], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, DEBUGFS_PAGER="__none__"))
    if result.returncode != 0:
        sys.exit("debugfs_tree.py: debugfs -R '%s' %s: %s" % (command, image,
                                                            result.stderr.decode(errors="replace")))
    return result.stdout


def read_sha256(image, inode):
    digest = hashlib.sha256()
    with subprocess.Popen([DEBUGFS, "-R", "cat <%d>" % inode, image], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL) as process:
        while True:
            chunk = process.stdout.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
    if process.returncode != 0:
        sys.exit("debugfs_tree.py: debugfs cat <%d> failed" % inode)
    return digest.hexdigest()


def list_directory(image, inode):
    """Yields (name, inode, mode, size) for the entries of a directory."""
    for line in debugfs(image, "ls -p <%d>" % inode).split(b"\n"):
        if not line:
            continue
        if not (line.startswith(b"/") and line.endswith(b"/")):
            sys.exit("debugfs_tree.py: unexpected ls -p line %r" % line)
        number, mode, _uid, _gid, rest = line[1:-1].split(b"/", 4)
        name, size = rest.rsplit(b"/", 1)
        if name in (b".", b"..") or int(number) == 0:  # inode 0: an unused record
            continue
        yield name, int(number), int(mode, 8), int(size or b"0")


def link_target(image, inode, size):
    for line in debugfs(image, "stat <%d>" % inode).split(b"\n"):
        if line.startswith(b"Fast link dest: "):
            return line[line.index(b'"') + 1:line.rindex(b'"')]
    target = debugfs(image, "cat <%d>" % inode)
    if len(target) != size:
        sys.exit("debugfs_tree.py: symlink <%d>: %d bytes, size %d" % (inode, len(target), size))
    return target


def walk(image, inode, prefix, out, hashes):
    for name, number, mode, size in sorted(list_directory(image, inode)):
        shown = prefix + b"/" + name
        kind = mode & 0o170000
        if kind == 0o100000:
            if number not in hashes:
                hashes[number] = read_sha256(image, number) if size else EMPTY_SHA256
            out.write(b"f %d %s %s\n" % (size, hashes[number].encode(), shown))
        elif kind == 0o040000:
            out.write(b"d - - %s\n" % shown)
            walk(image, number, shown, out, hashes)
        elif kind == 0o120000:
            out.write(b"l - %s %s\n" % (link_target(image, number, size), shown))
        else:
            sys.exit("debugfs_tree.py: %r: mode %o is not a file, directory or symlink"
                     % (shown, mode))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: debugfs_tree.py IMG")
    if not DEBUGFS:
        sys.exit("debugfs_tree.py: debugfs not found (Debian package e2fsprogs)")
    out = sys.stdout.buffer
    walk(sys.argv[1], 2, b"", out, {})
    out.flush()


if __name__ == "__main__":
    main()
