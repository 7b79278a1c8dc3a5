#!/usr/bin/env bash
# apps/webserver hosted on a TAP inside a namespace, against hostile TCP
# peers (hostile_tcp.py, raw segments from the Linux end): a SYN flood
# from thousands of spoofed addresses, RST and ACK floods at a live
# connection (RFC 5961), every TCP option malformed, zero windows, a peer
# that vanishes mid-transfer, slowloris. Throughout, curl fetches files
# byte-exact and the stack's figures (--stats-port) stay within their
# bounds; afterwards they are back at the baseline, the webserver is alive
# and printed nothing but its first lines (a fault report or a
# sanitizer's would show there), and every frame it sent is valid to tshark.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
command -v curl >/dev/null || { echo "FAIL: curl is needed (Debian package curl)"; exit 1; }
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
net_setup hostiletcp
# The flood's spoofed sources are off the link: Toro answers them through
# its gateway, the Linux end, which must not forward (nor answer) them.
in_ns sysctl -qw net.ipv4.ip_forward=0
# Hundreds of connections carry random bytes: on a client port that tshark
# gives a dissector (34980 is EtherCAT's) it reports them malformed. No
# TCP port from 34981 to 44320 has one.
in_ns sysctl -qw net.ipv4.ip_local_port_range="35000 44000"

TREE="$WORK/tree/www"
mkdir -p "$TREE"
head -c 1000 /dev/urandom >"$TREE/small.bin"
head -c 65536 /dev/urandom >"$TREE/64k.bin"
head -c 1048576 /dev/urandom >"$TREE/1m.bin"
head -c 5242883 /dev/urandom >"$TREE/big.bin"
"$MKE2FS" -q -t ext2 -d "$WORK/tree" -F "$WORK/site.img" 16M

# --tcp-syn-retries 3: the flood's half-open connections are given up
# after 15 s rather than two minutes, so the test need not wait that long;
# send and head timeouts of 10 s (not 30) for the same reason.
TIMEOUT=10
start_toro "$APPS/webserver" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --gateway "$LINUX_IP" \
    --tcp-syn-retries 3 --disk "$WORK/site.img,ro" --capture "$WORK/toro.pcap" -- --root /www --stats-port 9998 \
    --send-timeout "$TIMEOUT" --head-timeout "$TIMEOUT"
sleep 0.2
LINES=$(wc -l <"$WORK/toro.log")
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)

WORK="$WORK" in_ns /usr/bin/python3 "$HERE/hostile_tcp.py" toro0 "$MAC" "$TORO_IP" "$LINUX_IP" "$TREE" 9998 "$TIMEOUT" ||
    { echo "FAIL: hostile TCP peers (the webserver's output follows)"; cat "$WORK/toro.log"; exit 1; }

kill -0 "$TORO_PID" 2>/dev/null || { echo "FAIL: the webserver died"; cat "$WORK/toro.log"; exit 1; }
if [[ "$(wc -l <"$WORK/toro.log")" -ne "$LINES" ]]; then
    echo "FAIL: the webserver printed more than its first lines:"; cat "$WORK/toro.log"; exit 1
fi
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
# What hostile peers legitimately draw: zero windows (the readers that
# hold theirs shut), resets (of the stalled and vanished clients), and, on
# the connections segments were forged on (hostile_tcp.py names their
# ports), what looks to tshark like an ACK of data it never saw: it takes
# each SYN flooded at a live four-tuple for a new conversation with a new
# ISN, and counts the forged segments' sequence numbers as the client's.
FORGED=$(tr ' ' ',' <"$WORK/forged_ports" | tr -d '\n')
PCAP_DISABLE=http check_pcap "$WORK/toro.pcap" "$MAC" TRUE \
    "tcp.analysis.zero_window || tcp.analysis.window_full || tcp.connection.rst ||
     (tcp.analysis.ack_lost_segment && tcp.dstport in {$FORGED})"
echo "PASS"
