#!/usr/bin/env bash
# apps/echo on one end of a veth pair through libpcap (--nic pcap:), in a
# namespace; Linux on the other end pings it and echoes UDP through it.
set -euo pipefail
APPS="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
require_root_and_tun
NS="toro-pcap-$$"
WORK="$(mktemp -d)"
trap net_cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS"
in_ns ip link set lo up
in_ns ip link add toro-veth type veth peer name linux-veth
in_ns ip addr add "$LINUX_IP/24" dev linux-veth
# A veth leaves UDP checksums for the hardware to fill (CHECKSUM_PARTIAL):
# libpcap would hand Toro half-made checksums. Linux fills them itself then.
in_ns ethtool -K linux-veth tx off >/dev/null
in_ns ip link set toro-veth up
in_ns ip link set linux-veth up
start_toro "$APPS/echo" --nic pcap:toro-veth --ip "$TORO_IP/24"
output=$(in_ns ping -c 50 -i 0.01 -q "$TORO_IP" 2>&1) || { echo "FAIL: ping"; echo "$output"; exit 1; }
grep -q " 0% packet loss" <<<"$output" || { echo "FAIL: ping lost"; echo "$output"; exit 1; }
echo "ping over pcap: $(grep -o '[0-9]* received' <<<"$output")"
in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes 1,100,1472,1473,4000,8000
echo "PASS"
