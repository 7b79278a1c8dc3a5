#!/usr/bin/env bash
# Makes an ext2 image holding a copy of DIR, and checks it with e2fsck.
#   make_image.sh DIR IMG BLOCK_SIZE REVISION [EXTRA_KIB]
# REVISION 0 (original: 128-byte inodes, no features at all, so no filetype
# in directory entries and no file of 2 GiB or more) or 1 (dynamic: mke2fs's
# ext2 features, 256-byte inodes). EXTRA_KIB of free room are added, for
# tests that write. The size comes from image_size.py; if
# mke2fs still runs out of room the image grows by half and is made again.
#
# What mke2fs 1.47.0 does here, checked for every block size 1 KiB..64 KiB
# and both revisions:
# * -d works with -r 0: populate_fs skips extended attributes (no ext_attr)
#   and writes directory entries without file types; hard links keep one
#   inode and the right link count.
# * -I is ignored with -r 0 (the inode is 128 bytes), so it is not passed.
# * Blocks bigger than the page size (8 KiB and up on x86-64) make mke2fs
#   warn "blocksize N not usable on most systems" and ask to proceed; -F
#   answers yes. Linux cannot mount such images; e2fsck and debugfs read them.
# * 65536 is the largest block size mke2fs makes (EXT2_MAX_BLOCK_LOG_SIZE).
# * mke2fs stores runs of zeros that fill whole blocks as holes (copy of a
#   file skips zero blocks), so "dense" data must not be zeros.
# mke2fs's stderr is shown only when it fails.
set -euo pipefail
if [[ $# -lt 4 || $# -gt 5 ]]; then
    echo "usage: make_image.sh DIR IMG BLOCK_SIZE REVISION [EXTRA_KIB]" >&2
    exit 2
fi
dir="$1" img="$2" B="$3" rev="$4" extra_kib="${5:-0}"
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
case "$rev" in
    0) inode_size=128 inode_flag=() ;;
    1) inode_size=256 inode_flag=(-I 256) ;;
    *) echo "make_image.sh: revision $rev is not 0 or 1" >&2; exit 2 ;;
esac
read -r kib inodes < <(python3 "$here/image_size.py" "$dir" "$B" "$inode_size")
kib=$((kib + extra_kib))
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for attempt in 1 2 3 4 5; do
    rm -f "$img"
    # A fixed UUID: the same tree gives the same superblock but for times.
    if mke2fs -q -F -t ext2 -b "$B" -r "$rev" "${inode_flag[@]}" -N "$inodes" \
        -U 6f726f74-6674-4573-b832-000000000000 -d "$dir" "$img" "${kib}k" >"$log" 2>&1; then
        break
    fi
    if ((attempt == 5)); then
        echo "make_image.sh: mke2fs failed for $dir at ${kib} KiB:" >&2
        cat "$log" >&2
        exit 1
    fi
    kib=$((kib * 3 / 2))
    echo "make_image.sh: $img: mke2fs wanted more room than image_size.py said; trying ${kib} KiB" >&2
done
if ! e2fsck -fn "$img" >"$log" 2>&1; then
    echo "make_image.sh: e2fsck -fn $img is not clean:" >&2
    cat "$log" >&2
    exit 1
fi
