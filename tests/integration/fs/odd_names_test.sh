#!/usr/bin/env bash
# Names that hold the command line's own syntax (double quotes, backslashes,
# blanks, tabs) reach fstool exactly as given: fstool makes them on an image
# and host_fstool.py on a host directory, and fstool's and debugfs's trees
# of the image must equal the host's (hal/boot.h: the command line's
# escapes; the hosted HAL and fstool_qemu.sh write every argument in them).
#   odd_names_test.sh WORKDIR WRAPPER [WRAPPER_ARGS...]
# WORKDIR is emptied first and removed on success.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: odd_names_test.sh WORKDIR WRAPPER [WRAPPER_ARGS...]" >&2
    exit 2
fi
work="$1"
wrapper=("${@:2}")
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rm -rf "$work"
mkdir -p "$work/seed"
"$here/make_image.sh" "$work/seed" "$work/disk.img" 1024 1 1024
cp -a "$work/seed" "$work/model"

names=('/a"b' '/"' '/""' '/c\d' '/\' '/\\' '/e\"f' '/end\' '/g h' $'/tab\there'
    '/"quoted words"' '/x "y\" z')
commands=()
for name in "${names[@]}"; do commands+=(mkdir "$name" \;); done
commands+=(write '/a"b/f"\1' 100 1 \; sync)

status=0
"${wrapper[@]}" "$work/disk.img" "${commands[@]}" >"$work/fstool.out" 2>&1 || status=$?
if ((status != 0)); then
    echo "FAIL: fstool exited $status:"
    tail -n 20 "$work/fstool.out"
    exit 1
fi
fsck_clean "$work/disk.img" "after fstool made the names"
"$here/host_fstool.py" "$work/model" -- "${commands[@]}" >/dev/null
"$here/host_tree.py" --lost-found "$work/model" >"$work/expected"
fstool_tree "$work/disk.img" "$work/actual"
same_tree "$work/expected" "$work/actual" "fstool tree / differs from the model"
"$here/debugfs_tree.py" "$work/disk.img" >"$work/debugfs"
same_tree "$work/expected" "$work/debugfs" "debugfs reads the image unlike the model"
echo "PASS: $(wc -l <"$work/expected") entries with quotes, backslashes and blanks in their names"
rm -rf "$work"
