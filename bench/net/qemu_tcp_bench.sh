#!/usr/bin/env bash
# Issue 9, item 12: TCP booted in QEMU (TCG, -device e1000 on a TAP in a
# network namespace), beside the issue's anchors for a Linux guest on the
# same QEMU (542 Mbit/s out without TSO, 776 with; 1.17 Gbit/s in):
#   out   tcpblast.elf sending SECONDS to `iperf -s` (version 2) at the
#         host's end of the TAP (the server's own figure)
#   in    `iperf -c` for SECONDS into echo.elf's discard service (port 9)
# RUNS of each, the median and the range. Then the boot to the first
# answered request: wall time from launching QEMU with webserver.elf (its
# site's image on IDE, user networking with a host forward) until curl,
# asking every 10 ms, each attempt given 250 ms, first gets an HTTP 200, on pc+qboot and pc, beside
# the boot floor measured in the same run (floor.elf: QEMU up, the image
# loaded, and out at its first instruction; bench/boot). Last, the
# footprint: webserver.elf's size and the smallest -m (in MiB, tried from
# 16 down) at which the booted webserver still serves index.html and the
# 5 MiB big.bin byte-exact.
#   bench/net/qemu_tcp_bench.sh [BUILD_DIR] [SECONDS] [RUNS]   (SECONDS 0: no throughput part)
# Needs root, /dev/net/tun and iperf for the throughput part (skipped
# otherwise). Everything it makes is removed on exit.
set -euo pipefail
build="${1:-build-release}"
seconds="${2:-10}"
runs="${3:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
blast="$build/bare/apps/tcpblast.elf" echo_elf="$build/bare/apps/echo.elf"
web="$build/bare/apps/webserver.elf" image="$build/apps/webserver.img"
floor="$build/bare/bench/floor.elf"
for file in "$blast" "$echo_elf" "$web" "$image" "$floor"; do
    [[ -f "$file" ]] || { echo "qemu_tcp_bench: build first: $file" >&2; exit 1; }
done
# shellcheck source=../../tests/integration/net/net_common.sh
source "$here/../../tests/integration/net/net_common.sh"
# shellcheck source=../../hal_bare/qemu_machine.sh
source "$here/../../hal_bare/qemu_machine.sh"

median_range() {  # the numbers on stdin: median min max
    sort -g | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'
}

if [[ "$seconds" -gt 0 && "$(id -u)" -eq 0 && -c /dev/net/tun ]] && command -v iperf >/dev/null; then
    net_setup qemutcp
    in_ns iperf -s -f m >"$WORK/iperf.log" 2>&1 &
    CAPTURE_PID=$!  # net_cleanup ends it
    qemu_tap() {  # ELF APPEND
        in_ns qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp 1 -m 128M \
            -netdev tap,id=n0,ifname=toro0,script=no,downscript=no -device e1000,netdev=n0,romfile= \
            -kernel "$1" -append "$2" </dev/null
    }
    blast_rate() {  # KERNEL_OPTIONS: one run of tcpblast.elf, the server's Mbit/s
        local lines rate
        lines=$(wc -l <"$WORK/iperf.log")
        qemu_tap "$blast" "ip=$TORO_IP/24 $1 -- $LINUX_IP 5001 $seconds" >"$WORK/blast.log" 2>&1 || true
        sleep 0.5
        rate=$(tail -n +"$((lines + 1))" "$WORK/iperf.log" | grep -o '[0-9.]* Mbits/sec' | tail -1 | cut -d' ' -f1)
        [[ -n "$rate" ]] || { echo "qemu_tcp_bench: no figure from iperf" >&2; tr -d '\r' <"$WORK/blast.log" | tail >&2; return 1; }
        echo "out ${1:-(TSO)}: $rate Mbit/s ($(grep -a '^tcpblast: sent' "$WORK/blast.log" | tr -d '\r'))" >&2
        echo "$rate"
    }
    # TORO_PID is the subshell running qemu_tap: QEMU itself is its child,
    # and must be gone (the TAP free) before the next run opens the TAP.
    stop_qemu() {
        local pid
        kill "$TORO_PID" 2>/dev/null || true
        wait "$TORO_PID" 2>/dev/null || true
        TORO_PID=""
        for _ in $(seq 100); do
            local running=0
            for pid in $(ip netns pids "$NS"); do
                if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu-system-x86* ]]; then
                    kill "$pid" 2>/dev/null || true
                    running=1
                fi
            done
            [[ $running -eq 0 ]] && return 0
            sleep 0.1
        done
    }
    out_rates=() plain_rates=() in_rates=()
    for _ in $(seq "$runs"); do
        out_rates+=("$(blast_rate "")") || exit 1
        plain_rates+=("$(blast_rate toro.e1000.tso=off)") || exit 1

        qemu_tap "$echo_elf" "ip=$TORO_IP/24 --" >"$WORK/echo.log" 2>&1 &
        TORO_PID=$!
        for _ in $(seq 300); do in_ns ping -c 1 -W 1 -q "$TORO_IP" >/dev/null 2>&1 && break; done
        rate=$(in_ns iperf -c "$TORO_IP" -p 9 -t "$seconds" -f m | grep -o '[0-9.]* Mbits/sec' | tail -1 | cut -d' ' -f1)
        stop_qemu
        [[ -n "$rate" ]] || { echo "qemu_tcp_bench: no figure from iperf -c"; exit 1; }
        echo "in: $rate Mbit/s" >&2
        in_rates+=("$rate")
    done
    read -r out out_lo out_hi < <(printf '%s\n' "${out_rates[@]}" | median_range)
    read -r plain plain_lo plain_hi < <(printf '%s\n' "${plain_rates[@]}" | median_range)
    read -r in in_lo in_hi < <(printf '%s\n' "${in_rates[@]}" | median_range)
    echo
    echo "TCP booted (QEMU TCG, pc, e1000 on a TAP): medians of $runs runs of $seconds s (range)"
    echo "| direction | Toro | Linux guest (issue's anchor) | ratio |"
    echo "|---|---:|---:|---:|"
    awk -v v="$out" -v lo="$out_lo" -v hi="$out_hi" 'BEGIN {printf "| out: tcpblast.elf to iperf -s, e1000 TSO | %.0f Mbit/s (%.0f-%.0f) | 776 Mbit/s (TSO) | %.2f |\n", v, lo, hi, v / 776}'
    awk -v v="$plain" -v lo="$plain_lo" -v hi="$plain_hi" 'BEGIN {printf "| out: the same, toro.e1000.tso=off | %.0f Mbit/s (%.0f-%.0f) | 542 Mbit/s (no TSO) | %.2f |\n", v, lo, hi, v / 542}'
    awk -v v="$in" -v lo="$in_lo" -v hi="$in_hi" 'BEGIN {printf "| in: iperf -c into echo.elf discard | %.0f Mbit/s (%.0f-%.0f) | 1170 Mbit/s | %.2f |\n", v, lo, hi, v / 1170}'
else
    echo "TCP throughput booted: skipped (needs root, /dev/net/tun and iperf)"
    WORK="$(mktemp -d)"
    trap net_cleanup EXIT
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# boot_to_200 MACHINE MEMORY_MIB: sets BOOT_TIME to the microseconds from
# launching QEMU with the webserver to curl's first 200 for /, or "none"
# within 60 s; QEMU goes on running (BOOT_PID, port BOOT_PORT) until
# stop_boot.
boot_to_200() {
    local port start end pid code=""
    port=$(free_port)
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    qemu-system-x86_64 -nographic -nodefaults -serial null -monitor none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 $(qemu_machine_flags "$1") -smp 1 -m "$2M" \
        -drive "file=$image,format=raw,if=ide,index=0,snapshot=on" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80" -device e1000,netdev=n0,romfile= \
        -kernel "$web" -append "ip=10.0.2.15/24 gw=10.0.2.2 --" </dev/null >"$WORK/web.log" 2>&1 &
    pid=$!
    local give_up=$((start + 60000000000))
    while [[ $(date +%s%N) -lt $give_up ]]; do
        code=$(curl -s -o /dev/null --max-time 0.25 -w '%{http_code}' "http://127.0.0.1:$port/" || true)
        [[ "$code" == 200 ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    end=$(date +%s%N)
    BOOT_PORT=$port BOOT_PID=$pid BOOT_TIME=none
    if [[ "$code" == 200 ]]; then BOOT_TIME=$(((end - start) / 1000)); fi
}
stop_boot() {  # (with set -e, a failing kill in the EXIT trap would end the script with 1)
    [[ -n "$BOOT_PID" ]] || return 0
    kill "$BOOT_PID" 2>/dev/null || true
    wait "$BOOT_PID" 2>/dev/null || true
    BOOT_PID=""
}
BOOT_PID=""
trap 'status=$?; stop_boot; (exit $status); net_cleanup' EXIT
floor_once() {
    local start end
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    qemu-system-x86_64 -nographic -nodefaults -serial null -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 $(qemu_machine_flags "$1") -m 128M \
        -kernel "$floor" </dev/null >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}
echo
echo "Boot to the first answered request (curl's first HTTP 200 for /; webserver.elf, -m 128M, user networking), $runs runs each, interleaved with the floor"
echo "| machine | to first 200, median (min-max) | boot floor, median (min-max) | first 200 / floor |"
echo "|---|---:|---:|---:|"
for machine in qboot pc; do
    boots=() floors=()
    for _ in $(seq "$runs"); do
        boot_to_200 "$machine" 128; stop_boot
        [[ "$BOOT_TIME" != none ]] || { echo "qemu_tcp_bench: no 200 on $machine"; tail "$WORK/web.log"; exit 1; }
        boots+=("$BOOT_TIME")
        floors+=("$(floor_once "$machine")")
    done
    read -r b b_lo b_hi < <(printf '%s\n' "${boots[@]}" | median_range)
    read -r f f_lo f_hi < <(printf '%s\n' "${floors[@]}" | median_range)
    label=$machine; [[ "$machine" == qboot ]] && label="pc+qboot"
    awk -v m="$label" -v b="$b" -v bl="$b_lo" -v bh="$b_hi" -v f="$f" -v fl="$f_lo" -v fh="$f_hi" \
        'BEGIN {printf "| %s | %.0f ms (%.0f-%.0f) | %.0f ms (%.0f-%.0f) | %.2f |\n", m, b/1000, bl/1000, bh/1000, f/1000, fl/1000, fh/1000, b/f}'
done

# The footprint: the smallest -m that still serves the site.
python3 "$here/../../apps/webserver/make_big_file.py" "$WORK/big.want"
serves_at() {  # MEMORY_MIB: 0 if the booted webserver serves / and big.bin byte-exact
    local ok=1
    boot_to_200 qboot "$1"
    if [[ "$BOOT_TIME" != none ]] &&
       curl -s --max-time 60 -o "$WORK/big.got" "http://127.0.0.1:$BOOT_PORT/big.bin" &&
       cmp -s "$WORK/big.got" "$WORK/big.want"; then
        ok=0
    fi
    stop_boot
    return $ok
}
smallest=none
for memory in 16 12 8 6 5 4 3 2; do
    if serves_at "$memory"; then smallest=$memory; else break; fi
done
echo
echo "Footprint: webserver.elf $(stat -c %s "$web") bytes (text+data+bss: $(size "$web" | awk 'NR == 2 {print $4}') bytes);" \
     "the smallest -m (of 16 12 8 6 5 4 3 2 MiB, pc+qboot) that serves / and big.bin byte-exact: ${smallest} MiB"
