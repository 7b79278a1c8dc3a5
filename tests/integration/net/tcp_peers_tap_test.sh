#!/usr/bin/env bash
# apps/echo hosted on a TAP inside a namespace, against Linux's own tools:
# nc to a closed port is refused by Toro's RST; `iperf -c` (version 2)
# sends 256 MiB into the discard service; 500 connections opened, echoed and
# closed in a loop (half closed by the client's FIN, half by its RST)
# leave the stack's TCP memory at its baseline: no connection, no buffer.
# Every frame Toro sent valid to tshark.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
for tool in nc iperf; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (Debian packages netcat-openbsd, iperf)"; exit 1; }
done
net_setup tcppeers
start_toro "$APPS/echo" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --capture "$WORK/toro.pcap"
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)

# stats_line: echo's figures (its UDP stats port), one "key=value ..." line.
stats_line() {
    in_ns python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b"stats", (sys.argv[1], 9998)); print(s.recv(1024).decode().strip())' "$TORO_IP"
}
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
baseline=$(stats_line)
echo "baseline: $baseline"

# A closed port: nc hears "Connection refused" (a RST), at once.
refused=$(in_ns timeout 10 nc -v -w 5 "$TORO_IP" 4444 </dev/null 2>&1 || true)
grep -q "refused" <<<"$refused" || { echo "FAIL: nc to a closed port: $refused"; exit 1; }
echo "nc to port 4444: $refused"

# iperf 2 into discard: 256 MiB (not a time: the capture's size, and the
# minutes tshark takes to read it, would grow with the build's speed), and
# it must report what it sent.
report=$(in_ns timeout 120 iperf -c "$TORO_IP" -p 9 -n 256M -f m 2>&1) || { echo "FAIL: iperf: $report"; exit 1; }
rate=$(grep -o '[0-9.]* Mbits/sec' <<<"$report" | tail -1)
[[ -n "$rate" ]] || { echo "FAIL: iperf gave no rate: $report"; exit 1; }
echo "iperf -c into discard, 256 MiB: $(grep -o '[0-9.]* [MG]Bytes' <<<"$report" | tail -1), $rate"

# 500 connections in a loop, each echoing its number.
in_ns timeout 120 python3 - "$TORO_IP" <<'PY'
import socket, struct, sys
for i in range(500):
    s = socket.create_connection((sys.argv[1], 7), timeout=10)
    message = b"connection %d\n" % i
    s.sendall(message)
    got = b""
    while len(got) < len(message):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("FAIL: connection %d: the echo ended early" % i)
        got += chunk
    if got != message:
        sys.exit("FAIL: connection %d echoed %r" % (i, got))
    if i % 2:  # a reset, not a FIN
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
print("500 connections opened, echoed and closed (250 by FIN, 250 by RST)")
PY
# Back at the baseline: the listeners alone, no buffer held, within 5 s
# (the last connections' FIN handshakes finish first).
for _ in $(seq 50); do
    after=$(stats_line)
    [[ "$(field "$after" tcp_sockets)" == "$(field "$baseline" tcp_sockets)" &&
       "$(field "$after" tcp_buffers)" == "$(field "$baseline" tcp_buffers)" ]] && break
    sleep 0.1
done
echo "after: $after"
[[ "$(field "$after" tcp_sockets)" == "$(field "$baseline" tcp_sockets)" ]] ||
    { echo "FAIL: TCP sockets not back at the baseline"; exit 1; }
[[ "$(field "$after" tcp_buffers)" == "$(field "$baseline" tcp_buffers)" ]] ||
    { echo "FAIL: TCP buffer memory not back at the baseline"; exit 1; }
[[ "$(field "$after" pool_in_use)" == "$(field "$baseline" pool_in_use)" ]] ||
    echo "note: packet pool in use $(field "$after" pool_in_use), baseline $(field "$baseline" pool_in_use)"
kill -0 "$TORO_PID" || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
check_pcap "$WORK/toro.pcap" "$MAC" TRUE "tcp.analysis.zero_window || tcp.analysis.window_full || tcp.connection.rst"
echo "PASS"
