#!/usr/bin/env bash
# apps/webserver booted in QEMU (TCG) on an e1000 and an IDE disk holding
# the site's image, as `./toro.sh run webserver --qemu` boots it: user
# networking with a host forward to port 80. curl fetches index.html,
# toro.svg and the 5 MiB + 3 byte big.bin byte-exact, HEAD and a 404; every
# frame Toro sent (QEMU's filter-dump) valid to tshark. No root needed.
#   qemu_webserver_test.sh WEBSERVER_ELF IMAGE SITE_DIR MACHINE
set -euo pipefail
ELF="$1" IMAGE="$2" SITE="$3" MACHINE="$4"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
# shellcheck source=../../../hal_bare/qemu_machine.sh
source "$HERE/../../../hal_bare/qemu_machine.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "skipped: no qemu-system-x86_64"; exit 77; }
command -v curl >/dev/null || { echo "FAIL: curl is needed (Debian package curl)"; exit 1; }
read -r -a MACHINE_FLAGS <<<"$(qemu_machine_flags "$MACHINE")"
WORK="$(mktemp -d)"
trap net_cleanup EXIT
trap 'exit 130' INT TERM
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${MACHINE_FLAGS[@]}" -smp 2 -m 128M \
    -drive "file=$IMAGE,format=raw,if=ide,index=0,snapshot=on" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:80" -device e1000,netdev=n0,romfile= \
    -object "filter-dump,id=f0,netdev=n0,file=$WORK/qemu.pcap" \
    -kernel "$ELF" -append "ip=10.0.2.15/24 gw=10.0.2.2 -- --url $URL/" \
    >"$WORK/toro.log" 2>&1 </dev/null &
TORO_PID=$!
for _ in $(seq 600); do
    grep -aq "^webserver: http" "$WORK/toro.log" && break
    kill -0 "$TORO_PID" 2>/dev/null || break
    sleep 0.1
done
grep -a "^e1000\|^ata\|^webserver" "$WORK/toro.log" || true
grep -aq "^webserver: $URL/" "$WORK/toro.log" ||
    { echo "FAIL: the web server did not come up"; tr -d '\r' <"$WORK/toro.log" | tail -20; exit 1; }
MAC=$(grep -ao 'mac [0-9a-f:]*' "$WORK/toro.log" | head -1 | cut -d' ' -f2)

curl -sS --fail -o "$WORK/index.html" -o "$WORK/toro.svg" -o "$WORK/big.bin" \
    "$URL/" "$URL/toro.svg" "$URL/big.bin"
cmp "$WORK/index.html" "$SITE/index.html" || { echo "FAIL: / is not www/index.html"; exit 1; }
cmp "$WORK/toro.svg" "$SITE/toro.svg" || { echo "FAIL: toro.svg differs"; exit 1; }
python3 "$SITE/../make_big_file.py" "$WORK/big.want"
cmp "$WORK/big.bin" "$WORK/big.want" || { echo "FAIL: big.bin differs"; exit 1; }
echo "GET: index.html, toro.svg, big.bin byte-exact"
head=$(curl -sS --fail -I "$URL/big.bin" | tr -d '\r')
grep -qx "Content-Length: 5242883" <<<"$head" || { echo "FAIL: HEAD: $head"; exit 1; }
code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL/nope")
[[ "$code" == 404 ]] || { echo "FAIL: /nope: $code"; exit 1; }
echo "HEAD: Content-Length 5242883; /nope: 404"
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
check_pcap "$WORK/qemu.pcap" "$MAC" TRUE "tcp.analysis.zero_window || tcp.analysis.window_full || $QEMU_TSO_EXPECTED"
echo "PASS"
