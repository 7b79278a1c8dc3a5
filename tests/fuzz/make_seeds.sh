#!/usr/bin/env bash
# Seeds for ext2_fuzz: small ext2 images made here with mke2fs (every block
# size up to 4 KiB, both revisions, files that need indirect blocks, fast
# and slow symlinks), and the images of e2fsprogs' test suite that are
# under 4 MiB once decompressed (most of them deliberately corrupt).
#   make_seeds.sh SEED_DIR [E2FSPROGS_CORPUS_DIR]
# SEED_DIR is emptied first. The seeds are never committed.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: make_seeds.sh SEED_DIR [E2FSPROGS_CORPUS_DIR]" >&2
    exit 2
fi
seeds="$1"
corpus="${2:-}"
PATH="$PATH:/sbin:/usr/sbin"
readonly max_bytes=$((4 * 1024 * 1024))

rm -rf "$seeds"
mkdir -p "$seeds"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT

# A small tree: empty, tiny and indirect-block files, a hole, links, a subdirectory.
mkdir -p "$tree/dir/sub"
: >"$tree/empty"
echo "hello, ext2" >"$tree/small"
head -c 300000 /dev/urandom >"$tree/dir/indirect"
truncate -s 2000000 "$tree/dir/sparse"
echo "end" >>"$tree/dir/sparse"
ln -s small "$tree/fast_link"
ln -s "dir/sub/$(printf 'x%.0s' {1..80})" "$tree/dir/slow_link"
ln "$tree/small" "$tree/dir/sub/hard_link"
for i in $(seq 1 40); do : >"$tree/dir/sub/entry_$i"; done

# mke2fs_seed NAME SIZE_KIB BLOCK_SIZE REVISION INODES
mke2fs_seed() {
    mke2fs -q -F -t ext2 -b "$3" -r "$4" -N "$5" -d "$tree" "$seeds/$1" "$2k" >/dev/null 2>&1 ||
        { echo "make_seeds.sh: mke2fs failed for $1" >&2; exit 1; }
    truncate -s "$2k" "$seeds/$1"  # mke2fs leaves unused trailing blocks out of the file
}
mke2fs_seed mke2fs_b1024_r1.img 1024 1024 1 64
mke2fs_seed mke2fs_b1024_r0.img 1024 1024 0 64
mke2fs_seed mke2fs_b2048_r1.img 2048 2048 1 64
mke2fs_seed mke2fs_b4096_r1.img 4096 4096 1 64
# Nearly nothing: the smallest images the fuzzer starts from.
rm -rf "${tree:?}"/*
echo "x" >"$tree/one"
mke2fs_seed mke2fs_tiny_r1.img 64 1024 1 16
mke2fs_seed mke2fs_tiny_r0.img 64 1024 0 16

count=0
if [[ -n "$corpus" ]]; then
    for gz in "$corpus"/*.img.gz; do
        [[ -e "$gz" ]] || continue
        size=$(gzip -l "$gz" | awk 'NR == 2 { print $2 }')
        ((size > 0 && size < max_bytes)) || continue
        gunzip -c "$gz" >"$seeds/$(basename "$gz" .gz)"
        count=$((count + 1))
    done
fi
echo "make_seeds.sh: $(find "$seeds" -type f | wc -l) seeds in $seeds ($count from $corpus)"
