#!/usr/bin/env bash
# apps/webserver as `./toro.sh run webserver` starts it: user networking
# (libslirp) with a host TCP forward to port 80 and the site's image,
# build/apps/webserver.img. curl on the host fetches index.html and the
# 5 MiB + 3 byte big.bin byte-exact. No root, no namespace.
# Usage: webserver_user_test.sh APPS_DIR SITE_DIR (apps/webserver/www)
set -euo pipefail
APPS="$1"
SITE="$2"
WORK="$(mktemp -d)"
TORO_PID=""
cleanup() {
    local status=$?
    set +e
    if [[ -n "$TORO_PID" ]]; then kill "$TORO_PID" 2>/dev/null; wait "$TORO_PID" 2>/dev/null; fi
    rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT
command -v curl >/dev/null || { echo "FAIL: curl is needed (Debian package curl)"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$APPS/webserver" --nic "user,hostfwd=tcp::$PORT-:80" --disk "$APPS/webserver.img,ro" \
    -- --url "http://localhost:$PORT/" >"$WORK/toro.log" 2>&1 &
TORO_PID=$!
for _ in $(seq 100); do
    grep -q "^webserver: http://" "$WORK/toro.log" && break
    kill -0 "$TORO_PID" 2>/dev/null || break
    sleep 0.1
done
cat "$WORK/toro.log"
grep -qx "webserver: http://localhost:$PORT/" "$WORK/toro.log" || { echo "FAIL: no URL printed"; exit 1; }
curl -sS --fail -o "$WORK/index.html" "http://localhost:$PORT/"
cmp "$WORK/index.html" "$SITE/index.html" || { echo "FAIL: / is not www/index.html"; exit 1; }
grep -q "unikernel" "$WORK/index.html" || { echo "FAIL: index.html does not say what it is"; exit 1; }
curl -sS --fail -o "$WORK/toro.svg" "http://localhost:$PORT/toro.svg"
cmp "$WORK/toro.svg" "$SITE/toro.svg" || { echo "FAIL: toro.svg differs"; exit 1; }
python3 "$SITE/../make_big_file.py" "$WORK/big.want"
curl -sS --fail -o "$WORK/big.bin" "http://localhost:$PORT/big.bin"
cmp "$WORK/big.bin" "$WORK/big.want" || { echo "FAIL: big.bin differs"; exit 1; }
echo "index.html, toro.svg and big.bin ($(stat -c %s "$WORK/big.bin") bytes) byte-exact through hostfwd"
echo "PASS"
