# shellcheck shell=bash disable=SC2034,SC2154
# Shared by the fs test scripts (sourced). A wrapper runs fstool on an image:
# "${wrapper[@]}" IMG CMD ARGS [; CMD ARGS ...]  (fstool_hosted.sh, or QEMU's).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PATH="$PATH:/sbin:/usr/sbin"
export LC_ALL=C

# fsck_clean IMG WHEN: e2fsck -fn must find nothing; prints its report if not.
fsck_clean() {
    local report
    if ! report=$(e2fsck -fn "$1" 2>&1); then
        echo "FAIL: e2fsck -fn $1 is not clean $2:"
        printf '%s\n' "$report" | head -40
        return 1
    fi
}

# fstool_tree IMG OUT: fstool's tree of the whole image, its lines only.
fstool_tree() {
    local status=0
    "${wrapper[@]}" "$1" tree / >"$2.raw" 2>"$2.err" || status=$?
    if ((status != 0)); then
        echo "FAIL: fstool tree / exited $status:"
        tail -n 20 "$2.err" "$2.raw"
        return 1
    fi
    grep -a '^[fdl] ' "$2.raw" >"$2" || true
}

# same_tree EXPECTED ACTUAL WHAT: equal, or the first 40 lines of the diff.
same_tree() {
    if ! cmp -s "$1" "$2"; then
        echo "FAIL: $3 (diff expected actual, first 40 lines):"
        diff -a "$1" "$2" | head -40
        return 1
    fi
}

# stamped_between IMG PATH FROM TO: debugfs reads PATH's mtime and ctime
# as seconds in [FROM, TO] (the kernel's time of day was right).
stamped_between() {
    local report field value
    report=$(debugfs -R "stat $2" "$1" 2>/dev/null)
    for field in mtime ctime; do
        value=$(sed -n "s/^ *$field: 0x\([0-9a-f]*\).*/\1/p" <<<"$report" | head -1)
        if [[ -z "$value" ]] || (($((16#$value)) < $3 || $((16#$value)) > $4)); then
            echo "FAIL: $2's $field is ${value:+0x}${value:-missing}, not within $3..$4 (the host's clock then)"
            return 1
        fi
    done
}

# long_target LENGTH: a relative path of exactly LENGTH bytes, for symlinks.
long_target() {
    local s="" i=0
    while ((${#s} < $1)); do s+="segment-$i/"; i=$((i + 1)); done
    printf '%s' "${s:0:$1}"
}
