#!/usr/bin/env bash
# Populates DIR with a tree that exercises an ext2 driver at one block size.
#   make_tree.sh DIR BLOCK_SIZE
# DIR must not exist or be empty. The content is deterministic (fill.py), so a
# failure reproduces. What is in it, B being BLOCK_SIZE and P = B/4 the block
# numbers an indirect block holds:
#   /empty /one_byte /one_block /large.bin (6 MiB + 12345, dense)
#   /blocks/  sizes on the mapping boundaries: 12 B (last direct), 12 B + 1
#             (first single indirect), (12+P) B and +1 (double), (12+P+P^2) B
#             and +1 (triple). A file is dense up to FS_TREE_DENSE_MAX bytes
#             (default 8 MiB); a bigger one holds data only in its first block
#             and its last two, holes between.
#   /sparse/  holes at the start, in the middle, at the end, everywhere, inside
#             a single-indirect and a double-indirect range
#   /links/   fast symlinks (target < 60 bytes, 59 the longest), slow ones (60,
#             200, and the longest a target may be: min(B, 4096) - 1 bytes),
#             to a file, a directory, nowhere, an absolute path, odd bytes
#   /hardlinks/  one file under three names in three directories, one under two
#   /many/    3000 entries whose names take every length from 1 to 255; a few
#             non-empty files and subdirectories among them
#   /deep/    40 nested directories and a file at the bottom
#   /odd/     names with spaces, tabs, quotes, control bytes, invalid UTF-8
#   /empty_dir/
# Files bigger than FS_TREE_MAX_FILE_SIZE (default 2^31 - 1: revision 0 has no
# large_file feature, and every file is hashed whole by the tree comparison)
# are left out: the triple-indirect files exist for 1 and 2 KiB blocks only
# (at 4 KiB the boundary is 4 GiB; at 32 and 64 KiB it is past the 2 TiB
# that ext2's 32-bit i_blocks lets Linux address at all).
set -euo pipefail
if [[ $# -ne 2 ]]; then echo "usage: make_tree.sh DIR BLOCK_SIZE" >&2; exit 2; fi
dir="$1" B="$2"
case "$B" in 1024|2048|4096|8192|16384|32768|65536) ;; *)
    echo "make_tree.sh: block size $B is not a power of two from 1024 to 65536" >&2; exit 2;;
esac
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
max_file=${FS_TREE_MAX_FILE_SIZE:-2147483647}
dense_max=${FS_TREE_DENSE_MAX:-8388608}
P=$((B / 4))

mkdir -p "$dir"
cd "$dir"
if [[ -n "$(ls -A .)" ]]; then echo "make_tree.sh: $dir is not empty" >&2; exit 2; fi

# Jobs for fill.py: "SIZE OFFSET LENGTH SEED PATH", run all at once at the end.
jobs=""
seed=0
data() { # PATH SIZE OFFSET LENGTH: LENGTH bytes at OFFSET, then size SIZE
    seed=$((seed + 1))
    jobs+="$2 $3 $4 $seed $1"$'\n'
}
dense() { data "$1" "$2" 0 "$2"; }
# A file of SIZE bytes: dense when small, else data in its first block and in
# the two blocks that end it (the last may be partial), holes between.
boundary_file() { # PATH SIZE
    local path="$1" size="$2"
    if ((size > max_file)); then return; fi
    if ((size <= dense_max)); then dense "$path" "$size"; return; fi
    local tail=$(( ((size - 1) / B - 1) * B ))
    data "$path" "$size" 0 "$B"
    data "$path" "$size" "$tail" $((size - tail))
}

dense empty 0
dense one_byte 1
dense one_block "$B"
dense large.bin $((6 * 1048576 + 12345))

mkdir blocks
boundary_file blocks/direct_last $((12 * B))
boundary_file blocks/single_first $((12 * B + 1))
boundary_file blocks/single_last $(((12 + P) * B))
boundary_file blocks/double_first $(((12 + P) * B + 1))
boundary_file blocks/double_last $(((12 + P + P * P) * B))
boundary_file blocks/triple_first $(((12 + P + P * P) * B + 1))

mkdir sparse
data sparse/hole_at_start $((7 * B)) $((5 * B + 100)) $((2 * B - 100))
data sparse/hole_in_middle $((21 * B + 17)) 0 $((B + 5))
data sparse/hole_in_middle $((21 * B + 17)) $((20 * B)) $((B + 17))
data sparse/hole_at_end $((30 * B + 3)) 0 $((2 * B + 7))
data sparse/all_hole $((1048576 + 1)) 0 0
data sparse/hole_in_single $(((12 + 40) * B)) 0 10
data sparse/hole_in_single $(((12 + 40) * B)) $(((12 + 3) * B)) 50
# In the double-indirect range, under its second single-indirect block.
if (((12 + 3 * P + 4) * B <= max_file)); then
    data sparse/hole_in_double $(((12 + 3 * P + 4) * B)) 0 1
    data sparse/hole_in_double $(((12 + 3 * P + 4) * B)) $(((12 + 2 * P + 3) * B - 10)) 20
fi

mkdir links
ln -s ../one_byte links/to_file
ln -s ../blocks links/to_dir
ln -s does/not/exist links/dangling
ln -s /one_byte links/absolute
ln -s "$(long_target 59)" links/fast_59
ln -s "$(long_target 60)" links/slow_60
ln -s "$(long_target 200)" links/slow_200
longest=$(( (B < 4096 ? B : 4096) - 1 ))
ln -s "$(long_target $longest)" links/slow_longest
ln -s $'odd target \xff\x01 "with" spaces' links/odd_target

mkdir -p hardlinks/a hardlinks/b hardlinks/c
dense hardlinks/a/three_names 5000
data hardlinks/a/two_names $((3 * B)) $((B / 2)) "$B"

# Names of every length 1..255: entry i is one character picked by i / 255
# (distinct among entries of equal length), padded to length 1 + i % 255.
mkdir many
alphabet=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
pad=""
while ((${#pad} < 255)); do pad+="_abcdefghij.klmnopqrstuvwxyz-0123456789"; done
for ((i = 0; i < 3000; i++)); do
    name="${alphabet:i / 255:1}${pad:0:i % 255}"
    if ((i % 250 == 7)); then
        mkdir "many/$name"
        : >"many/$name/inside"
    elif ((i % 100 == 3)); then
        dense "many/$name" $((i + 1))
    else
        : >"many/$name"
    fi
done

path=deep
for ((level = 1; level <= 40; level++)); do path+=$(printf '/level%02d' $level); done
mkdir -p "$path"
dense "$path/bottom" 4321

mkdir odd empty_dir
# shellcheck disable=SC2016 # '$dollar' is a name, not an expansion
for name in 'with space' ' leading space' 'trailing space ' $'tab\there' $'caf\xc3\xa9' \
    $'\x01control' $'del\x7f' $'\xff\xfe not utf-8' 'quote"s' "apostrophe's" 'back\slash' \
    '*?[glob]' '-dash' '.hidden' '...' '$dollar' 'a:b;c|d&e' '#hash' '%percent' '{}()<>' \
    $'\xe2\x80\x8bzero width' '~'; do
    dense "odd/$name" ${#name}
done
mkdir $'odd/dir with \xc3\xa9 space'
dense $'odd/dir with \xc3\xa9 space/file in it' 3

printf '%s' "$jobs" | python3 "$here/fill.py"
# After fill.py: a hard link made before its file existed would fail.
ln hardlinks/a/three_names hardlinks/b/three_names
ln hardlinks/a/three_names hardlinks/c/third
ln hardlinks/a/two_names hardlinks/two_names
