#!/usr/bin/env bash
# apps/echo hosted on a TAP inside a namespace, under hostile frames from
# the Linux end (hostile_frames.py, scapy): truncated headers at every
# layer, lying lengths, bad checksums, IP options, overlapping and endless
# fragments, an ARP storm, a UDP flood at closed ports (Toro's unreachables
# within its rate limit). Afterwards the stack's memory (echo's stats port)
# is back to its baseline, ping and UDP echo still work byte-exact, every
# frame Toro sent is valid to tshark, and echo is alive and printed nothing
# but its first line (a fault report or a sanitizer's would show there).
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
net_setup hostile
start_toro "$APPS/echo" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24"
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)
start_capture "ether src $MAC"
check_ping -c 3 -i 0.1 -q

in_ns /usr/bin/python3 "$HERE/hostile_frames.py" toro0 "$MAC" "$TORO_IP" "$LINUX_IP" ||
    { echo "FAIL: hostile frames (echo's output follows)"; cat "$WORK/toro.log"; exit 1; }

kill -0 "$TORO_PID" 2>/dev/null || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
check_ping -c 50 -i 0.01 -q
check_ping -c 5 -i 0.05 -s 8000 -q
in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes 1,8,100,1472,1473,4000,65507
check_capture "$MAC"
kill -0 "$TORO_PID" 2>/dev/null || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
if [[ "$(wc -l <"$WORK/toro.log")" -ne 1 ]]; then
    echo "FAIL: echo printed more than its first line:"; cat "$WORK/toro.log"; exit 1
fi
echo "PASS"
