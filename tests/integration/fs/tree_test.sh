#!/usr/bin/env bash
# Reads a whole mke2fs-made image with fstool and compares every name, size,
# content hash and link target with the directory it was made from.
#   tree_test.sh BLOCK_SIZE REVISION WORKDIR WRAPPER [WRAPPER_ARGS...]
# WRAPPER runs fstool: WRAPPER [WRAPPER_ARGS...] IMG CMD ARGS (for hosted:
# fstool_hosted.sh FSTOOL). WORKDIR is emptied first and removed on success.
# Exit 0 when fstool's `tree /` equals host_tree.py of the source directory
# (plus mke2fs's lost+found) and e2fsck -fn is still clean afterwards.
set -euo pipefail
if [[ $# -lt 4 ]]; then
    echo "usage: tree_test.sh BLOCK_SIZE REVISION WORKDIR WRAPPER [WRAPPER_ARGS...]" >&2
    exit 2
fi
block_size="$1" revision="$2" work="$3"
wrapper=("${@:4}")
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rm -rf "$work"
mkdir -p "$work"
"$here/make_tree.sh" "$work/tree" "$block_size"
"$here/make_image.sh" "$work/tree" "$work/disk.img" "$block_size" "$revision"
"$here/host_tree.py" --lost-found "$work/tree" >"$work/expected"
fstool_tree "$work/disk.img" "$work/actual"
same_tree "$work/expected" "$work/actual" "fstool tree / differs from the source tree"
fsck_clean "$work/disk.img" "after fstool read it"
echo "PASS: block size $block_size, revision $revision: $(wc -l <"$work/expected") entries equal"
rm -rf "$work"
