#!/usr/bin/env bash
# apps/echo on a TAP with the fault injector on its NIC (loss, duplicates,
# reordering, delay with jitter, both ways; corruption would make frames
# tshark rightly calls bad, and is tested in faulty_nic_test): a retrying client
# still gets every echo request and every UDP datagram back byte-exact, and
# Toro sends nothing malformed.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
net_setup faults
start_capture
start_toro "$APPS/echo" --cpus 2 --seed 1 --nic tap:toro0 --ip "$TORO_IP/24" \
    --net-faults loss=0.1,dup=0.05,reorder=0.1,delay=2,jitter=2
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)
in_ns python3 "$HERE/icmp_echo_client.py" "$TORO_IP" 200 56
in_ns python3 "$HERE/icmp_echo_client.py" "$TORO_IP" 20 8000
in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --tries 30 --timeout 0.3 \
    --sizes 1,2,64,512,1000,1472,1473,1500,2000,2952,2953,4000,5000,6000,8000
check_capture "$MAC" per-frame
kill -0 "$TORO_PID" || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
echo "PASS"
