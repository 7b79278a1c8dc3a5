#!/usr/bin/env bash
# apps/webserver hosted on a TAP inside a namespace under load: wrk holds
# 20 s at 64 connections on a 1 KiB file, and 10 s on a 64 KiB one, with no error and no
# non-2xx answer; then 1500 connections, each one request with
# "Connection: close" (the server closes first, so each leaves a TIME-WAIT
# behind on Toro's side: three times the stack's 512 TCP slots, which only
# a bounded TIME-WAIT table lets through); the files byte-exact after it.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (Debian packages wrk, curl)"; exit 1; }
done
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
net_setup webload
mkdir -p "$WORK/site"
head -c 1024 /dev/urandom >"$WORK/site/1k.bin"
head -c 65536 /dev/urandom >"$WORK/site/64k.bin"
truncate -s 8M "$WORK/site.img"
"$MKE2FS" -q -t ext2 -d "$WORK/site" -F "$WORK/site.img" >/dev/null
start_toro "$APPS/webserver" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --disk "$WORK/site.img,ro" -- --root /
URL="http://$TORO_IP"

for run in "1k.bin 20s" "64k.bin 10s"; do
    read -r file duration <<<"$run"
    report=$(in_ns wrk -t1 -c64 -d"${WRK_SECONDS:-$duration}" --timeout 5s "$URL/$file" 2>&1) || { echo "FAIL: wrk: $report"; exit 1; }
    if grep -q "Socket errors\|Non-2xx" <<<"$report" || ! grep -q "Requests/sec" <<<"$report"; then
        echo "FAIL: wrk -c64 for $file:"; echo "$report"; exit 1
    fi
    echo "wrk -t1 -c64 -d$duration $file: $(grep -o '[0-9]* requests in [0-9.]*s' <<<"$report"), no error," \
         "$(awk '/Requests\/sec/ {print $2}' <<<"$report") req/s"
done

in_ns timeout 240 python3 - "$TORO_IP" "$WORK/site/1k.bin" <<'PY'
import socket, sys
want = open(sys.argv[2], "rb").read()
request = b"GET /1k.bin HTTP/1.1\r\nHost: toro\r\nConnection: close\r\n\r\n"
for i in range(1500):
    try:
        s = socket.create_connection((sys.argv[1], 80), timeout=10)
    except OSError as error:
        sys.exit("FAIL: connection %d: %s" % (i, error))
    s.sendall(request)
    answer = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break  # the server closed first
        answer += chunk
    s.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or body != want:
        sys.exit("FAIL: connection %d: %r" % (i, head[:80]))
print("1500 requests with Connection: close, the server closing first: all 200, byte-exact")
PY
for file in 1k.bin 64k.bin; do
    in_ns curl -sS --fail -o "$WORK/got" "$URL/$file"
    cmp -s "$WORK/got" "$WORK/site/$file" || { echo "FAIL: $file differs after the load"; exit 1; }
done
kill -0 "$TORO_PID" || { echo "FAIL: the webserver died"; cat "$WORK/toro.log"; exit 1; }
echo "PASS"
