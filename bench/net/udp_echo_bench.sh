#!/usr/bin/env bash
# Issue 8, item 17: UDP echo round trips per second with 64 requests in
# flight (bench/net/udp_echo_load.cpp, sendmmsg/recvmmsg, 18-byte
# datagrams: 60-byte frames), measured in the same run against
#   toro     apps/echo hosted on TAP toro0 in a namespace (Toro's TapNic)
#   linux    udp_echo_load's own server (recvmmsg/sendmmsg) in a second
#            namespace, over a veth pair: the baseline
#   reflect  tap_ceiling reflect on TAP refl0: each frame read and written
#            straight back, one read(2) and one write(2), no stack, one
#            thread: the TAP's system calls alone
# and the ceiling, the frames per second one TAP queue carries each way
# (tap_ceiling: 60-byte frames written into the TAP, counted by the
# interface's rx_packets; the host sending through an AF_PACKET socket,
# counted by a reader of the TAP). A round trip is one frame each way.
# The client runs in the first namespace for all three. RUNS rounds, each
# measuring everything once in a shuffled order, SECONDS per measurement;
# prints medians (and ranges) with the baseline beside each and the ratio.
#
#   bench/net/udp_echo_bench.sh [BUILD_DIR] [SECONDS] [RUNS] [TORO_CPUS]
#   bench/net/udp_echo_bench.sh BUILD_DIR --syscalls [SECONDS]
#     strace -c -f of Toro's echo under SECONDS (2) of load: its system
#     calls per frame (frames from echo's own counters, its stats port)
#
# Needs root and /dev/net/tun (skipped otherwise). Everything it makes,
# namespaces (with their TAPs and veths) and processes, is removed on exit.
set -euo pipefail
build="${1:-build-release}"
mode=bench
if [[ "${2:-}" == --syscalls ]]; then
    mode=syscalls
    seconds="${3:-2}"
else
    seconds="${2:-3}"
    runs="${3:-5}"
fi
toro_cpus="${4:-1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
load="$build/bench/udp_echo_load"
ceiling="$build/bench/tap_ceiling"
echo_app="$build/apps/echo"
for program in "$load" "$ceiling" "$echo_app"; do
    [[ -x "$program" ]] || { echo "udp_echo_bench: build first: $program" >&2; exit 1; }
done
if [[ "$(id -u)" -ne 0 || ! -c /dev/net/tun ]]; then
    echo "udp echo bench skipped: needs root and /dev/net/tun"
    exit 0
fi
# shellcheck source=../../tests/integration/net/net_common.sh
source "$here/../../tests/integration/net/net_common.sh"

REFLECT_IP=198.18.2.2 LINUX_SERVER_IP=198.18.1.2
PIDS=()
bench_cleanup() {
    local status=$?
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    [[ -n "${SERVER_NS:-}" ]] && { ip netns pids "$SERVER_NS" | xargs -r kill -9; ip netns del "$SERVER_NS"; } 2>/dev/null
    (exit $status)
    net_cleanup
}
net_setup bench
SERVER_NS="$NS-server"
trap bench_cleanup EXIT
# The server's namespace, reached over a veth pair.
ip netns add "$SERVER_NS"
in_ns ip link add veth0 type veth peer name veth1 netns "$SERVER_NS"
in_ns ip addr add 198.18.1.1/24 dev veth0
in_ns ip link set veth0 up
ip netns exec "$SERVER_NS" ip link set lo up
ip netns exec "$SERVER_NS" ip addr add "$LINUX_SERVER_IP/24" dev veth1
ip netns exec "$SERVER_NS" ip link set veth1 up
# The reflector's TAP (a static ARP entry: it answers no ARP), and one for the ceilings.
in_ns ip tuntap add mode tap name refl0
in_ns ip addr add 198.18.2.1/24 dev refl0
in_ns ip link set refl0 up
in_ns ip neigh add "$REFLECT_IP" lladdr 02:00:00:00:00:02 dev refl0 nud permanent
in_ns ip tuntap add mode tap name ceil0
in_ns ip link set ceil0 up

start_toro "$echo_app" --cpus "$toro_cpus" --nic tap:toro0 --ip "$TORO_IP/24"

# echo's frame counters, from its stats port: "received sent".
frame_counters() {
    in_ns python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"stats", (sys.argv[1], 9998)); line = s.recv(512).decode()
f = dict(w.split("=") for w in line.split()); print(f["received"], f["sent"])' "$TORO_IP"
}
# per_frame RECEIVED SENT < "CALLS NAME" lines: each call's count per frame.
per_frame() {
    awk -v r="$1" -v s="$2" '$1 + 0 > 0 {printf "  %-12s %9d calls  %.3f per frame (%.3f per received frame, %.3f per sent)\n",
                                          $2, $1, $1 / (r + s), $1 / r, $1 / s}'
}
if [[ "$mode" == syscalls ]]; then
    in_ns ping -c 1 -W 2 -q "$TORO_IP" >/dev/null
    # Full speed: the system call tracepoints of echo's threads, counted by perf.
    events=read,writev,write,futex,epoll_wait,epoll_ctl,epoll_pwait,clock_nanosleep,ppoll
    if command -v perf >/dev/null && perf stat -e syscalls:sys_enter_read true >/dev/null 2>&1; then
        read -r received0 sent0 <<<"$(frame_counters)"
        perf stat -x, -e "$(sed 's/[a-z_]*/syscalls:sys_enter_&/g' <<<"$events")" -p "$TORO_PID" \
            -o "$WORK/perf.txt" -- sleep "$(awk -v s="$seconds" 'BEGIN {print s + 0.5}')" &
        perf_pid=$!
        in_ns "$load" client "$TORO_IP" 7 "$seconds"
        wait "$perf_pid"
        read -r received1 sent1 <<<"$(frame_counters)"
        echo "perf stat of echo --cpus $toro_cpus at full speed: frames received $((received1 - received0)), sent $((sent1 - sent0))"
        awk -F, '/syscalls:sys_enter_/ {sub("syscalls:sys_enter_", "", $3); print $1, $3}' "$WORK/perf.txt" |
            per_frame $((received1 - received0)) $((sent1 - sent0))
    fi
    # The baseline's: the Linux server's calls per datagram (veth1's rx_packets).
    if command -v perf >/dev/null && perf stat -e syscalls:sys_enter_read true >/dev/null 2>&1; then
        ip netns exec "$SERVER_NS" "$load" server 7 &
        server_pid=$!
        PIDS+=("$server_pid")
        in_ns ping -c 1 -W 2 -q "$LINUX_SERVER_IP" >/dev/null
        packets() { ip netns exec "$SERVER_NS" cat /sys/class/net/veth1/statistics/rx_packets; }
        before=$(packets)
        perf stat -x, -e syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg -p "$server_pid" \
            -o "$WORK/perf-linux.txt" -- sleep "$(awk -v s="$seconds" 'BEGIN {print s + 0.5}')" &
        perf_pid=$!
        in_ns "$load" client "$LINUX_SERVER_IP" 7 "$seconds"
        wait "$perf_pid"
        datagrams=$(($(packets) - before))
        echo "perf stat of udp_echo_load server: $datagrams datagrams received (veth1's rx_packets), as many sent"
        awk -F, '/syscalls:sys_enter_/ {sub("syscalls:sys_enter_", "", $3); print $1, $3}' "$WORK/perf-linux.txt" |
            per_frame "$datagrams" "$datagrams"
    fi
    # strace -c -f: slows echo (every call stops it), so wakeups batch more.
    kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true
    ip netns exec "$NS" strace -c -f -o "$WORK/strace.txt" "$echo_app" --cpus "$toro_cpus" --nic tap:toro0 \
        --ip "$TORO_IP/24" >"$WORK/toro.log" 2>&1 &
    TORO_PID=$!  # strace's: ip execs it
    for _ in $(seq 100); do grep -q "^echo: " "$WORK/toro.log" && break; sleep 0.1; done
    read -r received0 sent0 <<<"$(frame_counters)"
    in_ns "$load" client "$TORO_IP" 7 "$seconds"
    read -r received1 sent1 <<<"$(frame_counters)"
    kill "$(pgrep -P "$TORO_PID")"; wait "$TORO_PID" 2>/dev/null || true  # echo, under strace
    TORO_PID=""
    echo "strace -c -f of echo --cpus $toro_cpus: frames received $((received1 - received0)), sent $((sent1 - sent0))"
    awk '/^[ 0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ / {print $4, $NF}' "$WORK/strace.txt" |
        per_frame $((received1 - received0)) $((sent1 - sent0)) | awk '$4 >= 0.001 || $2 ~ /read|writev/'
    exit 0
fi

ip netns exec "$SERVER_NS" "$load" server 7 &
PIDS+=($!)
in_ns "$ceiling" reflect refl0 &
PIDS+=($!)
sleep 0.3
in_ns ping -c 1 -W 2 -q "$LINUX_SERVER_IP" >/dev/null
in_ns ping -c 1 -W 2 -q "$TORO_IP" >/dev/null

rate_of() { grep -o 'rate=[0-9]*' | cut -d= -f2; }
measure() {  # NAME: one measurement, its rate on stdout
    case "$1" in
        toro) in_ns "$load" client "$TORO_IP" 7 "$seconds" | tee -a "$WORK/runs.log" | rate_of ;;
        linux) in_ns "$load" client "$LINUX_SERVER_IP" 7 "$seconds" | tee -a "$WORK/runs.log" | rate_of ;;
        reflect) in_ns "$load" client "$REFLECT_IP" 7 "$seconds" | tee -a "$WORK/runs.log" | rate_of ;;
        tap_write)
            local before after
            before=$(in_ns cat /sys/class/net/ceil0/statistics/rx_packets)
            in_ns "$ceiling" write ceil0 "$seconds" >>"$WORK/runs.log"
            after=$(in_ns cat /sys/class/net/ceil0/statistics/rx_packets)
            awk -v n=$((after - before)) -v s="$seconds" 'BEGIN {printf "%.0f\n", n / s}' ;;
        tap_read)
            in_ns "$ceiling" read ceil0 "$seconds" >"$WORK/read.txt" &
            local reader=$!
            sleep 0.1
            in_ns "$ceiling" send ceil0 "$seconds"
            wait "$reader"
            tee -a "$WORK/runs.log" <"$WORK/read.txt" | rate_of ;;
    esac
}
names=(toro linux reflect tap_write tap_read)
declare -A results
for round in $(seq "$runs"); do
    for name in $(printf '%s\n' "${names[@]}" | shuf); do
        value=$(measure "$name")
        results[$name]+="$value "
        echo "round $round: $name $value" >&2
    done
done
kill -0 "$TORO_PID" 2>/dev/null || { echo "udp_echo_bench: echo died"; cat "$WORK/toro.log"; exit 1; }

stat_of() {  # median min max of the values
    tr ' ' '\n' <<<"$1" | grep . | sort -n |
        awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'
}
read -r toro toro_lo toro_hi <<<"$(stat_of "${results[toro]}")"
read -r linux linux_lo linux_hi <<<"$(stat_of "${results[linux]}")"
read -r reflect reflect_lo reflect_hi <<<"$(stat_of "${results[reflect]}")"
read -r tap_write write_lo write_hi <<<"$(stat_of "${results[tap_write]}")"
read -r tap_read read_lo read_hi <<<"$(stat_of "${results[tap_read]}")"
echo
echo "UDP echo, 64 requests in flight, 18-byte datagrams; medians of $runs interleaved runs of $seconds s (range)"
echo "| measure | Toro | baseline | baseline is | ratio |"
echo "|---|---:|---:|---|---:|"
row() {  # LABEL VALUE LO HI BASE BASE_LO BASE_HI BASE_LABEL
    awk -v l="$1" -v v="$2" -v lo="$3" -v hi="$4" -v b="$5" -v blo="$6" -v bhi="$7" -v bl="$8" \
        'BEGIN {printf "| %s | %.1f k (%.1f-%.1f) | %.1f k (%.1f-%.1f) | %s | %.2f |\n",
                l, v / 1000, lo / 1000, hi / 1000, b / 1000, blo / 1000, bhi / 1000, bl, v / b}'
}
row "UDP echo round trips/s (echo --cpus $toro_cpus on a TAP)" "$toro" "$toro_lo" "$toro_hi" \
    "$linux" "$linux_lo" "$linux_hi" "udp_echo_load server over a veth pair"
row "UDP echo round trips/s" "$toro" "$toro_lo" "$toro_hi" \
    "$reflect" "$reflect_lo" "$reflect_hi" "tap_ceiling reflect: read + write a frame, one thread, no stack"
row "frames/s Toro writes into its TAP (one per round trip)" "$toro" "$toro_lo" "$toro_hi" \
    "$tap_write" "$write_lo" "$write_hi" "tap_ceiling write: 60-byte frames, one write(2) each"
row "frames/s Toro reads from its TAP (one per round trip)" "$toro" "$toro_lo" "$toro_hi" \
    "$tap_read" "$read_lo" "$read_hi" "tap_ceiling read: the host sending 64 per sendmmsg"
