#!/usr/bin/env bash
# TCP of apps/echo with the fault injector on its NIC (issue 9's faults:
# loss=0.05,dup=0.02,reorder=0.05,delay=2,jitter=2, both ways), against
# Linux's TCP: every stream still echoed byte-exact (retransmission, fast
# retransmit, duplicate and reordered segments), and Toro sends nothing
# malformed (retransmissions and duplicate ACKs are expected here).
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
net_setup tcpfaults
start_toro "$APPS/echo" --cpus 2 --seed 1 --nic tap:toro0 --ip "$TORO_IP/24" --capture "$WORK/toro.pcap" \
    --net-faults loss=0.05,dup=0.02,reorder=0.05,delay=2,jitter=2
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)
if ! in_ns timeout 240 python3 "$HERE/tcp_echo_client.py" "$TORO_IP"; then
    kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""  # --capture is written at exit
    cp "$WORK/toro.pcap" "${TMPDIR:-/tmp}/toro-$NS.pcap"
    echo "FAIL: (Toro's capture kept: ${TMPDIR:-/tmp}/toro-$NS.pcap)"
    exit 1
fi
kill -0 "$TORO_PID" || { echo "FAIL: echo died"; cat "$WORK/toro.log"; exit 1; }
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
# The capture is Toro's side of the injector: it holds what Toro sent,
# before the injector dropped or duplicated it.
check_pcap "$WORK/toro.pcap" "$MAC" TRUE \
    "tcp.analysis.zero_window || tcp.connection.rst || tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.duplicate_ack || tcp.analysis.out_of_order || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.spurious_retransmission || tcp.analysis.window_update || tcp.analysis.zero_window_probe || tcp.analysis.keep_alive"
echo "PASS"
