#!/usr/bin/env bash
# ATA sequential read, PIO against bus-master DMA: disktest (bare, -M pc,
# TCG) reads MB MiB from sector 0 in 1 MiB calls to toro::Disk::read and
# prints the time from toro::now_ns(); RUNS runs of each mode, interleaved
# so that load on a shared host falls on both. Prints the medians and the
# DMA speed-up over PIO (the baseline).
#   bench/ata/ata_bench.sh [BUILD_DIR] [MB] [RUNS]
set -euo pipefail
build="${1:-build}"
megabytes="${2:-32}"
runs="${3:-5}"
elf="$build/bare/apps/disktest.elf"
[[ -f "$elf" ]] || { echo "build first: $elf" >&2; exit 1; }
image="$(mktemp --suffix=.raw)"
trap 'rm -f "$image"' EXIT
head -c "$((megabytes * 1024 * 1024))" /dev/urandom >"$image"

# Prints the nanoseconds of one bench run in MODE (dma | pio).
run_once() {
    local append="bench $megabytes" output
    [[ "$1" == "pio" ]] && append="toro.ata=pio $append"
    output=$(timeout 300 qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp 1 -m 256M \
        -drive "file=$image,format=raw,if=ide" -kernel "$elf" -append "$append" </dev/null 2>&1 || true)
    grep -q ", $1, " <<<"$output" || { echo "not in $1 mode: $output" >&2; exit 1; }
    sed -nE "s/^disktest: bench $megabytes MiB in ([0-9]+) ns.*/\1/p" <<<"$output" | grep . ||
        { echo "no bench line: $output" >&2; exit 1; }
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

pio=() dma=()
for _ in $(seq "$runs"); do
    pio+=("$(run_once pio)")
    dma+=("$(run_once dma)")
done
pio_median=$(printf '%s\n' "${pio[@]}" | median)
dma_median=$(printf '%s\n' "${dma[@]}" | median)
rate() { awk -v ns="$1" -v mb="$megabytes" 'BEGIN {printf "%.1f MiB/s", mb / (ns / 1e9)}'; }
echo "sequential read of $megabytes MiB on QEMU -M pc (TCG), disktest bench, $runs runs each:"
printf "| mode | median | throughput | runs (ms) |\n|---|---:|---:|---|\n"
for mode in pio dma; do
    declare -n times="$mode"
    declare -n mid="${mode}_median"
    printf "| %s | %.1f ms | %s | %s |\n" "$mode" "$(awk -v x="$mid" 'BEGIN {print x / 1e6}')" \
        "$(rate "$mid")" "$(printf '%s\n' "${times[@]}" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1 / 1e6}')"
done
awk -v p="$pio_median" -v d="$dma_median" 'BEGIN {printf "DMA/PIO time ratio %.3f (DMA %.1fx faster; PIO is the baseline)\n", d / p, p / d}'
