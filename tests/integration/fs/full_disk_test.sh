#!/usr/bin/env bash
# Fills a small ext2 image until fstool fails, then checks the failure and
# that nothing broke: the error is "fstool: write: ...No space..." with exit
# status 1, e2fsck -fn is clean, fstool and debugfs read the same tree, and
# once a file is removed a write succeeds again. Twice: out of blocks (a 2
# MiB image, 1 KiB blocks), then out of inodes (empty files until no inode).
#   full_disk_test.sh WORKDIR WRAPPER [WRAPPER_ARGS...]
# WRAPPER runs fstool: WRAPPER [WRAPPER_ARGS...] IMG CMD ARGS (for hosted:
# fstool_hosted.sh FSTOOL). WORKDIR is emptied first and removed on success.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: full_disk_test.sh WORKDIR WRAPPER [WRAPPER_ARGS...]" >&2
    exit 2
fi
work="$1"
wrapper=("${@:2}")
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rm -rf "$work"
mkdir -p "$work"

# fill IMG SIZE: writes /fill_N files of SIZE bytes until fstool fails;
# the failure must be ENOSPC's, reported as fstool reports errors.
fill() {
    local img="$1" size="$2" i status out
    for ((i = 1; i <= 5000; i++)); do
        status=0
        out=$("${wrapper[@]}" "$img" write "/fill_$i" "$size" "$i" 2>&1) || status=$?
        if ((status == 0)); then continue; fi
        if ((status != 1)) || ! grep -q '^fstool: write: .*No space' <<<"$out"; then
            echo "FAIL: write /fill_$i of $size bytes: exit $status, expected 1 and" \
                "'fstool: write: ...No space...':"
            tail -n 20 <<<"$out"
            return 1
        fi
        echo "$img full after $((i - 1)) files of $size bytes: $(grep '^fstool:' <<<"$out")"
        return 0
    done
    echo "FAIL: $img never filled up"
    return 1
}

# after_full IMG: consistent, readable, and usable again once room is freed.
after_full() {
    local img="$1"
    fsck_clean "$img" "when full"
    fstool_tree "$img" "$work/actual"
    "$here/debugfs_tree.py" "$img" >"$work/debugfs"
    same_tree "$work/debugfs" "$work/actual" "$img full: fstool and debugfs read different trees"
    "${wrapper[@]}" "$img" rm /fill_1 \; write /again 1000 7 >"$work/again.out" 2>&1 || {
        echo "FAIL: $img: rm /fill_1 then write /again failed:"
        tail -n 20 "$work/again.out"
        return 1
    }
    fsck_clean "$img" "after freeing room and writing again"
}

mke2fs -q -F -t ext2 -b 1024 "$work/blocks.img" 2M >/dev/null
fill "$work/blocks.img" 262144
after_full "$work/blocks.img"

# Few inodes, many blocks: the inodes run out first.
mke2fs -q -F -t ext2 -b 1024 -N 32 "$work/inodes.img" 8M >/dev/null
fill "$work/inodes.img" 0
after_full "$work/inodes.img"

echo "PASS: full disk and full inode table"
rm -rf "$work"
