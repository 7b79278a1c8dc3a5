#!/usr/bin/env bash
# apps/webserver hosted on a TAP with the fault injector on its NIC
# (loss=0.05,dup=0.02,reorder=0.05,delay=2,jitter=2, both ways): curl
# still fetches a tree of edge sizes (0, 1, 1460, 65535, 65536, 5 MiB + 3
# bytes, a name with spaces) byte-exact, over one keep-alive connection
# and over eight at once; Toro sends nothing malformed (retransmissions
# and duplicate ACKs are expected).
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
command -v curl >/dev/null || { echo "FAIL: curl is needed (Debian package curl)"; exit 1; }
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
net_setup webfaults
TREE="$WORK/site"
mkdir -p "$TREE"
for size in 0 1 1460 65535 65536 5242883; do head -c "$size" /dev/urandom >"$TREE/f$size.bin"; done
echo "a name with spaces" >"$TREE/name with spaces.txt"
truncate -s 16M "$WORK/site.img"
"$MKE2FS" -q -t ext2 -d "$TREE" -F "$WORK/site.img" >/dev/null
start_toro "$APPS/webserver" --cpus 2 --seed 3 --nic tap:toro0 --ip "$TORO_IP/24" --disk "$WORK/site.img,ro" \
    --capture "$WORK/toro.pcap" --net-faults loss=0.05,dup=0.02,reorder=0.05,delay=2,jitter=2 -- --root /
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)
URL="http://$TORO_IP"
FILES=(f0.bin f1.bin f1460.bin f65535.bin f65536.bin f5242883.bin "name with spaces.txt")
mkdir -p "$WORK/got"
fail() {
    echo "FAIL: $*"
    kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""  # --capture is written at exit
    cp "$WORK/toro.pcap" "${TMPDIR:-/tmp}/toro-$NS.pcap" && echo "(Toro's capture kept: ${TMPDIR:-/tmp}/toro-$NS.pcap)"
    exit 1
}
curl_args=(-sS --fail --max-time 120 --retry 0)
for name in "${FILES[@]}"; do curl_args+=(-o "$WORK/got/$name" "$URL/${name// /%20}"); done
in_ns curl "${curl_args[@]}" || fail "curl of the tree over one connection"
for name in "${FILES[@]}"; do
    cmp -s "$TREE/$name" "$WORK/got/$name" || fail "$name differs"
done
echo "one keep-alive connection: ${#FILES[@]} files byte-exact through the faults"
pids=()
for i in $(seq 8); do
    in_ns curl -sS --fail --max-time 120 -o "$WORK/got/parallel.$i" "$URL/${FILES[$((i % 6))]}" &
    pids+=($!)
done
for i in $(seq 8); do
    wait "${pids[$((i - 1))]}" || fail "parallel curl $i"
    cmp -s "$WORK/got/parallel.$i" "$TREE/${FILES[$((i % 6))]}" || fail "parallel $i differs"
done
echo "eight connections at once: byte-exact through the faults"
kill -0 "$TORO_PID" || { echo "FAIL: the webserver died"; cat "$WORK/toro.log"; exit 1; }
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
# Reordered segments make tshark's HTTP dissector take body bytes for
# heads; TCP and IP are still checked in full.
PCAP_DISABLE=http check_pcap "$WORK/toro.pcap" "$MAC" TRUE \
    "tcp.analysis.zero_window || tcp.analysis.window_full || tcp.connection.rst || tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.duplicate_ack || tcp.analysis.out_of_order || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.spurious_retransmission || tcp.analysis.window_update || tcp.analysis.zero_window_probe || tcp.analysis.keep_alive"
echo "PASS"
