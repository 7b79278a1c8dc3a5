#!/usr/bin/env bash
# The bare NIC under QEMU (TCG, -device e1000 on -netdev tap in a network
# namespace): how many 60-byte frames a second Toro sends (udpblast.elf
# for SECONDS, the datagrams counted by a UDP socket on the host's end of
# the TAP), and ping's round-trip time to echo.elf (min and avg of COUNT
# pings at 10 ms), beside the issue's anchors for a Linux guest on the
# same QEMU: 41.7 k frames/s and 0.10 ms minimum RTT.
#   bench/net/net_bench.sh [BUILD_DIR] [SECONDS] [COUNT] [RUNS]
# RUNS blasts (default 3): the median, and the range; TCG's speed follows
# the host's load, so the range is wide on a shared machine.
# Needs root and /dev/net/tun (skipped otherwise). Everything it makes is
# removed on exit.
set -euo pipefail
build="${1:-build}"
seconds="${2:-5}"
count="${3:-500}"
runs="${4:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
blast="$build/bare/apps/udpblast.elf"
echo_elf="$build/bare/apps/echo.elf"
[[ -f "$blast" && -f "$echo_elf" ]] || { echo "build first: $blast, $echo_elf" >&2; exit 1; }
# shellcheck source=../../tests/integration/net/net_common.sh
source "$here/../../tests/integration/net/net_common.sh"
if [[ "$(id -u)" -ne 0 || ! -c /dev/net/tun ]]; then
    echo "net bench skipped: needs root and /dev/net/tun"
    exit 0
fi
net_setup bench
PORT=9000
LINUX_FRAMES=41700 LINUX_RTT_MIN=0.10

qemu() {  # ELF APPEND: QEMU in the namespace, serial output on stdout
    in_ns qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp 1 -m 128M \
        -netdev tap,id=n0,ifname=toro0,script=no,downscript=no -device e1000,netdev=n0,romfile= \
        -kernel "$1" -append "$2" </dev/null
}

# Transmit: one blast; the host counts datagrams until 2 s of silence
# after the first. Prints the host's frames per second.
blast_once() {
    in_ns python3 - "$LINUX_IP" "$PORT" >"$WORK/count.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(60)
s.recv(2048)
first = last = time.monotonic()
n = 1
s.settimeout(2)
try:
    while True:
        s.recv(2048)
        n += 1
        last = time.monotonic()
except socket.timeout:
    pass
print(n, last - first)
PY
    CAPTURE_PID=$!  # net_cleanup ends it, pass or fail
    sleep 0.5
    local before after received span
    before=$(in_ns cat /sys/class/net/toro0/statistics/rx_packets)
    qemu "$blast" "ip=$TORO_IP/24 -- $LINUX_IP $PORT $seconds" >"$WORK/blast.log" 2>&1 || true
    wait "$CAPTURE_PID" || true
    CAPTURE_PID=""
    after=$(in_ns cat /sys/class/net/toro0/statistics/rx_packets)
    read -r received span <"$WORK/count.txt"
    echo "$(grep -a "^udpblast: sent" "$WORK/blast.log" | tr -d '\r')" >&2
    echo "  host: $received datagrams in $span s; the TAP took $((after - before)) frames" >&2
    awk -v n="$received" -v s="$span" 'BEGIN {printf "%.0f\n", n / s}'
}
rates=()
for _ in $(seq "$runs"); do rates+=("$(blast_once)"); done
read -r frames_per_second frames_min frames_max < <(printf '%s\n' "${rates[@]}" | sort -n |
    awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}')

# Round trip: echo.elf answers ping.
qemu "$echo_elf" "ip=$TORO_IP/24 --" >"$WORK/echo.log" 2>&1 &
TORO_PID=$!
for _ in $(seq 300); do grep -aq "^echo: " "$WORK/echo.log" && break; sleep 0.1; done
in_ns ping -c 1 -W 5 -q "$TORO_IP" >/dev/null  # QEMU holds frames for 1 s after RCTL is set
# ping -i INTERVAL: prints "min avg" in ms.
ping_rtt() {
    in_ns ping -c "$count" -i "$1" -q "$TORO_IP" | grep -o 'rtt min/avg/max/mdev = [0-9./]*' |
        awk -F'[=/ ]+' '{print $6, $7}'
}
read -r rtt_min rtt_avg <<<"$(ping_rtt 0.01)"
read -r fast_min fast_avg <<<"$(ping_rtt 0.001)"

echo
echo "| measure | Toro (bare, e1000, TCG) | Linux guest (issue's anchor) | Toro / Linux |"
echo "|---|---:|---:|---:|"
awk -v t="$frames_per_second" -v lo="$frames_min" -v hi="$frames_max" -v l="$LINUX_FRAMES" -v r="$runs" \
    'BEGIN {printf "| 60-byte UDP frames sent per second, counted on the host (median of %d, range) | %.1f k (%.1f-%.1f) | %.1f k | %.2f |\n", r, t / 1000, lo / 1000, hi / 1000, l / 1000, t / l}'
for row in "10 $rtt_min $rtt_avg" "1 $fast_min $fast_avg"; do
    read -r interval min avg <<<"$row"
    awk -v t="$min" -v l="$LINUX_RTT_MIN" -v a="$avg" -v n="$count" -v i="$interval" \
        'BEGIN {printf "| ping round trip, min (avg), %d at %d ms | %.3f ms (%.3f) | %.2f ms | %.2f |\n", n, i, t, a, l, t / l}'
done
