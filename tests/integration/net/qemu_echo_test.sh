#!/usr/bin/env bash
# apps/echo booted in QEMU (TCG) on an e1000 (the bare driver, hal_bare/
# drivers/e1000.cpp), checked with Linux's own tools, and every frame Toro
# sent (QEMU's filter-dump of the netdev) valid to tshark with checksums
# (net_common.sh's check_pcap).
#   qemu_echo_test.sh ECHO_ELF MACHINE SCENARIO [SMP]
# MACHINE: pc | q35 (hal_bare/qemu_machine.sh). SCENARIO:
#   tap    -netdev tap in a namespace, Toro 198.18.0.2/24: ping (100 at
#          10 ms, 8,000 and 65,507 bytes), UDP echo of sizes 1 to 65,507
#          byte-exact (fewer than the hosted test: TCG is slow), and TCP
#          (tcp_echo_client.py: echo of 1 B to 1 MiB, 8 connections at
#          once, 4 MiB discarded, a closed port refused)
#   user   -netdev user with hostfwd=udp:127.0.0.1:PORT-:7, Toro at the
#          static 10.0.2.15/24 gw 10.0.2.2: UDP echo from the host to
#          127.0.0.1:PORT (no root needed)
#   dhcp   user, with no ip= option: the address comes from QEMU's DHCP
#          server (10.0.2.15/24, gateway 10.0.2.2); UDP echo as for user
#   busy   tap, with echo --busy 2: two threads that only yield keep the
#          NIC's CPU from ever idling; ping and UDP echo are still answered
#          promptly (their interrupts are taken at scheduling points)
#   stall  tap, with toro.e1000.stall=40: the transmitter stops after 40
#          frames; the driver finds the ring stuck, resets the controller
#          within about a second, and echo answers again
# Needs qemu-system-x86_64 (and for tap, busy, stall root and /dev/net/tun):
# skipped with 77 otherwise. Whatever it makes (namespace, TAP, QEMU,
# files) is removed on exit, pass or fail.
set -euo pipefail
ELF="$1" MACHINE="$2" SCENARIO="$3" SMP="${4:-1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=net_common.sh
source "$HERE/net_common.sh"
# shellcheck source=../../../hal_bare/qemu_machine.sh
source "$HERE/../../../hal_bare/qemu_machine.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "skipped: no qemu-system-x86_64"; exit 77; }
read -r -a MACHINE_FLAGS <<<"$(qemu_machine_flags "$MACHINE")"
UDP_SIZES=1,2,18,64,512,1000,1471,1472,1473,1500,2000,2952,2953,4000,8000,16000,32768,65507

# boot_echo NETDEV APPEND: QEMU in the background (inside the namespace if
# there is one), its serial output in $WORK/toro.log; waits for echo's
# address line and sets MAC from it.
boot_echo() {
    local netdev="$1" append="$2"
    local qemu=(qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot
                -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${MACHINE_FLAGS[@]}"
                -smp "$SMP" -m 128M -kernel "$ELF" -append "$append"
                -netdev "$netdev" -device e1000,netdev=n0,romfile=
                -object "filter-dump,id=f0,netdev=n0,file=$WORK/qemu.pcap")
    if [[ -n "${NS:-}" ]]; then
        in_ns "${qemu[@]}" >"$WORK/toro.log" 2>&1 </dev/null &
    else
        "${qemu[@]}" >"$WORK/toro.log" 2>&1 </dev/null &
    fi
    TORO_PID=$!
    for _ in $(seq 600); do
        grep -aq "^echo: " "$WORK/toro.log" && break
        kill -0 "$TORO_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -a "^e1000\|^echo" "$WORK/toro.log" || true
    grep -aq "^echo: .* UDP and TCP echo on 7" "$WORK/toro.log" ||
        { echo "FAIL: echo did not come up"; tr -d '\r' <"$WORK/toro.log" | tail -20; exit 1; }
    MAC=$(grep -ao 'mac [0-9a-f:]*' "$WORK/toro.log" | head -1 | cut -d' ' -f2)
    # QEMU's e1000 holds back received frames for a second after RCTL is
    # written (its flush_queue_timer), so the first answer may take that.
    if [[ -n "${NS:-}" ]]; then
        in_ns ping -c 1 -W 5 -q "$TORO_IP" >/dev/null || { echo "FAIL: no first answer"; exit 1; }
    fi
}

# check_ping ARGS...: ping Toro from the namespace; no loss, no wrong data.
# Prints the summary; the rtt line is left in $PING_RTT.
check_ping() {
    local output
    output=$(in_ns ping "$@" "$TORO_IP" 2>&1) || { echo "FAIL: ping $*"; echo "$output"; exit 1; }
    if ! grep -q " 0% packet loss" <<<"$output" || grep -q "wrong data" <<<"$output"; then
        echo "FAIL: ping $*"; echo "$output"; exit 1
    fi
    PING_RTT=$(grep -o 'rtt min/avg/max/mdev = [0-9./]* ms' <<<"$output" || true)
    echo "ping $*: $(grep -o '[0-9]* received, 0% packet loss' <<<"$output"), $PING_RTT"
}

# finish: QEMU stopped (so its capture file is whole), the capture checked.
finish() {
    kill -0 "$TORO_PID" 2>/dev/null || { echo "FAIL: QEMU exited"; tr -d '\r' <"$WORK/toro.log" | tail -20; exit 1; }
    kill "$TORO_PID"; wait "$TORO_PID" 2>/dev/null || true
    TORO_PID=""
    if grep -aq "toro: fatal" "$WORK/toro.log"; then
        echo "FAIL: the kernel stopped"; tr -d '\r' <"$WORK/toro.log" | tail -20; exit 1
    fi
    # TCP's zero windows (flow control) and the closed port's RST are meant.
    check_pcap "$WORK/qemu.pcap" "$MAC" TRUE "tcp.analysis.zero_window || tcp.connection.rst || $QEMU_TSO_EXPECTED"
    echo "PASS"
}

case "$SCENARIO" in
tap | busy | stall)
    require_root_and_tun
    net_setup "qemu-$SCENARIO"
    options="ip=$TORO_IP/24"
    arguments=""
    [[ "$SCENARIO" == busy ]] && arguments="--busy 2"
    [[ "$SCENARIO" == stall ]] && options+=" toro.e1000.stall=40"
    boot_echo "tap,id=n0,ifname=toro0,script=no,downscript=no" "$options -- $arguments"
    ;;
user | dhcp)
    WORK="$(mktemp -d)"
    trap net_cleanup EXIT
    trap 'exit 130' INT TERM
    # A free port on the host's loopback for QEMU's forward to echo's 7.
    PORT=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    options="ip=10.0.2.15/24 gw=10.0.2.2 --"
    [[ "$SCENARIO" == dhcp ]] && options=""
    boot_echo "user,id=n0,hostfwd=udp:127.0.0.1:$PORT-:7" "$options"
    ;;
*)
    echo "unknown scenario $SCENARIO" >&2
    exit 2
    ;;
esac

case "$SCENARIO" in
tap)
    check_ping -c 100 -i 0.01 -q
    check_ping -c 10 -i 0.05 -s 8000 -q
    check_ping -c 2 -i 0.5 -s 65507 -q
    in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes "$UDP_SIZES"
    in_ns timeout 300 python3 "$HERE/tcp_echo_client.py" "$TORO_IP"
    ;;
user | dhcp)
    if [[ "$SCENARIO" == dhcp ]]; then
        grep -aq "^echo: 10.0.2.15/24 " "$WORK/toro.log" || { echo "FAIL: no DHCP lease"; exit 1; }
    fi
    python3 "$HERE/udp_echo_client.py" 127.0.0.1 "$PORT" --sizes "$UDP_SIZES"
    ;;
busy)
    grep -aq "echo: 2 threads keep cpu 0 busy" "$WORK/toro.log" || { echo "FAIL: no busy threads"; exit 1; }
    check_ping -c 100 -i 0.01 -q
    # Promptly: a reply that waited for the CPU to idle would never come;
    # one that waited for a lost interrupt would take a timer's period.
    max=$(awk -F/ '{print $6}' <<<"${PING_RTT#*= }")
    awk -v m="$max" 'BEGIN {exit !(m < 200)}' || { echo "FAIL: a reply took $max ms"; exit 1; }
    check_ping -c 10 -i 0.05 -s 8000 -q
    in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes "$UDP_SIZES"
    ;;
stall)
    # The transmitter stops during these; ping's own losses are expected.
    in_ns ping -c 150 -i 0.01 -q "$TORO_IP" || true
    for _ in $(seq 50); do
        grep -aq "transmit ring has not moved" "$WORK/toro.log" && break
        sleep 0.1
    done
    grep -a "^e1000" "$WORK/toro.log" | tr -d '\r'
    grep -aq "toro.e1000.stall: transmitter stopped" "$WORK/toro.log" || { echo "FAIL: no stall"; exit 1; }
    grep -aq "e1000.0: the transmit ring has not moved for 1000 ms; resetting the controller" \
        "$WORK/toro.log" || { echo "FAIL: the stall was not noticed"; exit 1; }
    # After the reset (and QEMU's second of receive pause after RCTL is
    # written) echo answers again.
    sleep 1.5
    check_ping -c 20 -i 0.05 -q
    in_ns python3 "$HERE/udp_echo_client.py" "$TORO_IP" 7 --sizes 1,1472,4000
    ;;
esac
finish
