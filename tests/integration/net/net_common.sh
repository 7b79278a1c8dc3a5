# Shared by the network tests: a namespace holding a TAP device for Toro,
# the Linux end addressed 198.18.0.1/24 (RFC 2544's benchmarking range),
# Toro at 198.18.0.2. Everything made here is removed on exit, pass or fail.
#
# net_setup NAME: makes namespace toro-NAME-$$ with TAP "toro0" in it.
# in_ns CMD...: runs CMD inside it.
# start_toro CMD...: runs a Toro app in the namespace in the background,
#                    its output in $WORK/toro.log; waits for its first line.

LINUX_IP=198.18.0.1
TORO_IP=198.18.0.2
TORO_PID=""
CAPTURE_PID=""

require_root_and_tun() {
    if [[ "$(id -u)" -ne 0 || ! -c /dev/net/tun ]] || ! command -v ip >/dev/null; then
        echo "skipped: needs root, /dev/net/tun and ip(8)"
        exit 77
    fi
}

net_cleanup() {
    local status=$?
    set +e  # every step runs, whatever failed before
    if [[ -n "$CAPTURE_PID" ]]; then kill "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID" 2>/dev/null; fi
    if [[ -n "$TORO_PID" ]]; then kill "$TORO_PID" 2>/dev/null; wait "$TORO_PID" 2>/dev/null; fi
    if [[ -n "${NS:-}" ]]; then
        # Anything still running in the namespace goes with it.
        ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$NS" 2>/dev/null
    fi
    # TORO_KEEP_FAILED=DIR keeps a failed test's files (toro.log, captures).
    if [[ $status -ne 0 && -n "${TORO_KEEP_FAILED:-}" && -n "${WORK:-}" ]]; then
        mkdir -p "$TORO_KEEP_FAILED" && cp -r "$WORK" "$TORO_KEEP_FAILED/"
    fi
    [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
    exit $status
}

net_setup() {
    NS="toro-$1-$$"
    WORK="$(mktemp -d)"
    trap net_cleanup EXIT
    trap 'exit 130' INT TERM
    ip netns add "$NS"
    in_ns ip link set lo up
    in_ns ip tuntap add mode tap name toro0
    in_ns ip addr add "$LINUX_IP/24" dev toro0
    in_ns ip link set toro0 up
}

in_ns() { ip netns exec "$NS" "$@"; }

start_toro() {
    ip netns exec "$NS" "$@" >"$WORK/toro.log" 2>&1 &  # $! is the app: ip execs it
    TORO_PID=$!
    for _ in $(seq 100); do
        [[ -s "$WORK/toro.log" ]] && break
        kill -0 "$TORO_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/toro.log"
    kill -0 "$TORO_PID" 2>/dev/null || { echo "FAIL: the app exited"; exit 1; }
}

# Captures everything on toro0 (both directions) into $WORK/capture.pcapng;
# with an argument, only the frames that capture filter (pcap-filter(7)) takes.
start_capture() {
    local filter=()
    [[ $# -gt 0 ]] && filter=(-f "$1")
    ip netns exec "$NS" tshark -q -i toro0 "${filter[@]}" -w "$WORK/capture.pcapng" >/dev/null 2>"$WORK/tshark.log" &
    CAPTURE_PID=$!
    for _ in $(seq 100); do
        grep -q "Capturing on" "$WORK/tshark.log" 2>/dev/null && return
        sleep 0.1
    done
    echo "FAIL: tshark did not start"; cat "$WORK/tshark.log"; exit 1
}

# ping ARGS... to Toro: every reply must come, with its own data.
check_ping() {
    local output
    output=$(in_ns ping "$@" "$TORO_IP" 2>&1) || { echo "FAIL: ping $*"; echo "$output"; exit 1; }
    if ! grep -q " 0% packet loss" <<<"$output" || grep -q "wrong data" <<<"$output"; then
        echo "FAIL: ping $*"; echo "$output"; exit 1
    fi
    echo "ping $*: $(grep -o '[0-9]* received, 0% packet loss' <<<"$output")"
}

# Every frame Toro sent (source MAC $1), dissected with checksum validation
# on: none may be malformed or carry a bad checksum. With a second argument
# "per-frame", IP fragments are not reassembled first: on a link that loses
# fragments (the fault injector), datagrams on the wire are incomplete by
# design, and tshark's one-pass reassembly then decodes a lone fragment as
# a whole datagram and reports its checksum as bad. Each frame's own
# checksums (IP; UDP and ICMP when unfragmented) are still checked.
check_capture() {
    local mac="$1"
    local defragment=TRUE
    [[ "${2:-}" == per-frame ]] && defragment=FALSE
    sleep 0.5
    kill "$CAPTURE_PID"; wait "$CAPTURE_PID" 2>/dev/null || true
    CAPTURE_PID=""
    check_pcap "$WORK/capture.pcapng" "$mac" "$defragment"
}

# What QEMU's e1000 does when it cuts an offloaded TCP segment (TSO) and a
# segment's checksum comes out 0: it stores 0xFFFF instead (QEMU's
# net_checksum_finish_nozero, made for UDP, where 0 means none). Both are
# ones' complement zero and every receiver takes either, but tshark warns
# (RFC 1624). The booted tests' captures exempt those frames; the hosted
# ones, whose checksums the stack computes, do not.
QEMU_TSO_EXPECTED="tcp.checksum.ffff"

# check_pcap FILE MAC DEFRAGMENT: the check itself, on any capture file.
# check_pcap FILE MAC DEFRAGMENT [EXPECTED]: every frame from MAC in FILE
# well-formed with good checksums and no expert warning, but for frames
# that the display filter EXPECTED matches (flow control, say: a receiver
# slower than its sender advertises zero windows, and tshark warns of them).
check_pcap() {
    local file="$1" mac="$2" defragment="$3" expected="${4:-}"
    local exempt=""
    [[ -n "$expected" ]] && exempt=" && !($expected)"
    # ICMP's checksum is always checked; IP's, UDP's and TCP's on request.
    # PCAP_DISABLE: protocols not dissected (HTTP, say: after reordering
    # its dissector reads body bytes as heads and warns of them). Thrift
    # never is: its heuristic takes segments of a random file for Thrift
    # and warns that they are short of it.
    local options=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE
                   -o ip.defragment:$defragment --disable-protocol thrift)
    local protocol
    for protocol in ${PCAP_DISABLE:-}; do options+=(--disable-protocol "$protocol"); done
    local total bad
    tshark -r "$file" "${options[@]}" -Y "eth.src == $mac" >"$WORK/sent.txt" 2>"$WORK/tshark.err" ||
        { echo "FAIL: tshark could not read the capture"; cat "$WORK/tshark.err"; exit 1; }
    total=$(wc -l <"$WORK/sent.txt")
    bad=$(tshark -r "$file" "${options[@]}" \
          -Y "eth.src == $mac && (_ws.malformed || (_ws.expert.severity >= warning$exempt))" 2>/dev/null)
    if [[ -n "$bad" ]]; then
        cp "$file" "${TMPDIR:-/tmp}/toro-${NS:-$$}.pcapng"
        echo "FAIL: tshark finds frames Toro sent malformed or with bad checksums" \
             "(capture kept: ${TMPDIR:-/tmp}/toro-${NS:-$$}.pcapng):"
        echo "$bad" | head -20
        tshark -r "$file" "${options[@]}" -V \
            -Y "eth.src == $mac && (_ws.malformed || _ws.expert.severity >= warning)" 2>/dev/null |
            grep -E "^Frame|Expert Info|Identification|Fragment Offset|Flags: |Reassembled|Frame: [0-9]" | head -60
        exit 1
    fi
    [[ "$total" -gt 0 ]] || { echo "FAIL: no frame from $mac was captured"; exit 1; }
    echo "tshark: $(basename "$file"): $total frames from Toro, none malformed, no bad checksum"
}
