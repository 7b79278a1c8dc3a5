#!/usr/bin/env bash
# Builds every fuzz target of tests/fuzz the way OSS-Fuzz and ClusterFuzzLite
# build: with their $CC, $CXX, $CFLAGS, $CXXFLAGS (sanitizers, coverage,
# optimisation) and $LIB_FUZZING_ENGINE, into $OUT, each target beside its
# seed corpus ($OUT/TARGET_seed_corpus.zip, made by the generators in
# tests/fuzz from what the repository holds) and its libFuzzer options
# ($OUT/TARGET.options, the flags ./toro.sh fuzz gives).
#
# The CMake tree is $WORK/toro (kept between builds: a second build only
# recompiles what changed). The shared libraries the targets link that the
# runner image lacks (libpcap, libslirp, GLib and theirs) are copied to
# $OUT/lib, where the targets' RPATH looks (an RPATH, not a RUNPATH: it
# serves the libraries' own dependencies too). Run locally by
# tests/fuzz/oss_fuzz_check.sh; see docs/testing.md.
set -euo pipefail

for variable in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT; do
    if [[ -z "${!variable+set}" ]]; then
        echo "build.sh: \$$variable is not set (OSS-Fuzz sets it; see docs/testing.md)" >&2
        exit 2
    fi
done
# The repository: beside this script in a checkout, else the Dockerfile's
# WORKDIR ($SRC/toro), where OSS-Fuzz runs $SRC/build.sh.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -f "$root/CMakePresets.json" ]] || root="$PWD"
work="${WORK:-$OUT/work}/toro"

TARGETS=(ext2_fuzz net_input_fuzz tcp_connection_fuzz tcp_pair_fuzz)

cmake -S "$root" -B "$work" -G Ninja \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
    -DTORO_FUZZ=ON -DTORO_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
    -DTORO_BUILD_TESTS=OFF -DTORO_BUILD_BENCHMARKS=OFF -DTORO_BUILD_BARE=OFF \
    -DCMAKE_BUILD_RPATH='$ORIGIN/lib' -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags >/dev/null
cmake --build "$work" -j "$(nproc)" --target "${TARGETS[@]}"

mkdir -p "$OUT/lib"
for target in "${TARGETS[@]}"; do
    cp "$work/tests/fuzz/$target" "$OUT/"
    # Every library ldd finds outside glibc itself (and not copied already).
    ldd "$OUT/$target" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
        { grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so[^/]*$' || true; } |
        while read -r library; do
            [[ -e "$OUT/lib/$(basename "$library")" ]] || cp -L "$library" "$OUT/lib/"
        done
done

# zip_seeds TARGET DIR: DIR's files (flat) as TARGET's seed corpus.
zip_seeds() {
    python3 - "$OUT/$1_seed_corpus.zip" "$2" <<'PYTHON'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
    for name in sorted(os.listdir(sys.argv[2])):
        archive.write(os.path.join(sys.argv[2], name), name)
PYTHON
}

seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
"$root/tests/fuzz/make_seeds.sh" "$seeds/ext2" >/dev/null  # mke2fs images only: no e2fsprogs corpus here
python3 "$root/tests/fuzz/make_net_seeds.py" "$seeds/net_input"
python3 "$root/tests/fuzz/make_tcp_seeds.py" "$seeds/tcp_connection"
python3 "$root/tests/fuzz/make_tcp_pair_seeds.py" "$seeds/tcp_pair"
for target in "${TARGETS[@]}"; do
    zip_seeds "$target" "$seeds/${target%_fuzz}"
done

# The flags toro.sh's run_fuzzer gives: ext2 mutates an image's first 64
# KiB (its metadata), tcp_pair's inputs are a decision byte per frame;
# the kernels' console (stdout) stays quiet.
printf '[libfuzzer]\nmax_len = 65536\nclose_fd_mask = 1\n' >"$OUT/ext2_fuzz.options"
printf '[libfuzzer]\nmax_len = 65536\nclose_fd_mask = 1\n' >"$OUT/net_input_fuzz.options"
printf '[libfuzzer]\nclose_fd_mask = 1\n' >"$OUT/tcp_connection_fuzz.options"
printf '[libfuzzer]\nmax_len = 4096\nclose_fd_mask = 1\n' >"$OUT/tcp_pair_fuzz.options"
