#!/usr/bin/env bash
# apps/echo hosted on a TAP inside a namespace, against Linux's own tools:
# ping (200 at 10 ms; 8,000 and 65,507 bytes, fragmented both ways), UDP
# echo of 1 to 65,507 bytes byte-exact, a closed port answered with ICMP,
# and every frame Toro sent valid to tshark, in tshark's own capture on the
# TAP and in Toro's --capture file.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
net_setup echo
start_capture
start_toro "$APPS/echo" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --capture "$WORK/toro.pcap"
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)

check_ping -c 200 -i 0.01 -q
check_ping -c 20 -i 0.05 -s 8000 -q
check_ping -c 3 -i 0.2 -s 65507 -q

in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes edges

# The discard service takes datagrams and answers nothing; a closed port
# answers ICMP port unreachable (ECONNREFUSED on a connected socket).
in_ns python3 - "$TORO_IP" <<'PY'
import socket, sys
host = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"x" * 100, (host, 9))
try:
    s.recvfrom(200)
    sys.exit("FAIL: discard answered")
except socket.timeout:
    pass
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(2)
c.connect((host, 4444))
c.send(b"anyone?")
try:
    c.recv(10)
    sys.exit("FAIL: closed port answered with data")
except ConnectionRefusedError:
    print("closed port: ICMP port unreachable (ECONNREFUSED)")
PY
check_capture "$MAC"
kill -0 "$TORO_PID" || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
# Toro's own --capture (written when it stops) holds both directions.
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
check_pcap "$WORK/toro.pcap" "$MAC" TRUE
received=$(tshark -r "$WORK/toro.pcap" -Y "eth.dst == $MAC && icmp.type == 8" 2>/dev/null | wc -l)
[[ "$received" -ge 223 ]] || { echo "FAIL: --capture holds $received echo requests, not 223"; exit 1; }
echo "PASS"
