#!/usr/bin/env bash
# Sequential read of a 256 MiB file from an ext2 image, hosted:
#   toro:    fstool --disk IMG,ro -- cat /big   (ext2 + block cache + file disk)
#   debugfs: debugfs -R "dump /big /dev/null" IMG   (e2fsprogs' own reader)
#   cat:     cat IMG > /dev/null                 (the host reading the image file)
# Runs interleaved, RUNS rounds, with the image in the page cache for all
# three (one warm-up round first); prints medians and ratios.
# Usage: bench/fs/read_bench.sh [BUILD_DIR] [RUNS] [SIZE_MIB]
set -euo pipefail
build="${1:-build-release}"
runs="${2:-7}"
size_mib="${3:-256}"
export PATH="$PATH:/sbin:/usr/sbin"
fstool="$build/apps/fstool"
[[ -x "$fstool" ]] || { echo "read_bench: $fstool not built" >&2; exit 1; }
work="$(mktemp -d /tmp/toro-read-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/tree"
head -c "$((size_mib << 20))" /dev/urandom > "$work/tree/big"
mke2fs -q -F -t ext2 -b 4096 -d "$work/tree" "$work/image" "$((size_mib + size_mib / 16 + 8))M"
rm -rf "$work/tree"

python3 - "$fstool" "$work/image" "$runs" "$size_mib" <<'PY'
import statistics, subprocess, sys, time
fstool, image, runs, size_mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
commands = {
    "toro": [fstool, "--memory", "256M", "--disk", image + ",ro", "--", "cat", "/big"],
    "debugfs": ["debugfs", "-R", "dump /big /dev/null", image],
    "cat": ["cat", image],
}
times = {name: [] for name in commands}
for round_ in range(runs + 1):
    for name, command in commands.items():
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        elapsed = time.perf_counter() - start
        if round_ > 0:  # round 0 warms the page cache
            times[name].append(elapsed)
median = {name: statistics.median(values) for name, values in times.items()}
print(f"sequential read of a {size_mib} MiB file, median of {runs} interleaved runs")
for name in commands:
    mib_s = size_mib / median[name]
    print(f"  {name:8s} {median[name] * 1000:9.1f} ms  {mib_s:8.0f} MiB/s")
print(f"  toro/debugfs {median['toro'] / median['debugfs']:.2f}   toro/cat {median['toro'] / median['cat']:.2f}")
PY
