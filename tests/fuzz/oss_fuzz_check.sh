#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh as OSS-Fuzz's libFuzzer+ASan build runs it
# (its variables, a fresh $OUT), checks that every fuzz target of
# tests/fuzz/CMakeLists.txt came out with its seed corpus, and fuzzes each
# for a few seconds from that corpus, as ClusterFuzzLite would start.
# A missing target or corpus, a failed build or a crash fails.
#   oss_fuzz_check.sh [SECONDS]     (default 5 per target)
# The build tree is build-oss-fuzz/ (kept: a second run only recompiles
# what changed); ./toro.sh test runs this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds="${1:-5}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/out" build-oss-fuzz

# As OSS-Fuzz's base-builder sets them for libFuzzer with ASan.
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address"
flags+=" -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
log="build-oss-fuzz/build.log"
if ! CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
     OUT="$scratch/out" WORK="$PWD/build-oss-fuzz" SRC="$PWD/.." \
     .clusterfuzzlite/build.sh >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "oss_fuzz_check: .clusterfuzzlite/build.sh failed (the log: $log)" >&2
    exit 1
fi

targets=$(sed -n 's/^add_executable(\([a-z0-9_]*_fuzz\) .*/\1/p' tests/fuzz/CMakeLists.txt)
[[ -n "$targets" ]] || { echo "oss_fuzz_check: no targets in tests/fuzz/CMakeLists.txt" >&2; exit 1; }
status=0
for target in $targets; do
    binary="$scratch/out/$target" corpus="$scratch/$target"
    if [[ ! -x "$binary" || ! -s "$binary"_seed_corpus.zip ]]; then
        echo "oss_fuzz_check: $target: build.sh left no $target or ${target}_seed_corpus.zip in \$OUT" >&2
        status=1
        continue
    fi
    python3 -m zipfile -e "$binary"_seed_corpus.zip "$corpus"
    options=()
    [[ -f "$binary.options" ]] &&
        mapfile -t options < <(sed -n 's/^\([a-z_]*\) *= *\(.*\)$/-\1=\2/p' "$binary.options")
    mkdir -p build-oss-fuzz/crashes
    if "$binary" "${options[@]}" -max_total_time="$seconds" -timeout=10 \
         -artifact_prefix="build-oss-fuzz/crashes/$target-" "$corpus" >"$scratch/$target.log" 2>&1; then
        echo "oss_fuzz_check: $target: $(ls "$corpus" | wc -l) inputs after ${seconds} s" \
             "($(grep -a -m1 -oE '^Done [0-9]+ runs' "$scratch/$target.log" || echo done)), nothing found"
    else
        tail -n 40 "$scratch/$target.log" >&2
        echo "oss_fuzz_check: $target failed on its seed corpus (above; inputs in build-oss-fuzz/crashes/)" >&2
        status=1
    fi
done
exit $status
