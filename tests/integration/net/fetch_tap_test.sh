#!/usr/bin/env bash
# apps/fetch (Toro's active open) on a TAP inside a namespace, downloading
# from Linux's `python3 -m http.server`: files of edge sizes and a large
# one, each checked by SHA-256; from nginx (sendfile on), 5 MiB + 3 bytes
# and a large body (LARGE_BYTES, 1 GiB if not given), with the rate fetch reports; the body written to an ext2 disk with
# --out read back byte-exact with debugfs; a closed port refused; a 404
# reported as a failure; and the capture valid to tshark.
set -euo pipefail
APPS="$1" LARGE_BYTES="${2:-1073741824}"
[[ "$LARGE_BYTES" =~ ^[0-9]+$ ]] || { echo "usage: fetch_tap_test.sh APPS [LARGE_BYTES]"; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
command -v mke2fs >/dev/null && command -v debugfs >/dev/null || { echo "skipped: needs e2fsprogs"; exit 77; }
net_setup fetch
mkdir "$WORK/www"
for size in 0 1 1460 65535 65536 5242883 67108864; do
    head -c "$size" /dev/urandom >"$WORK/www/f$size"
done
in_ns python3 -m http.server --bind "$LINUX_IP" --directory "$WORK/www" 8000 >"$WORK/http.log" 2>&1 &
for _ in $(seq 50); do in_ns python3 -c "import socket; socket.create_connection(('$LINUX_IP', 8000), 1)" 2>/dev/null && break; sleep 0.1; done

# fetch_one URL: runs fetch (the HAL's flags, then -- and the app's
# arguments), leaves its output in $OUT, returns its status.
fetch_one() {
    OUT=$(in_ns timeout 120 "$APPS/fetch" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" -- "$1" 2>&1)
}
for size in 0 1 1460 65535 65536 5242883 67108864; do
    fetch_one "http://$LINUX_IP:8000/f$size" || { echo "FAIL: fetch f$size: $OUT"; exit 1; }
    want=$(sha256sum "$WORK/www/f$size" | cut -d' ' -f1)
    grep -q "fetch: 200, $size bytes in .* sha256 $want" <<<"$OUT" || { echo "FAIL: f$size: $OUT (want $want)"; exit 1; }
    echo "f$size: $(grep -o 'in .* MB/s' <<<"$OUT"), byte-exact"
done

# nginx: its sendfile path, and a large body.
if command -v nginx >/dev/null; then
    chmod 755 "$WORK"  # nginx's worker runs as www-data
    head -c "$LARGE_BYTES" /dev/urandom >"$WORK/www/f1g"
    cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; server { listen $LINUX_IP:8080; root $WORK/www; } }
CONF
    in_ns nginx -c "$WORK/nginx.conf" >"$WORK/nginx.log" 2>&1 &
    for _ in $(seq 50); do in_ns python3 -c "import socket; socket.create_connection(('$LINUX_IP', 8080), 1)" 2>/dev/null && break; sleep 0.1; done
    for name in f5242883 f1g; do
        size=$(stat -c %s "$WORK/www/$name")
        OUT=$(in_ns timeout 300 "$APPS/fetch" --cpus 2 --nic tap:toro0 --ip "$TORO_IP/24" -- \
              "http://$LINUX_IP:8080/$name" 2>&1) || { echo "FAIL: fetch $name from nginx: $OUT"; exit 1; }
        want=$(sha256sum "$WORK/www/$name" | cut -d' ' -f1)
        grep -q "fetch: 200, $size bytes in .* sha256 $want" <<<"$OUT" ||
            { echo "FAIL: $name from nginx: $OUT (want $want)"; exit 1; }
        echo "nginx $name: $(grep -o 'in .* MB/s' <<<"$OUT"), byte-exact"
    done
    rm -f "$WORK/www/f1g"
else
    echo "FAIL: nginx is needed (Debian package nginx)"; exit 1
fi

# --out: the body on an ext2 disk, read back from the image.
mke2fs -q -t ext2 -F "$WORK/disk.img" 16M
OUT=$(in_ns timeout 120 "$APPS/fetch" --nic tap:toro0 --ip "$TORO_IP/24" --disk "$WORK/disk.img" \
      --capture "$WORK/toro.pcap" -- "http://$LINUX_IP:8000/f5242883" --out /f5242883 2>&1) ||
    { echo "FAIL: fetch --out: $OUT"; exit 1; }
debugfs -R "dump /f5242883 $WORK/back" "$WORK/disk.img" >/dev/null 2>&1
cmp "$WORK/back" "$WORK/www/f5242883" || { echo "FAIL: the file written with --out differs"; exit 1; }
e2fsck -fn "$WORK/disk.img" >/dev/null || { echo "FAIL: e2fsck finds the disk damaged"; exit 1; }
echo "--out: 5 MiB + 3 bytes written to ext2, read back byte-exact, e2fsck clean"

if fetch_one "http://$LINUX_IP:8000/missing"; then echo "FAIL: a 404 counted as success"; exit 1; fi
grep -q "fetch: 404" <<<"$OUT" || { echo "FAIL: 404 not reported: $OUT"; exit 1; }
if fetch_one "http://$LINUX_IP:4444/"; then echo "FAIL: a closed port connected"; exit 1; fi
grep -q "connect: Connection refused" <<<"$OUT" || { echo "FAIL: closed port: $OUT"; exit 1; }
echo "404 and a closed port: reported, exit 1"
MAC=$(tshark -r "$WORK/toro.pcap" -Y "ip.src == $TORO_IP" -T fields -e eth.src 2>/dev/null | awk 'NR == 1')
check_pcap "$WORK/toro.pcap" "$MAC" TRUE "tcp.analysis.zero_window || tcp.connection.rst"
echo "PASS"
