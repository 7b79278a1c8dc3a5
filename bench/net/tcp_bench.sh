#!/usr/bin/env bash
# Issue 9, items 10 and 11: hosted TCP against Linux, measured in one run.
#   bulk out   apps/tcpblast on TAP toro2 sending to `iperf -s` (version 2)
#              at the Linux end of the TAP, with the TAP's segmentation
#              offload (TSO) and without (offload=off), a 1 MiB send
#              buffer; baselines: `iperf -c` from the same namespace to
#              `iperf -s` in a second namespace over a veth pair with
#              segmentation and receive offloads off (both stacks then
#              move MTU-sized frames one by one), and over a second pair
#              with them on
#   bulk in    `iperf -c` into apps/echo's discard service (port 9);
#              baseline: the same into `iperf -s` over the veth pair
#   http       `wrk -t1 -cC --latency` for a 1 KiB and a 64 KiB file from
#              apps/webserver (--cpus 1) on the TAP; baseline: nginx with
#              one worker and `sendfile on` serving the same files over the
#              veth pair; requests/s and p99 latency
# RUNS rounds, each measuring everything once in a shuffled order, SECONDS
# per measurement; prints medians (and ranges) with each baseline beside
# it and the ratio.
#   bench/net/tcp_bench.sh [BUILD_DIR] [SECONDS] [RUNS]
# Needs root, /dev/net/tun, iperf, wrk and nginx (skipped otherwise).
# Everything it makes, namespaces (with their TAPs and veths), files and
# processes, is removed on exit.
set -euo pipefail
build="${1:-build-release}"
seconds="${2:-5}"
runs="${3:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for program in "$build/apps/tcpblast" "$build/apps/echo" "$build/apps/webserver"; do
    [[ -x "$program" ]] || { echo "tcp_bench: build first: $program" >&2; exit 1; }
done
if [[ "$(id -u)" -ne 0 || ! -c /dev/net/tun ]]; then
    echo "tcp bench skipped: needs root and /dev/net/tun"; exit 0
fi
for tool in iperf wrk nginx; do
    command -v "$tool" >/dev/null || { echo "tcp bench skipped: needs $tool"; exit 0; }
done
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
# shellcheck source=../../tests/integration/net/net_common.sh
source "$here/../../tests/integration/net/net_common.sh"

LINUX_SERVER_IP=198.18.1.2
PIDS=()
bench_cleanup() {
    local status=$?
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    [[ -n "${SERVER_NS:-}" ]] && { ip netns pids "$SERVER_NS" | xargs -r kill -9; ip netns del "$SERVER_NS"; } 2>/dev/null
    (exit $status)
    net_cleanup
}
net_setup tcpbench
SERVER_NS="$NS-server"
trap bench_cleanup EXIT
in_server() { ip netns exec "$SERVER_NS" "$@"; }
ip netns add "$SERVER_NS"
in_ns ip link add veth0 type veth peer name veth1 netns "$SERVER_NS"
in_ns ip addr add 198.18.1.1/24 dev veth0
in_ns ip link set veth0 up
in_server ip link set lo up
in_server ip addr add "$LINUX_SERVER_IP/24" dev veth1
in_server ip link set veth1 up
for side in "in_ns veth0" "in_server veth1"; do
    read -r run device <<<"$side"
    $run ethtool -K "$device" tso off gso off gro off lro off tx-checksumming off rx off >/dev/null 2>&1 || true
done
# A second pair with Linux's offloads left on (TSO, GSO, GRO): the
# baseline for Toro's own segmentation offload.
LINUX_OFFLOAD_IP=198.18.4.2
in_ns ip link add veth2 type veth peer name veth3 netns "$SERVER_NS"
in_ns ip addr add 198.18.4.1/24 dev veth2
in_ns ip link set veth2 up
in_server ip addr add "$LINUX_OFFLOAD_IP/24" dev veth3
in_server ip link set veth3 up

# The site: the same two files for the webserver (an ext2 image) and nginx.
SITE="$WORK/site"
chmod 755 "$WORK"  # nginx's worker runs as www-data
mkdir -p "$SITE"
head -c 1024 /dev/urandom >"$SITE/1k.bin"
head -c 65536 /dev/urandom >"$SITE/64k.bin"
truncate -s 8M "$WORK/site.img"
"$MKE2FS" -q -t ext2 -d "$SITE" -F "$WORK/site.img" >/dev/null
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server { listen $LINUX_SERVER_IP:80; root $SITE; }
}
CONF
in_server nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
PIDS+=($!)
in_server iperf -s -f m >"$WORK/iperf-linux.log" 2>&1 &
PIDS+=($!)
in_ns iperf -s -f m >"$WORK/iperf-tap.log" 2>&1 &
PIDS+=($!)

# Each Toro app on a TAP of its own, in a /24 of its own: echo on toro0
# (198.18.0.2), the webserver on toro1 (198.18.2.2), tcpblast on toro2
# (198.18.3.2, sending to the namespace's 198.18.3.1).
WEB_IP=198.18.2.2 BLAST_IP=198.18.3.2 BLAST_PEER=198.18.3.1
for tap in "toro1 198.18.2.1" "toro2 $BLAST_PEER"; do
    read -r name address <<<"$tap"
    in_ns ip tuntap add mode tap name "$name"
    in_ns ip addr add "$address/24" dev "$name"
    in_ns ip link set "$name" up
done
start_toro "$build/apps/echo" --cpus 1 --nic tap:toro0 --ip "$TORO_IP/24"
PIDS+=("$TORO_PID")
TORO_PID=""
ip netns exec "$NS" "$build/apps/webserver" --cpus 1 --nic tap:toro1 --ip "$WEB_IP/24" \
    --disk "$WORK/site.img,ro" -- --root / >"$WORK/web.log" 2>&1 &
PIDS+=($!)
ready() {  # RUN URL: waits until URL answers
    for _ in $(seq 100); do
        $1 curl -s -o /dev/null --max-time 1 "$2" && return 0; sleep 0.2
    done
    return 1
}
ready in_ns "http://$WEB_IP/1k.bin" || { echo "tcp_bench: no webserver"; cat "$WORK/web.log"; exit 1; }
ready in_server "http://$LINUX_SERVER_IP/1k.bin" || { echo "tcp_bench: no nginx"; cat "$WORK/nginx.error.log"; exit 1; }
for address in "$WEB_IP" "$LINUX_SERVER_IP"; do
    in_ns curl -sS -o "$WORK/got.bin" "http://$address/64k.bin"
    cmp -s "$WORK/got.bin" "$SITE/64k.bin" || { echo "tcp_bench: $address serves other bytes"; exit 1; }
done

# The last "N Mbits/sec" an iperf server log gained since it had LINES lines.
server_rate() {  # LOG LINES
    tail -n +"$(($2 + 1))" "$1" | grep -o '[0-9.]* Mbits/sec' | tail -1 | cut -d' ' -f1
}
# wrk's requests/s and p99 (ms) from its --latency report.
wrk_figures() {
    awk '/Requests\/sec:/ {r = $2} /^ +99%/ {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         p = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v}
         /Non-2xx|Socket errors/ {e = 1}
         END {if (e) print "errors"; else printf "%.0f %.2f\n", r, p}'
}
measure() {  # NAME: one measurement on stdout (Mbit/s, or "req/s p99_ms")
    local lines
    case "$1" in
        out_toro | out_toro_plain)
            # A 1 MiB send buffer (iperf's own grows to 4 MiB).
            local nic=tap:toro2
            [[ "$1" == out_toro_plain ]] && nic=tap:toro2,offload=off
            lines=$(wc -l <"$WORK/iperf-tap.log")
            in_ns "$build/apps/tcpblast" --cpus 1 --nic "$nic" --ip "$BLAST_IP/24" -- \
                "$BLAST_PEER" 5001 "$seconds" 1024 >>"$WORK/runs.log" 2>&1
            sleep 0.5
            server_rate "$WORK/iperf-tap.log" "$lines" ;;
        out_linux | out_linux_offload)
            local server=$LINUX_SERVER_IP
            [[ "$1" == out_linux_offload ]] && server=$LINUX_OFFLOAD_IP
            lines=$(wc -l <"$WORK/iperf-linux.log")
            in_ns iperf -c "$server" -t "$seconds" -f m >>"$WORK/runs.log" 2>&1
            sleep 0.5
            server_rate "$WORK/iperf-linux.log" "$lines" ;;
        in_toro)
            in_ns iperf -c "$TORO_IP" -p 9 -t "$seconds" -f m | tee -a "$WORK/runs.log" |
                grep -o '[0-9.]* Mbits/sec' | tail -1 | cut -d' ' -f1 ;;
        in_linux)
            in_ns iperf -c "$LINUX_SERVER_IP" -t "$seconds" -f m | tee -a "$WORK/runs.log" |
                grep -o '[0-9.]* Mbits/sec' | tail -1 | cut -d' ' -f1 ;;
        http_*)
            local who size connections address
            IFS=_ read -r _ who size connections <<<"$1"
            address=$WEB_IP; [[ "$who" == linux ]] && address=$LINUX_SERVER_IP
            in_ns wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://$address/$size.bin" |
                tee -a "$WORK/runs.log" | wrk_figures ;;
    esac
}
names=(out_toro out_toro_plain out_linux out_linux_offload in_toro in_linux)
for size in 1k 64k; do
    for connections in 16 64; do names+=("http_toro_${size}_$connections" "http_linux_${size}_$connections"); done
done
declare -A results
for round in $(seq "$runs"); do
    for name in $(printf '%s\n' "${names[@]}" | shuf); do
        value=$(measure "$name")
        [[ -n "$value" && "$value" != errors ]] ||
            { echo "tcp_bench: $name gave no figure ('$value'); its log:"; tail -30 "$WORK/runs.log"; exit 1; }
        results[$name]+="${value// /,} "
        echo "round $round: $name $value" >&2
    done
done

stat_of() {  # FIELD VALUES: median min max of field FIELD (1 or 2) of comma pairs
    tr ' ' '\n' <<<"$2" | grep . | cut -d, -f"$1" | sort -g |
        awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'
}
echo
echo "Hosted TCP: medians of $runs interleaved runs of $seconds s (range)"
echo "| measure | Toro | baseline | baseline is | ratio |"
echo "|---|---:|---:|---|---:|"
row() {  # LABEL UNIT TORO_NAME LINUX_NAME FIELD BASELINE_LABEL
    local t l
    t=$(stat_of "$5" "${results[$3]}") l=$(stat_of "$5" "${results[$4]}")
    awk -v label="$1" -v unit="$2" -v t="$t" -v l="$l" -v bl="$6" 'BEGIN {
        split(t, a, " "); split(l, b, " ");
        printf "| %s | %s %s (%s-%s) | %s %s (%s-%s) | %s | %.2f |\n",
               label, a[1], unit, a[2], a[3], b[1], unit, b[2], b[3], bl, a[1] / b[1]}'
}
row "bulk TCP out: tcpblast (TSO) to iperf -s over a TAP" "Mbit/s" out_toro out_linux 1 \
    "iperf -c to iperf -s, veth, offloads off"
row "bulk TCP out: tcpblast (TSO) to iperf -s over a TAP" "Mbit/s" out_toro out_linux_offload 1 \
    "iperf -c to iperf -s, veth, offloads on"
row "bulk TCP out: tcpblast (offload=off) to iperf -s over a TAP" "Mbit/s" out_toro_plain out_linux 1 \
    "iperf -c to iperf -s, veth, offloads off"
row "bulk TCP in: iperf -c into echo's discard over a TAP" "Mbit/s" in_toro in_linux 1 \
    "iperf -c to iperf -s, veth, offloads off"
for size in 1k 64k; do
    for connections in 16 64; do
        row "wrk -t1 -c$connections, $size file: webserver --cpus 1, req/s" "" \
            "http_toro_${size}_$connections" "http_linux_${size}_$connections" 1 "nginx, 1 worker, sendfile, veth"
        row "wrk -t1 -c$connections, $size file: p99 latency" "ms" \
            "http_toro_${size}_$connections" "http_linux_${size}_$connections" 2 "the same nginx"
    done
done
