#!/usr/bin/env bash
# Changes an ext2 image with every mutating fstool command and checks the
# result three ways: e2fsck -fn is clean after each fstool run, fstool's
# `tree /` equals a host directory that went through the same commands
# (host_fstool.py), and so does debugfs's reading of the image
# (debugfs_tree.py).
#   write_test.sh BLOCK_SIZE REVISION WORKDIR WRAPPER [WRAPPER_ARGS...]
# WRAPPER runs fstool: WRAPPER [WRAPPER_ARGS...] IMG CMD ARGS (for hosted:
# fstool_hosted.sh FSTOOL). WORKDIR is emptied first and removed on success.
# Three fstool runs (so each phase is read back from the disk by the next):
#   1 creates: files across the direct/single/double-indirect boundaries,
#     a hole grown by truncate then written after, fast and slow symlinks;
#     a file's times are the time of day (the host's clock during the run);
#   2 changes: shrinks into a hole and to zero, appends, frees an indirect
#     chain, reaches the triple-indirect range (when ext2 may: B <= 16 KiB,
#     and below 2 GiB on revision 0), removes files, a name of a hard link,
#     symlinks, directories, renames in and across directories, a directory
#     across directories, and a file onto an existing one;
#   3 frees the triple-indirect chain, grows a directory over several blocks
#     with 200-byte names, removes every other entry and fills the gaps.
set -euo pipefail
if [[ $# -lt 4 ]]; then
    echo "usage: write_test.sh BLOCK_SIZE REVISION WORKDIR WRAPPER [WRAPPER_ARGS...]" >&2
    exit 2
fi
B="$1" revision="$2" work="$3"
wrapper=("${@:4}")
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
P=$((B / 4))
longest=$(( (B < 4096 ? B : 4096) - 1 ))

rm -rf "$work"
mkdir -p "$work/seed"
# The starting tree, made on the host and put in the image by mke2fs.
"$here/host_fstool.py" "$work/seed" -- mkdir /a \; mkdir /b \; mkdir /c \; mkdir /links \; \
    mkdir /gone \; write /a/file1 5000 1 \; write /a/victim_src 3000 2 \; \
    write /b/victim 7000 3 \; write /a/hard 2000 4 \; \
    ln -s ../a/file1 /links/fast \; ln -s "$(long_target 150)" /links/slow
ln "$work/seed/a/hard" "$work/seed/c/hard2"
"$here/make_image.sh" "$work/seed" "$work/disk.img" "$B" "$revision" $((64 * B / 1024 + 2048))
cp -a "$work/seed" "$work/model"

phase1=(mkdir /new \; mkdir /new/sub \; mkdir /gone_new \;
    write /new/small 100 11 \;
    write /new/one_block "$B" 12 \;
    write /new/direct_edge $((12 * B)) 13 \; append /new/direct_edge 1 14 \;
    write /new/grow 1000 15 \; truncate /new/grow $(((12 + P) * B - 10)) \; append /new/grow 100 16 \;
    write /new/mid $((3 * B + 5)) 17 \; truncate /new/mid $((20 * B)) \; append /new/mid $((2 * B)) 18 \;
    ln -s /new/small /new/fast_link \; ln -s "$(long_target 59)" /new/fast_59 \;
    ln -s "$(long_target 60)" /new/slow_60 \; ln -s "$(long_target $longest)" /new/slow_longest \;
    sync)

triple=$(((12 + P + P * P) * B))
phase2=(truncate /new/mid $((10 * B)) \;
    truncate /new/one_block 0 \; append /new/one_block 7 19 \;
    truncate /new/small 50 \;
    write /a/file1 300 20 \; append /b/victim $((B + 3)) 21 \;
    truncate /new/grow 5000 \;
    rm /a/hard \; rm /links/fast \; rm /links/slow \;
    rmdir /gone \; rmdir /gone_new \;
    mv /new/small /new/renamed \; mv /new/renamed /b/moved \;
    mv /new/sub /b/sub_moved \; mkdir /b/sub_moved/deeper \; write /b/sub_moved/deeper/f 10 22 \;
    mv /a/victim_src /b/victim \;
    mv /c /a/c_moved \;
    sync)
# Linux's ext2 caps a file at 2^32 - 1 sectors of i_blocks, which leaves
# the triple-indirect range out of reach with 32 and 64 KiB blocks.
big=no
if ((B <= 16384)) && { ((revision == 1)) || ((triple + 7 < 2 ** 31)); }; then
    big=yes
    phase2=(write /new/big 10 23 \; truncate /new/big $((triple - 3)) \; append /new/big 10 24 \;
        "${phase2[@]}")
fi

phase3=(mkdir /many \;)
name() { printf '/many/%03d-%s' "$1" "$(printf '%0197d' 0 | tr 0 x)"; }
for i in $(seq 0 39); do phase3+=(write "$(name "$i")" 0 0 \;); done
for i in $(seq 0 2 39); do phase3+=(rm "$(name "$i")" \;); done
for i in $(seq 40 49); do phase3+=(write "$(name "$i")" 1 "$i" \;); done
phase3+=(ln -s /many /many/self \; sync)
if [[ $big == yes ]]; then
    phase3=(truncate /new/big 100000 \; "${phase3[@]}")
fi

# run_phase N ARGS...: fstool on the image, the model on the host copy.
run_phase() {
    local n="$1" status=0
    shift
    "${wrapper[@]}" "$work/disk.img" "$@" >"$work/phase$n.out" 2>&1 || status=$?
    if ((status != 0)); then
        echo "FAIL: phase $n: fstool exited $status:"
        tail -n 20 "$work/phase$n.out"
        return 1
    fi
    fsck_clean "$work/disk.img" "after phase $n"
    "$here/host_fstool.py" "$work/model" -- "$@" >/dev/null
}

# compare WHEN: fstool's and debugfs's trees against the model's.
compare() {
    "$here/host_tree.py" --lost-found "$work/model" >"$work/expected"
    fstool_tree "$work/disk.img" "$work/actual"
    same_tree "$work/expected" "$work/actual" "$1: fstool tree / differs from the model"
    "$here/debugfs_tree.py" "$work/disk.img" >"$work/debugfs"
    same_tree "$work/expected" "$work/debugfs" "$1: debugfs reads the image unlike the model"
}

# Last written in 2001 (debugfs would stamp its own close without the fake
# time): times counted from the superblock would show.
E2FSPROGS_FAKE_TIME=978307200 debugfs -w -R "ssv wtime 200101010000" "$work/disk.img" >/dev/null 2>&1
started=$(date +%s)
run_phase 1 "${phase1[@]}"
stamped_between "$work/disk.img" /new/mid "$started" "$(date +%s)"
compare "after phase 1"
run_phase 2 "${phase2[@]}"  # no compare: a triple-indirect file may be too big to hash
run_phase 3 "${phase3[@]}"
compare "after phase 3"
fsck_clean "$work/disk.img" "after fstool read it"
echo "PASS: block size $B, revision $revision: $(wc -l <"$work/expected") entries equal"
rm -rf "$work"
