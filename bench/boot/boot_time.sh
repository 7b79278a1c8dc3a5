#!/usr/bin/env bash
# Boot time to kernel_main, per QEMU machine: wall time from launching QEMU
# until it exits, for the probe (real entry code, kernel_main exits at once)
# and the floor (exits at its first instruction), RUNS times each,
# interleaved probe/floor so that load on a shared machine falls on both.
# Then the guest instructions the probe executes in its own image before
# kernel_main (QEMU single-step trace), and the image sizes.
#   bench/boot/boot_time.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build="${1:-build}"
runs="${2:-20}"
probe="$build/bare/bench/bootprobe.elf"
floor="$build/bare/bench/floor.elf"
[[ -f "$probe" && -f "$floor" ]] || { echo "build first: $probe, $floor" >&2; exit 1; }

# shellcheck source=../../hal_bare/qemu_machine.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../hal_bare/qemu_machine.sh"

# Prints the wall time of one boot in microseconds.
boot_once() {
    local start end
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    qemu-system-x86_64 -nographic -nodefaults -serial null -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 $(qemu_machine_flags "$1") -m 256M \
        -kernel "$2" </dev/null >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}

# median min max of the numbers on stdin
summary() {
    sort -n | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
                                     printf "%d %d %d\n", m, v[1], v[NR]}'
}

echo "| machine | probe median (min-max) | floor median (min-max) | probe/floor |"
echo "|---|---:|---:|---:|"
for machine in pc qboot q35 microvm; do
    probe_times=() floor_times=()
    for _ in $(seq "$runs"); do
        probe_times+=("$(boot_once "$machine" "$probe")")
        floor_times+=("$(boot_once "$machine" "$floor")")
    done
    read -r pm pmin pmax < <(printf '%s\n' "${probe_times[@]}" | summary)
    read -r fm fmin fmax < <(printf '%s\n' "${floor_times[@]}" | summary)
    ratio=$(awk -v p="$pm" -v f="$fm" 'BEGIN {printf "%.3f", p / f}')
    printf "| %s | %.1f ms (%.1f-%.1f) | %.1f ms (%.1f-%.1f) | %s |\n" "$machine" \
        "$(awk -v x="$pm" 'BEGIN{print x/1000}')" "$(awk -v x="$pmin" 'BEGIN{print x/1000}')" \
        "$(awk -v x="$pmax" 'BEGIN{print x/1000}')" "$(awk -v x="$fm" 'BEGIN{print x/1000}')" \
        "$(awk -v x="$fmin" 'BEGIN{print x/1000}')" "$(awk -v x="$fmax" 'BEGIN{print x/1000}')" "$ratio"
done

# Instructions in the image before kernel_main, counted from a one-
# instruction-per-block execution trace (firmware instructions excluded).
trace="$(mktemp)"
trap 'rm -f "$trace"' EXIT
qemu-system-x86_64 -nographic -nodefaults -serial null -monitor none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M microvm -m 256M -kernel "$probe" \
    -singlestep -d exec,nochain -D "$trace" </dev/null >/dev/null 2>&1 || true
hex16() { printf '%016x' "0x$1"; }
low=$(hex16 "$(nm "$probe" | awk '$3 == "__image_start" {print $1}')")
high=$(hex16 "$(nm "$probe" | awk '$3 == "__image_end" {print $1}')")
stop=$(hex16 "$(nm "$probe" | awk '$3 == "_Z11kernel_mainRKN3hal8BootInfoE" {print $1}')")
count=$(awk -F'[][/]' -v lo="$low" -v hi="$high" -v stop="$stop" \
    '{pc = $3; if (pc == stop) {print n; found = 1; exit} if (pc >= lo && pc < hi) n++}
     END {if (!found) print "not reached"}' "$trace")
echo
echo "instructions executed in the image before kernel_main (microvm, multiboot): $count"
echo
echo "image sizes:"
for elf in "$build"/bare/apps/*.elf "$probe" "$floor"; do
    printf "  %-16s %7d bytes\n" "$(basename "$elf")" "$(stat -c %s "$elf")"
done
