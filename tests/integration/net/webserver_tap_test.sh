#!/usr/bin/env bash
# apps/webserver hosted on a TAP inside a namespace, against curl: a tree of
# edge sizes (0, 1, 1460, 65535, 65536 and 5 MiB + 3 bytes, a name with
# spaces) fetched byte-exact over one keep-alive connection and over 16 at
# once; HEAD, 404, 405, directories and escapes out of the document root;
# raw exchanges (http_raw_client.py: pipelining, malformed and oversized
# heads, 408, a reader that stops and is reset); every frame Toro sent
# valid to tshark.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
command -v curl >/dev/null || { echo "FAIL: curl is needed (Debian package curl)"; exit 1; }
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
net_setup web

# The document root is /www of the image; secret.txt lies outside it and a
# symbolic link inside points at it.
TREE="$WORK/tree/www"
mkdir -p "$TREE/sub" "$TREE/nodir"
for size in 0 1 1460 65535 65536 5242883; do head -c "$size" /dev/urandom >"$TREE/$size.bin"; done
mv "$TREE/0.bin" "$TREE/empty.bin"
mv "$TREE/1.bin" "$TREE/one.bin"
echo "a name with spaces" >"$TREE/name with spaces.txt"
echo "<p>the root</p>" >"$TREE/index.html"
echo "<p>sub</p>" >"$TREE/sub/index.html"
echo "secret" >"$WORK/tree/secret.txt"
ln -s ../secret.txt "$TREE/escape"
"$MKE2FS" -q -t ext2 -d "$WORK/tree" -F "$WORK/site.img" 32M

start_toro "$APPS/webserver" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" --disk "$WORK/site.img,ro" \
    --capture "$WORK/toro.pcap" -- --root /www --stats-port 9998 --send-timeout 12
MAC=$(grep -o 'mac [0-9a-f:]*' "$WORK/toro.log" | cut -d' ' -f2)
URL="http://$TORO_IP"

# Every file, in one curl: one connection, kept alive from URL to URL.
FILES=(empty.bin one.bin 1460.bin 65535.bin 65536.bin 5242883.bin "name with spaces.txt"
       index.html sub/index.html)
mkdir -p "$WORK/got"
curl_args=()
for name in "${FILES[@]}"; do curl_args+=(-o "$WORK/got/${name//\//_}" "$URL/${name// /%20}"); done
connects=$(in_ns curl -sS --fail -w '%{num_connects} ' "${curl_args[@]}")
for name in "${FILES[@]}"; do
    want=$(sha256sum <"$TREE/$name") got=$(sha256sum <"$WORK/got/${name//\//_}")
    [[ "$want" == "$got" ]] || { echo "FAIL: $name differs from the source file"; exit 1; }
done
[[ "$connects" == "1 $(printf '0 %.0s' $(seq $((${#FILES[@]} - 1))))" ]] ||
    { echo "FAIL: curl connected more than once: $connects"; exit 1; }
echo "GET: ${#FILES[@]} files byte-exact over one keep-alive connection"

# The root and a directory serve their index.html; one named without its
# slash is redirected; one without index.html is 404.
[[ "$(in_ns curl -sS --fail "$URL/")" == "<p>the root</p>" ]] || { echo "FAIL: /"; exit 1; }
[[ "$(in_ns curl -sS --fail "$URL/sub/")" == "<p>sub</p>" ]] || { echo "FAIL: /sub/"; exit 1; }
redirect=$(in_ns curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/sub?x")
[[ "$redirect" == "301 $URL/sub/" ]] || { echo "FAIL: /sub: $redirect"; exit 1; }
expect_code() {
    local want="$1"; shift
    local got
    got=$(in_ns curl -sS -o /dev/null -w '%{http_code}' "$@")
    [[ "$got" == "$want" ]] || { echo "FAIL: curl $*: $got, not $want"; exit 1; }
}
expect_code 404 "$URL/nodir/"
expect_code 404 "$URL/nope.html"
expect_code 404 "$URL/one.bin/x"
expect_code 405 -X POST -d x "$URL/one.bin"
expect_code 405 -X DELETE "$URL/one.bin"
expect_code 400 --path-as-is "$URL/../secret.txt"
expect_code 400 --path-as-is "$URL/sub/../../secret.txt"
expect_code 400 "$URL/%2e%2e/secret.txt"
expect_code 400 "$URL/..%2fsecret.txt"
expect_code 403 "$URL/escape"
echo "directories, 301, 404, 405, escapes refused"

# HEAD: the length of the file, no body.
head=$(in_ns curl -sS --fail -I "$URL/5242883.bin" | tr -d '\r')
grep -qx "Content-Length: 5242883" <<<"$head" || { echo "FAIL: HEAD: $head"; exit 1; }
grep -qx "Content-Type: application/octet-stream" <<<"$head" || { echo "FAIL: HEAD: $head"; exit 1; }
want_date=$(TZ=GMT date -r "$TREE/5242883.bin" '+%a, %d %b %Y %H:%M:%S GMT')
grep -qx "Last-Modified: $want_date" <<<"$head" || { echo "FAIL: Last-Modified, not $want_date: $head"; exit 1; }
echo "HEAD: Content-Length, Content-Type, Last-Modified ($want_date)"

# Sixteen connections at once, each a different file.
pids=()
for i in $(seq 16); do
    name=${FILES[$((i % 6))]}
    in_ns curl -sS --fail -o "$WORK/got/parallel.$i" "$URL/$name" &
    pids+=($!)
done
for i in $(seq 16); do
    wait "${pids[$((i - 1))]}" || { echo "FAIL: parallel curl $i"; exit 1; }
    cmp -s "$WORK/got/parallel.$i" "$TREE/${FILES[$((i % 6))]}" || { echo "FAIL: parallel $i differs"; exit 1; }
done
echo "16 connections at once: byte-exact"

in_ns timeout 120 python3 "$HERE/http_raw_client.py" "$TORO_IP" "$TREE" 9998 12
kill -0 "$TORO_PID" || { echo "FAIL: webserver died"; cat "$WORK/toro.log"; exit 1; }
# Still serving after all of it. (This also brings frames in: the capture is
# flushed when the NIC next finds nothing to receive, and the stopped
# reader's reset went out after the last frame came in.)
in_ns curl -sS --fail -o "$WORK/got/last" "$URL/one.bin"
cmp -s "$WORK/got/last" "$TREE/one.bin" || { echo "FAIL: the last GET differs"; exit 1; }
sleep 0.5
kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true; TORO_PID=""
# A full window is flow control (the reader that stopped, and curl may read
# slower than Toro sends); the one reset is the stopped reader's.
check_pcap "$WORK/toro.pcap" "$MAC" TRUE \
    "tcp.analysis.zero_window || tcp.analysis.window_full || tcp.connection.rst"
resets=$(tshark -r "$WORK/toro.pcap" -Y "eth.src == $MAC && tcp.flags.reset == 1" 2>/dev/null | wc -l)
if [[ "$resets" -ne 1 ]]; then
    echo "FAIL: Toro sent $resets resets, not the stopped reader's one; the capture's last frames:"
    tshark -r "$WORK/toro.pcap" 2>/dev/null | tail -12
    exit 1
fi
echo "PASS"
