#!/usr/bin/env bash
# apps/echo with no --nic: it gets user networking (libslirp), takes its
# address from slirp's DHCP server (10.0.2.15), and a host UDP forward
# carries datagrams of 1 to 65,507 bytes to it and back byte-exact. Needs
# no root and no namespace: slirp uses the host's own sockets (loopback).
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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
# A free loopback port for the forward.
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$APPS/echo" --nic "user,hostfwd=udp:127.0.0.1:$PORT-:7" >"$WORK/toro.log" 2>&1 &
TORO_PID=$!
for _ in $(seq 100); do
    grep -q "UDP echo" "$WORK/toro.log" && break
    kill -0 "$TORO_PID" 2>/dev/null || break
    sleep 0.1
done
cat "$WORK/toro.log"
grep -q "^echo: 10.0.2.15/24 " "$WORK/toro.log" || { echo "FAIL: no address from slirp's DHCP"; exit 1; }
python3 "$HERE/udp_echo_client.py" 127.0.0.1 "$PORT" --sizes 1,2,100,1472,1473,2000,2953,8000,30000,65507
# The default: no --nic at all still gets the network (and DHCP).
"$APPS/echo" >"$WORK/default.log" 2>&1 &
DEFAULT_PID=$!
for _ in $(seq 100); do grep -q "UDP echo" "$WORK/default.log" && break; sleep 0.1; done
kill "$DEFAULT_PID"; wait "$DEFAULT_PID" 2>/dev/null || true
grep -q "^echo: 10.0.2.15/24 " "$WORK/default.log" || { echo "FAIL: echo without --nic:"; cat "$WORK/default.log"; exit 1; }
echo "PASS"
