#!/usr/bin/env python3
"""fstool's commands applied to a host directory: the model the write tests
compare the ext2 driver against.

    host_fstool.py DIR -- CMD ARGS ; CMD ARGS ; ...

DIR plays the disk's root: PATH /a/b means DIR/a/b. The commands and their
meaning are fstool's (apps/fstool): ls, cat, tree, write PATH SIZE SEED,
append PATH SIZE SEED, truncate PATH SIZE, mkdir, rmdir, rm, mv FROM TO
(rename(2): replaces an existing file), ln -s TARGET PATH, sync. write and
append use the splitmix64 stream (splitmix64.py). An error prints
"fstool: COMMAND: MESSAGE" and exits 1, as fstool does.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import host_tree  # noqa: E402
import splitmix64  # noqa: E402


def write_stream(path, size, seed, flags):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o644)
    try:
        for piece in splitmix64.chunks(size, seed):
            os.write(fd, piece)
    finally:
        os.close(fd)


def run(root, command, arguments):
    def at(path):
        if not path.startswith(b"/"):
            raise OSError(0, "path is not absolute")
        return root + path

    out = sys.stdout.buffer
    if command == b"ls" and len(arguments) == 1:
        for name in sorted(os.listdir(at(arguments[0]))):
            out.write(name + b"\n")
    elif command == b"cat" and len(arguments) == 1:
        with open(at(arguments[0]), "rb") as f:
            out.write(f.read())
    elif command == b"tree" and len(arguments) == 1:
        host_tree.walk(at(arguments[0]).rstrip(b"/"), arguments[0].rstrip(b"/"), out)
    elif command in (b"write", b"append") and len(arguments) == 3:
        flags = os.O_TRUNC if command == b"write" else os.O_APPEND
        write_stream(at(arguments[0]), int(arguments[1]), int(arguments[2], 0), flags)
    elif command == b"truncate" and len(arguments) == 2:
        os.truncate(at(arguments[0]), int(arguments[1]))
    elif command == b"mkdir" and len(arguments) == 1:
        os.mkdir(at(arguments[0]))
    elif command == b"rmdir" and len(arguments) == 1:
        os.rmdir(at(arguments[0]))
    elif command == b"rm" and len(arguments) == 1:
        os.unlink(at(arguments[0]))
    elif command == b"mv" and len(arguments) == 2:
        os.rename(at(arguments[0]), at(arguments[1]))
    elif command == b"ln" and len(arguments) == 3 and arguments[0] == b"-s":
        os.symlink(arguments[1], at(arguments[2]))
    elif command == b"sync" and not arguments:
        os.sync()
    else:
        raise OSError(0, "unknown command or wrong arguments")
    out.flush()


def main():
    arguments = [os.fsencode(a) for a in sys.argv[1:]]
    if len(arguments) < 2 or arguments[1] != b"--":
        sys.exit("usage: host_fstool.py DIR -- CMD ARGS ; CMD ARGS ; ...")
    root = arguments[0].rstrip(b"/")
    commands, current = [], []
    for word in arguments[2:] + [b";"]:
        if word == b";":
            if current:
                commands.append(current)
            current = []
        else:
            current.append(word)
    for command, *rest in commands:
        try:
            run(root, command, rest)
        except (OSError, ValueError) as error:
            message = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            sys.stdout.flush()
            sys.stderr.write("fstool: %s: %s\n" % (command.decode(errors="replace"), message))
            sys.exit(1)


if __name__ == "__main__":
    main()
