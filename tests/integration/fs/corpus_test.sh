#!/usr/bin/env bash
# Hostile images: every gzip'd disk image of a corpus (e2fsprogs' test
# images, shared/corpora/e2fsprogs) through fstool, twice.
#   1. read-only disk: `tree /` (mount, walk every entry, read every file);
#      the image must come out byte-identical. The directories of 10^4 to
#      10^5 entries (f_h_*, f_many_subdirs) are walked whole too: ext2's
#      name index makes each lookup O(1), where a linear scan made the walk
#      quadratic (f_h_normal took 17 s; now 0.3 s, 2 s under ASan).
#   2. read-write, on a copy: a few mutations, then the walk again.
# Each run must end with exit 0 (walked) or exit 1 with an "fstool:" line
# (refused, or a clear error). Anything else fails: a signal, a kernel
# panic or fault report, a sanitizer report, a timeout.
#   corpus_test.sh FSTOOL CORPUS_DIR WORKDIR
# Prints one line per image and the totals; exits 1 if any image failed.
# The logs of failed runs stay in WORKDIR/failures/; the rest is removed.
set -euo pipefail
if [[ $# -ne 3 ]]; then
    echo "usage: corpus_test.sh FSTOOL CORPUS_DIR WORKDIR" >&2
    exit 2
fi
fstool="$1"
corpus="$2"
work="$3"
export LC_ALL=C
# Sanitizer builds: stop at the first report and say where it came from.
# The kernel's RAM is one mmap'd arena that is unmapped at the end, so
# leak checking says nothing about the kernel.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
readonly timeout_seconds=30
readonly mutations=(mkdir /fuzz_dir \; write /fuzz_dir/f 10000 1 \; mv /fuzz_dir/f /fuzz_dir/g \;
                    truncate /fuzz_dir/g 100000 \; write /fuzz_dir/h 3000 2 \; rm /fuzz_dir/g \;
                    rm /fuzz_dir/h \; rmdir /fuzz_dir \; write /fuzz_file 70000 3)

shopt -s nullglob
images=("$corpus"/*.img.gz)
if [[ ${#images[@]} -eq 0 ]]; then
    echo "corpus_test.sh: no *.img.gz in $corpus" >&2
    exit 2
fi
rm -rf "$work"
mkdir -p "$work/failures"

# walk LOG DISK: `tree /`.
walk() { run_fstool "$1" "$2" tree /; }

# run_fstool LOG DISK CMD...: runs fstool under the timeout and classifies
# the run; sets `outcome` (walked | refused | FAIL) and `detail` (the first
# fstool error line, or why it failed). Both output streams go to LOG.
run_fstool() {
    local log="$1" disk="$2" status=0
    shift 2
    timeout "$timeout_seconds" "$fstool" --disk "$disk" -- "$@" >"$log" 2>&1 || status=$?
    detail=$(grep -a -m1 '^fstool: ' "$log" || true)
    local report
    report=$(grep -a -m1 -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|^panic: |^toro: fatal|did not stop' "$log" || true)
    if [[ -n "$report" ]]; then
        outcome=FAIL detail="exit $status: $report"
    elif ((status == 124)); then
        outcome=FAIL detail="timed out after ${timeout_seconds}s"
    elif ((status == 0)); then
        outcome=walked
    elif ((status == 1)) && [[ -n "$detail" ]]; then
        outcome=refused
    else
        outcome=FAIL detail="exit $status: $(grep -a -m1 . "$log" || true)"
    fi
}

passed=0 failed=0 walked=0 refused=0 rw_walked=0 rw_refused=0
start=$SECONDS
for gz in "${images[@]}"; do
    name=$(basename "$gz" .gz)
    image="$work/$name"
    copy="$work/rw-$name"
    gunzip -c "$gz" >"$image"
    before=$(cksum <"$image")

    walk "$work/ro.log" "$image,ro"
    ro_outcome=$outcome ro_detail=$detail
    if [[ $ro_outcome != FAIL && "$(cksum <"$image")" != "$before" ]]; then
        ro_outcome=FAIL ro_detail="the read-only image changed"
    fi

    cp "$image" "$copy"
    run_fstool "$work/rw.log" "$copy" "${mutations[@]}"
    rw_outcome=$outcome rw_detail=$detail
    if [[ $rw_outcome != FAIL ]]; then
        # What the mutations left must read back as safely.
        walk "$work/rw-tree.log" "$copy,ro"
        if [[ $outcome == FAIL ]]; then
            rw_outcome=FAIL rw_detail="tree after the mutations: $detail"
            cp "$work/rw-tree.log" "$work/failures/$name.rw-tree.log"
        fi
    fi

    if [[ $ro_outcome == FAIL || $rw_outcome == FAIL ]]; then
        failed=$((failed + 1))
        [[ $ro_outcome == FAIL ]] && cp "$work/ro.log" "$work/failures/$name.ro.log"
        [[ $rw_outcome == FAIL ]] && cp "$work/rw.log" "$work/failures/$name.rw.log"
        echo "FAIL $name: ro $ro_outcome${ro_detail:+: $ro_detail} | rw $rw_outcome${rw_detail:+: $rw_detail}"
    else
        passed=$((passed + 1))
        [[ $ro_outcome == walked ]] && walked=$((walked + 1)) || refused=$((refused + 1))
        [[ $rw_outcome == walked ]] && rw_walked=$((rw_walked + 1)) || rw_refused=$((rw_refused + 1))
        echo "PASS $ro_outcome $name${ro_detail:+: $ro_detail} | rw $rw_outcome${rw_detail:+: $rw_detail}"
    fi
    rm -f "$image" "$copy" "$work"/*.log
done

echo "corpus: ${#images[@]} images in $((SECONDS - start)) s; read-only: $walked walked," \
     "$refused refused; read-write: $rw_walked walked, $rw_refused refused; $failed failed"
echo "$passed passed, $failed failed"
if ((failed > 0)); then
    echo "logs of the failed runs: $work/failures/"
    exit 1
fi
rm -rf "$work"
