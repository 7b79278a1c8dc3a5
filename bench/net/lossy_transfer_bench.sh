#!/usr/bin/env bash
# Loss recovery: how long curl takes to fetch a 5 MiB file from the hosted
# apps/webserver on a TAP, through the kernel's fault injector (loss 5 %
# both ways; then loss with duplicates, reordering and 2 ms of delay and
# jitter, net.webserver.tap.faults's mix), against the same fetch with no
# faults, measured in the same run. A loss the sender misses waits out the
# 200 ms minimum RTO, so the time is mostly the count of those waits.
# BASELINE_WEBSERVER=PATH also times an older build's webserver in the
# same rounds (how the session-20 loss-recovery change was measured).
# RUNS rounds, each measuring everything once in a shuffled order; prints
# medians (and ranges) and the ratio to the fault-free fetch.
#   bench/net/lossy_transfer_bench.sh [BUILD_DIR] [RUNS]
# Needs root, /dev/net/tun and curl (skipped otherwise). The namespace,
# its TAP, files and processes are removed on exit.
set -euo pipefail
build="${1:-build-release}"
runs="${2:-3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -x "$build/apps/webserver" ]] || { echo "lossy_transfer_bench: build first: $build/apps/webserver" >&2; exit 1; }
if [[ "$(id -u)" -ne 0 || ! -c /dev/net/tun ]]; then
    echo "lossy transfer bench skipped: needs root and /dev/net/tun"; exit 0
fi
command -v curl >/dev/null || { echo "lossy transfer bench skipped: needs curl"; exit 0; }
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
# shellcheck source=../../tests/integration/net/net_common.sh
source "$here/../../tests/integration/net/net_common.sh"
net_setup lossybench
mkdir -p "$WORK/site"
head -c 5242883 /dev/urandom >"$WORK/site/big.bin"
truncate -s 16M "$WORK/site.img"
"$MKE2FS" -q -t ext2 -d "$WORK/site" -F "$WORK/site.img" >/dev/null

declare -A FAULTS=([none]="" [loss]="loss=0.05"
                   [mix]="loss=0.05,dup=0.02,reorder=0.05,delay=2,jitter=2")
SERVERS=("new:$build/apps/webserver")
[[ -n "${BASELINE_WEBSERVER:-}" ]] && SERVERS+=("baseline:$BASELINE_WEBSERVER")

# Seconds for one fetch, byte-exact or the bench fails.
fetch_seconds() {  # SERVER FAULTS
    local faults=()
    [[ -n "$2" ]] && faults=(--net-faults "$2")
    start_toro "$1" --cpus 2 --seed 3 --nic tap:toro0 --ip "$TORO_IP/24" --disk "$WORK/site.img,ro" \
        "${faults[@]}" -- --root / >/dev/null
    local start end
    start=$(date +%s.%N)
    in_ns curl -sS --fail --max-time 300 -o "$WORK/got" "http://$TORO_IP/big.bin"
    end=$(date +%s.%N)
    kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
    cmp -s "$WORK/got" "$WORK/site/big.bin" || { echo "lossy_transfer_bench: the fetch differs" >&2; exit 1; }
    echo "$end - $start" | bc
}

declare -A TIMES
for round in $(seq "$runs"); do
    cases=()
    for server in "${SERVERS[@]}"; do for fault in none loss mix; do cases+=("${server%%:*}/$fault"); done; done
    for item in $(printf '%s\n' "${cases[@]}" | shuf); do
        name="${item%%/*}" fault="${item#*/}"
        for server in "${SERVERS[@]}"; do [[ "${server%%:*}" == "$name" ]] && path="${server#*:}"; done
        TIMES[$item]+="$(fetch_seconds "$path" "${FAULTS[$fault]}") "
    done
    echo "round $round of $runs done"
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
range() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo, hi}'; }
for server in "${SERVERS[@]}"; do
    name="${server%%:*}"
    clean=$(median "${TIMES[$name/none]}")
    for fault in none loss mix; do
        m=$(median "${TIMES[$name/$fault]}")
        printf '%-9s %-5s 5 MiB fetch: median %6.2f s (%s), %5.1fx the fault-free fetch\n' \
            "$name" "$fault" "$m" "$(range "${TIMES[$name/$fault]}")" "$(echo "$m / $clean" | bc -l)"
    done
done
