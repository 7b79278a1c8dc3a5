#!/usr/bin/env bash
# ./toro.sh run APP --qemu -- ARGS: the application's arguments reach it
# booted exactly as given (quotes, blanks, backslashes): fstool makes a
# directory of such a name on a scratch image, and debugfs reads it back.
#   toro_sh_qemu_args_test.sh TORO_SH
set -uo pipefail
toro_sh="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs) DEBUGFS=$(command -v debugfs || echo /sbin/debugfs)
truncate -s 8M "$work/disk.img" && "$MKE2FS" -q -t ext2 -F "$work/disk.img" || exit 1
name='a"b c\d'
output=$(timeout 180 "$toro_sh" run fstool --qemu --disk "$work/disk.img" -- mkdir "/$name" 2>&1)
listing=$("$DEBUGFS" -R "ls -p /" "$work/disk.img" 2>/dev/null)
# debugfs -p: /inode/mode/uid/gid/name/size/
if ! grep -qF "/$name/" <<<"$listing"; then
    echo "FAIL: no directory '$name' on the image; it holds:"
    echo "$listing"
    echo "--- fstool ---"
    echo "$output" | tail -5
    exit 1
fi
echo "PASS: mkdir '/$name' booted made exactly that name"
