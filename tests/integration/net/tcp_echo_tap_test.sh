#!/usr/bin/env bash
# TCP of apps/echo hosted on a TAP inside a namespace, against Linux's TCP:
# streams of edge sizes echoed byte-exact, eight at once, 4 MiB discarded,
# a closed port refused; every frame Toro sent valid to tshark (checksums,
# and nothing its TCP analysis flags as malformed), and the stack's TCP
# memory back at its baseline afterwards.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
net_setup tcp
start_toro "$APPS/echo" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --capture "$WORK/toro.pcap"
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)

in_ns timeout 120 python3 "$HERE/tcp_echo_client.py" "$TORO_IP"
# Every connection closed: the two listeners are left, and no buffer.
stats=$(in_ns python3 - "$TORO_IP" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(50):
    s.sendto(b"stats", (sys.argv[1], 9998))
    line = s.recv(1024).decode()
    if "tcp_sockets=2 " in line and "tcp_buffers=0" in line:
        break
    time.sleep(0.1)
print(line.strip())
PY
)
echo "stats: $stats"
[[ "$stats" == *"tcp_sockets=2 "* && "$stats" == *"tcp_buffers=0"* ]] ||
    { echo "FAIL: TCP memory is not back to its baseline"; exit 1; }
kill -0 "$TORO_PID" || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
# Zero windows are flow control (Linux sends faster than echo reads), and
# the closed port's RST is meant.
check_pcap "$WORK/toro.pcap" "$MAC" TRUE "tcp.analysis.zero_window || tcp.connection.rst"
echo "PASS"
