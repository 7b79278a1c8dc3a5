#!/usr/bin/env bash
# apps/webserver booted in QEMU (TCG, pc) with SMP CPUs, on an e1000 on a
# TAP inside a namespace (Toro at 198.18.0.2/24) and an IDE disk holding a
# tree of edge sizes (0, 1, 1460, 65535, 65536, 5 MiB + 3 bytes, a name
# with spaces): curl fetches every file byte-exact over one keep-alive
# connection and eight files at once; wrk holds 10 s at 16 connections
# with no error and no non-2xx answer; every frame Toro sent (QEMU's
# filter-dump) valid to tshark.
#   qemu_webserver_tap_test.sh WEBSERVER_ELF SMP
# Needs root, /dev/net/tun, qemu-system-x86_64, curl and wrk (skipped
# otherwise). Everything it makes is removed on exit, pass or fail.
set -euo pipefail
ELF="$1" SMP="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
command -v qemu-system-x86_64 >/dev/null || { echo "skipped: no qemu-system-x86_64"; exit 77; }
for tool in curl wrk; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (Debian packages curl, wrk)"; exit 1; }
done
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
net_setup qemuweb
TREE="$WORK/site"
mkdir -p "$TREE"
for size in 0 1 1460 65535 65536 5242883; do head -c "$size" /dev/urandom >"$TREE/f$size.bin"; done
echo "a name with spaces" >"$TREE/name with spaces.txt"
truncate -s 16M "$WORK/site.img"
"$MKE2FS" -q -t ext2 -d "$TREE" -F "$WORK/site.img" >/dev/null
in_ns qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp "$SMP" -m 128M \
    -drive "file=$WORK/site.img,format=raw,if=ide,index=0" \
    -netdev tap,id=n0,ifname=toro0,script=no,downscript=no -device e1000,netdev=n0,romfile= \
    -object "filter-dump,id=f0,netdev=n0,file=$WORK/qemu.pcap" \
    -kernel "$ELF" -append "ip=$TORO_IP/24 -- --root /" >"$WORK/toro.log" 2>&1 </dev/null &
TORO_PID=$!
for _ in $(seq 600); do
    grep -aq "^webserver: http" "$WORK/toro.log" && break
    kill -0 "$TORO_PID" 2>/dev/null || break
    sleep 0.1
done
grep -a "^e1000\|^ata\|^webserver\|cpus\|CPUs" "$WORK/toro.log" | tr -d '\r' || true
grep -aq "^webserver: http" "$WORK/toro.log" ||
    { echo "FAIL: the web server did not come up"; tr -d '\r' <"$WORK/toro.log" | tail -20; exit 1; }
MAC=$(grep -ao 'mac [0-9a-f:]*' "$WORK/toro.log" | head -1 | cut -d' ' -f2)
URL="http://$TORO_IP"

FILES=(f0.bin f1.bin f1460.bin f65535.bin f65536.bin f5242883.bin "name with spaces.txt")
mkdir -p "$WORK/got"
curl_args=(-sS --fail --max-time 120)
for name in "${FILES[@]}"; do curl_args+=(-o "$WORK/got/$name" "$URL/${name// /%20}"); done
in_ns curl "${curl_args[@]}" || { echo "FAIL: curl of the tree"; exit 1; }
for name in "${FILES[@]}"; do
    cmp -s "$TREE/$name" "$WORK/got/$name" || { echo "FAIL: $name differs"; exit 1; }
done
echo "one keep-alive connection: ${#FILES[@]} files byte-exact"
pids=()
for i in $(seq 8); do
    in_ns curl -sS --fail --max-time 120 -o "$WORK/got/parallel.$i" "$URL/${FILES[$((i % 6))]}" &
    pids+=($!)
done
for i in $(seq 8); do
    wait "${pids[$((i - 1))]}" || { echo "FAIL: parallel curl $i"; exit 1; }
    cmp -s "$WORK/got/parallel.$i" "$TREE/${FILES[$((i % 6))]}" || { echo "FAIL: parallel $i differs"; exit 1; }
done
echo "eight connections at once: byte-exact"
report=$(in_ns wrk -t1 -c16 -d10s --timeout 5s "$URL/f1460.bin" 2>&1) || { echo "FAIL: wrk: $report"; exit 1; }
if grep -q "Socket errors\|Non-2xx" <<<"$report" || ! grep -q "Requests/sec" <<<"$report"; then
    echo "FAIL: wrk -c16:"; echo "$report"; exit 1
fi
echo "wrk -t1 -c16 -d10s (1460 bytes): $(grep -o '[0-9]* requests in [0-9.]*s' <<<"$report"), no error," \
     "$(awk '/Requests\/sec/ {print $2}' <<<"$report") req/s on $SMP CPU(s)"
kill -0 "$TORO_PID" || { echo "FAIL: QEMU exited"; tr -d '\r' <"$WORK/toro.log" | tail; exit 1; }
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
PCAP_DISABLE=http check_pcap "$WORK/qemu.pcap" "$MAC" TRUE \
    "tcp.analysis.zero_window || tcp.analysis.window_full || tcp.analysis.window_update || $QEMU_TSO_EXPECTED"
echo "PASS"
