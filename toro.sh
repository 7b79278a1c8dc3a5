#!/usr/bin/env bash
# The front door: ./toro.sh help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(g++ cmake ninja-build libgtest-dev libgmock-dev libbenchmark-dev valgrind
          qemu-system-x86 seabios e2fsprogs python3 clang libclang-rt-14-dev libboost-dev
          iproute2 iputils-ping tshark libpcap-dev pkg-config libslirp-dev libglib2.0-dev ethtool
          python3-scapy curl wrk iperf nginx netcat-openbsd gdb clang-tidy)

usage() {
    cat <<'USAGE'
usage: ./toro.sh COMMAND [ARGS]
  deps                  install missing Debian packages (apt-get as root, else print the command)
  build [PRESET]        configure and build (default | debug | release | fuzz)
  run APP [FLAGS] [-- APP_ARGS]
                        build, then run build/apps/APP hosted (FLAGS: --cpus N --memory SIZE);
                        webserver with no FLAGS (or just --qemu) serves build/apps/webserver.img
                        on http://localhost:8080/
  run APP --qemu [--machine pc|qboot|q35|microvm] [--smp N] [--memory SIZE] [--disk IMG[,ro]]...
          [--nic user[,hostfwd=...]|tap:NAME]... [--ip ADDR/PREFIX] [--gateway ADDR] [--gdb] [-- APP_ARGS]
                        boot build/bare/apps/APP.elf in QEMU (--nic: an e1000 on QEMU's user-mode
                        network or on a TAP device; --ip/--gateway: the kernel's static address);
                        --gdb waits for a debugger
  debug APP [FLAGS] [-- APP_ARGS]
                        build, then run build/apps/APP hosted under gdb, stopped in kernel_main
  debug APP --qemu [run --qemu's FLAGS] [-- APP_ARGS]
                        boot build/bare/apps/APP.elf in QEMU and attach gdb with its symbols,
                        stopped in kernel_main (a hardware breakpoint: it survives the switch
                        to long mode); the serial console shares the terminal
  debug ... --gdb-batch FILE
                        the same, gdb in batch mode running FILE's commands from kernel_main on
  test                  build and run every test: the default build, clang-tidy (lint), then the
                        ASan+UBSan build, then 30 s of each fuzz target, then the ClusterFuzzLite
                        build (.clusterfuzzlite/build.sh) and 5 s of each target it makes
  lint [all]            clang-tidy with the project's .clang-tidy over kernel/, hal/, hal_posix/,
                        apps/ and the test harnesses (all: every test too), with the default
                        build's compile commands, and over hal_bare/ with build/bare's; any
                        warning fails
  bench                 build the release preset and run the benchmarks (see bench/RESULTS.md)
  fuzz TARGET [SECONDS] build the fuzz preset (clang, libFuzzer) and fuzz TARGET (ext2, net_input, tcp_connection,
                        tcp_pair) for SECONDS (default 60; 0: until interrupted); see docs/testing.md
  help                  print this
USAGE
}

missing_packages() {
    local missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$package")
    done
    echo "${missing[@]:-}"
}

deps() {
    local missing
    missing="$(missing_packages)"
    [[ -z "$missing" ]] && return 0
    if [[ "$(id -u)" -eq 0 ]]; then
        # On stderr, so that it shows even where apt-get's own output is kept
        # in a log (run): on a fresh machine this takes minutes.
        echo "toro: installing $(wc -w <<<"$missing") missing Debian packages with apt-get" \
             "(once, a few minutes): $missing" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
        echo "toro: packages installed" >&2
    else
        echo "toro: missing packages; run: sudo apt-get install -y $missing" >&2
        exit 1
    fi
}

# Reads ninja's output on stdin and shows its progress on stderr: one line
# rewritten in place on a terminal, else a line at each quarter. Silent
# when there is nothing to compile or link.
show_progress() {
    local line done total percent quarter=-1 shown=0
    while IFS= read -r line; do
        [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\]\ (Building|Linking) ]] || continue  # not cmake's own checks
        done=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
        percent=$((done * 100 / total))
        if [[ -t 2 ]]; then
            printf '\rtoro: building: %d of %d steps (%d%%)' "$done" "$total" "$percent" >&2
            shown=1
        elif ((percent / 25 > quarter)); then
            quarter=$((percent / 25))
            echo "toro: building: $done of $total steps ($percent%)" >&2
        fi
    done
    [[ $shown -eq 1 ]] && printf '\n' >&2
    return 0
}

# build_quietly PRESET: what build does, its output kept in a log shown only
# if it fails, with what it is doing and its progress on stderr.
build_quietly() {
    local preset="$1" log status=0
    log="$(mktemp)"
    deps >"$log" 2>&1 || status=$?
    if [[ $status -eq 0 ]]; then
        [[ -f "$(preset_dir "$preset")/build.ninja" ]] ||
            echo "toro: configuring the $preset build (first run)" >&2
        cmake --preset "$preset" >>"$log" 2>&1 || status=$?
    fi
    if [[ $status -eq 0 ]]; then
        cmake --build --preset "$preset" 2>&1 | tee -a "$log" | show_progress
        status=${PIPESTATUS[0]}
    fi
    [[ $status -eq 0 ]] || cat "$log" >&2
    rm -f "$log"
    return $status
}

preset_dir() {
    case "$1" in
        default) echo build ;;
        *) echo "build-$1" ;;
    esac
}

build() {
    local preset="${1:-default}"
    deps
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
}

# The web server on its own: the site's image, and a host port forward to
# its port 80; read-only, as the server never writes. Any flag of the user's (but a lone --qemu) replaces them all.
WEBSERVER_FLAGS=(--nic user,hostfwd=tcp::8080-:80 --disk build/apps/webserver.img,ro
                 -- --url http://localhost:8080/)

run() {
    [[ $# -ge 1 ]] || { echo "toro: run needs an application name" >&2; usage >&2; exit 2; }
    local app="$1"
    shift
    local qemu=0 defaults=0
    for argument in "$@"; do
        [[ "$argument" == "--" ]] && break
        [[ "$argument" == "--qemu" ]] && qemu=1
    done
    if [[ "$app" == webserver && ( $# -eq 0 || ( $# -eq 1 && $qemu -eq 1 ) ) ]]; then
        set -- "$@" "${WEBSERVER_FLAGS[@]}"
        defaults=1
    fi
    # A bad QEMU flag is refused before anything is built (the defaults
    # name the image the build makes: they are read after it).
    [[ $qemu -eq 1 && $defaults -eq 0 ]] && parse_qemu_flags "$@"
    build_quietly default || exit 1
    [[ $qemu -eq 1 && $defaults -eq 1 ]] && parse_qemu_flags "$@"
    [[ $qemu -eq 1 ]] && { run_qemu "$app"; return; }
    if [[ ! -x "build/apps/$app" ]]; then
        echo "toro: no application '$app' (have: $(ls build/apps | tr '\n' ' '))" >&2
        exit 2
    fi
    exec "build/apps/$app" "$@"
}

# debug APP [--gdb-batch FILE] [FLAGS] [-- APP_ARGS]: run's machine, under gdb.
debug() {
    [[ $# -ge 1 ]] || { echo "toro: debug needs an application name" >&2; usage >&2; exit 2; }
    local app="$1"
    shift
    local qemu=0 flags=() gdb_mode=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        case "$1" in
            --gdb-batch)
                [[ -f "${2:-}" ]] || { echo "toro: --gdb-batch: '${2:-}' is not a file" >&2; exit 2; }
                gdb_mode=(-batch -x "$2")
                shift ;;
            --qemu) qemu=1; flags+=("$1") ;;
            *) flags+=("$1") ;;
        esac
        shift
    done
    set -- "${flags[@]}" "$@"
    command -v gdb >/dev/null || { echo "toro: debug needs gdb (apt-get install gdb)" >&2; exit 2; }
    [[ $qemu -eq 1 ]] && parse_qemu_flags "$@"
    build_quietly default || exit 1
    if [[ $qemu -eq 1 ]]; then
        debug_qemu "$app" "${gdb_mode[@]}"
        return
    fi
    if [[ ! -x "build/apps/$app" ]]; then
        echo "toro: no application '$app' (have: $(ls build/apps | tr '\n' ' '))" >&2
        exit 2
    fi
    exec gdb -q -x tools/gdb/toro.py -ex "break kernel_main" -ex run "${gdb_mode[@]}" \
        --args "build/apps/$app" "$@"
}

# debug_qemu APP [GDB_FLAGS...]: QEMU stopped at the first instruction with
# its gdb stub on a free local port; gdb attaches, a hardware breakpoint on
# kernel_main (a software one written before the switch to long mode would
# be lost to the loader), and QEMU goes when gdb does.
debug_qemu() {
    local app="$1"
    shift
    local elf="build/bare/apps/$app.elf"
    [[ -f "$elf" ]] || { echo "toro: no bare application '$app'" >&2; exit 2; }
    local machine_flags options="" append="$QEMU_ARGS" port
    read -r -a machine_flags <<<"$(qemu_machine_flags "$QEMU_MACHINE")"
    [[ -n "$QEMU_IP" ]] && options="ip=$QEMU_IP"
    [[ -n "$QEMU_GATEWAY" ]] && options="${options:+$options }gw=$QEMU_GATEWAY"
    [[ -n "$options" ]] && append="$options --${QEMU_ARGS:+ $QEMU_ARGS}"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    qemu-system-x86_64 -nographic -nodefaults -serial stdio -monitor none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${machine_flags[@]}" \
        -smp "$QEMU_SMP" -m "$QEMU_MEMORY" "${QEMU_DISKS[@]}" "${QEMU_NICS[@]}" -kernel "$elf" \
        -append "$append" -gdb "tcp:127.0.0.1:$port" -S </dev/null &
    local qemu_pid=$! status=0
    # shellcheck disable=SC2064
    trap "kill $qemu_pid 2>/dev/null; wait $qemu_pid 2>/dev/null" EXIT
    gdb -q -x tools/gdb/toro.py -ex "target remote 127.0.0.1:$port" -ex "hbreak kernel_main" -ex continue \
        -ex "delete" "$@" "$elf" || status=$?
    exit $status
}

# An IPv4 address (a.b.c.d, each 0-255)?
is_ipv4() {
    local IFS=. parts part
    [[ "$1" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
    read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do ((10#$part <= 255)) || return 1; done
}

# parse_qemu_flags FLAGS...: run --qemu's flags into QEMU_* variables; a bad
# one is a one-line error and exit 2.
parse_qemu_flags() {
    QEMU_MACHINE=pc QEMU_SMP=1 QEMU_MEMORY=256M QEMU_GDB=0 QEMU_ARGS="" QEMU_DISKS=() QEMU_NICS=()
    QEMU_IP="" QEMU_GATEWAY=""
    local index=0
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --qemu) ;;
            --machine) QEMU_MACHINE="${2:-}"; shift ;;
            --smp) QEMU_SMP="${2:-}"; shift ;;
            --memory) QEMU_MEMORY="${2:-}"; shift ;;
            --gdb) QEMU_GDB=1 ;;
            --disk)  # the next IDE disk: primary master first (ata0.0, ata0.1, ...)
                [[ -f "${2%,ro}" ]] || { echo "toro: --disk ${2%,ro}: no such file" >&2; exit 2; }
                # IDE has no read-only drives: ",ro" keeps the image unchanged
                # by sending writes to a throw-away overlay (snapshot=on).
                local readonly_flag=""
                [[ "$2" == *,ro ]] && readonly_flag=",snapshot=on"
                QEMU_DISKS+=(-drive "file=${2%,ro},format=raw,if=ide,index=$index$readonly_flag")
                index=$((index + 1))
                shift ;;
            --nic)  # the next e1000: user-mode networking, or a TAP device
                local nic="${2:-}" id="n${#QEMU_NICS[@]}" netdev
                case "$nic" in
                    user) netdev="user,id=$id" ;;
                    user,*) netdev="user,id=$id,${nic#user,}" ;;
                    tap:*)
                        local name="${nic#tap:}"
                        [[ "$name" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] ||
                            { echo "toro: --nic $nic: a TAP name is 1 to 15 letters, digits, '_', '.', '-'" >&2; exit 2; }
                        netdev="tap,id=$id,ifname=$name,script=no,downscript=no" ;;
                    *) echo "toro: --nic: '$nic' is not user[,hostfwd=...] or tap:NAME" >&2; exit 2 ;;
                esac
                # No option ROM: -kernel does not need iPXE, and it costs 50 ms of boot.
                QEMU_NICS+=(-netdev "$netdev" -device "e1000,netdev=$id,romfile=")
                shift ;;
            --ip)
                local address="${2%/*}" prefix="${2##*/}"
                if [[ "${2:-}" != */* ]] || ! is_ipv4 "$address" || [[ ! "$prefix" =~ ^[0-9]{1,2}$ ]] ||
                   ((10#$prefix > 32)); then
                    echo "toro: --ip: '${2:-}' is not ADDRESS/PREFIX" >&2; exit 2
                fi
                QEMU_IP="$2"
                shift ;;
            --gateway)
                is_ipv4 "${2:-}" || { echo "toro: --gateway: '${2:-}' is not an IPv4 address" >&2; exit 2; }
                QEMU_GATEWAY="$2"
                shift ;;
            --)  # each argument quoted and escaped as the kernel splits them (docs/boot.md)
                shift
                local word quoted=()
                for word in "$@"; do
                    word="${word//\\/\\\\}"
                    word="${word//\"/\\\"}"
                    if [[ -z "$word" || "$word" =~ [[:space:]] ]]; then word="\"$word\""; fi
                    quoted+=("$word")
                done
                QEMU_ARGS="${quoted[*]}"
                break ;;
            *) echo "toro: run --qemu: unknown flag '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    # shellcheck source=hal_bare/qemu_machine.sh
    source "$ROOT/hal_bare/qemu_machine.sh"
    qemu_machine_flags "$QEMU_MACHINE" >/dev/null ||
        { echo "toro: --machine must be pc, qboot, q35 or microvm" >&2; exit 2; }
    if [[ ${#QEMU_NICS[@]} -gt 0 && "$QEMU_MACHINE" == microvm ]]; then
        echo "toro: --nic: microvm has no PCI bus for an e1000" >&2; exit 2
    fi
}

# Boots build/bare/apps/APP.elf with the flags parse_qemu_flags read. The
# kernel options (ip=, gw=) come before a lone "--" on the boot command
# line, the application's arguments after it (docs/boot.md).
run_qemu() {
    local app="$1"
    local elf="build/bare/apps/$app.elf"
    [[ -f "$elf" ]] || { echo "toro: no bare application '$app'" >&2; exit 2; }
    local machine_flags options="" append="$QEMU_ARGS"
    read -r -a machine_flags <<<"$(qemu_machine_flags "$QEMU_MACHINE")"
    [[ -n "$QEMU_IP" ]] && options="ip=$QEMU_IP"
    [[ -n "$QEMU_GATEWAY" ]] && options="${options:+$options }gw=$QEMU_GATEWAY"
    [[ -n "$options" ]] && append="$options --${QEMU_ARGS:+ $QEMU_ARGS}"
    local debug_flags=()
    if [[ $QEMU_GDB -eq 1 ]]; then
        debug_flags=(-s -S)
        echo "toro: QEMU waits for gdb; in another terminal run:"
        echo "  gdb -ex 'target remote localhost:1234' -ex 'hbreak kernel_main' -ex continue $ROOT/$elf"
    fi
    local status=0
    qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${machine_flags[@]}" \
        -smp "$QEMU_SMP" -m "$QEMU_MEMORY" "${QEMU_DISKS[@]}" "${QEMU_NICS[@]}" -kernel "$elf" \
        -append "$append" "${debug_flags[@]}" || status=$?
    # isa-debug-exit makes QEMU's status 2*code+1: give the app's own code.
    if [[ $status -ne 0 && $((status % 2)) -eq 1 ]]; then exit $(((status - 1) / 2)); fi
    exit $status
}

# clang-tidy over the kernel, the applications, the test harnesses and
# both HALs, each file with the compile commands of the tree that builds
# it: build/ for the hosted code, build/bare/ for hal_bare (the bare flavor,
# its own toolchain; the default build configures and builds it).
lint() {
    build_quietly default || exit 1
    local log status=0
    log="$(mktemp)"
    # CI lints what runs in the kernel and what drives it; the unit test
    # suites (`lint all`) take minutes more.
    local files="(kernel|hal|hal_posix|apps|tests/support|tests/fuzz|tests/tcp_scripts)/.*\.cpp"
    [[ "${1:-}" == all ]] && files="(kernel|hal|hal_posix|apps|tests)/.*\.cpp"
    run-clang-tidy -quiet -p build "$ROOT/$files\$" -j 2 >"$log" 2>&1 || status=$?
    [[ -f build/bare/compile_commands.json ]] ||
        { echo "toro: lint: no build/bare/compile_commands.json (is TORO_BUILD_BARE off?)" >&2; exit 1; }
    # hal_bare is built with -mgeneral-regs-only: g++ takes libstdc++'s
    # long double declarations and refuses only x87 code, clang refuses the
    # declarations too. -mx87 lets clang read the headers; the build's g++
    # still refuses any long double the code would use.
    run-clang-tidy -quiet -p build/bare -extra-arg=-mx87 "$ROOT/hal_bare/.*\.cpp\$" -j 2 \
        >>"$log" 2>&1 || status=$?
    if [[ $status -ne 0 ]] || grep -qE "(warning|error):" "$log"; then
        grep -E -A3 "(warning|error):" "$log" | head -60 >&2
        echo "toro: lint: clang-tidy found the above (the whole log: $log)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "toro: lint: clang-tidy finds nothing in $files or hal_bare/.*\.cpp"
}

test_all() {
    build default
    ctest --preset default -j2
    lint
    build debug
    # Under the sanitizers the same code paths run at every block size; the
    # three trees that hash gigabytes of sparse files (2, 32 and 64 KiB
    # blocks: triple-indirect and 1 GiB boundary files) take minutes under
    # ASan and are left to the default build above.
    ctest --preset debug -j2 -E '^fs_(tree_b(2048|32768|65536)_r[01]|write_b65536(_r0)?)$'
    # 30 s each: CI is a smoke run of the targets (a crash in the seeds or
    # early mutations); real fuzzing is `./toro.sh fuzz TARGET 0` or
    # ClusterFuzzLite (docs/testing.md). 60 s brought CI near 30 minutes.
    for target in "${FUZZ_TARGETS[@]}"; do fuzz_briefly "$target" 30; done
    # The ClusterFuzzLite/OSS-Fuzz build (.clusterfuzzlite/build.sh) with
    # OSS-Fuzz's flags, each target 5 s on its seed corpus: a minute cold
    # (its own tree, build-oss-fuzz/: other flags than build-fuzz/), 30 s warm.
    tests/fuzz/oss_fuzz_check.sh 5
}

FUZZ_TARGETS=(ext2 net_input tcp_connection tcp_pair)

# fuzz TARGET [SECONDS]: build the fuzz preset, then run it.
fuzz() {
    check_fuzz_arguments "$@"
    build fuzz
    run_fuzzer "$@"
}

check_fuzz_arguments() {
    if [[ " ${FUZZ_TARGETS[*]} " != *" ${1:-} "* ]]; then
        echo "toro: fuzz needs a target (${FUZZ_TARGETS[*]})" >&2
        usage >&2
        exit 2
    fi
    [[ "${2:-60}" =~ ^[0-9]+$ ]] || { echo "toro: fuzz: '$2' is not a number of seconds" >&2; exit 2; }
}

# make_fuzz_seeds TARGET DIR: the target's seed inputs, made afresh.
make_fuzz_seeds() {
    case "$1" in
        ext2) tests/fuzz/make_seeds.sh "$2" "$ROOT/../shared/corpora/e2fsprogs" ;;
        net_input) python3 tests/fuzz/make_net_seeds.py "$2" ;;
        tcp_connection) python3 tests/fuzz/make_tcp_seeds.py "$2" ;;
        tcp_pair) python3 tests/fuzz/make_tcp_pair_seeds.py "$2" ;;
    esac
}

# run_fuzzer TARGET [SECONDS]: build-fuzz/tests/fuzz/TARGET_fuzz on seeds
# made afresh; what it learns stays in build-fuzz/fuzz/TARGET/corpus, and
# crashing inputs go to build-fuzz/fuzz/TARGET/crashes.
run_fuzzer() {
    local target="$1" seconds="${2:-60}"
    local work="build-fuzz/fuzz/$target"
    # ext2: the first 64 KiB of an image (the target reads zeros after it, up
    # to the size the superblock claims): libFuzzer's per-input cost grows
    # with the input, and an image's metadata comes first.
    local max_len=65536
    [[ "$target" == net_input ]] && max_len=65536
    [[ "$target" == tcp_pair ]] && max_len=4096  # a decision byte per frame: 4096 frames is a long story
    mkdir -p "$work/corpus" "$work/crashes" && make_fuzz_seeds "$target" "$work/seeds" &&
        # -close_fd_mask=1: the kernels' console (stdout) stays quiet; reports go to stderr.
        "build-fuzz/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=4096 -max_len="$max_len" -close_fd_mask=1 -artifact_prefix="$work/crashes/" \
            "$work/corpus" "$work/seeds"
}

# fuzz_briefly TARGET SECONDS: fuzz, its output in a log that is shown
# only if the fuzzer found something.
fuzz_briefly() {
    check_fuzz_arguments "$1" "$2"
    build fuzz
    local log="build-fuzz/fuzz/$1.log"
    mkdir -p build-fuzz/fuzz
    if ! run_fuzzer "$1" "$2" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "toro: fuzz $1 failed; the log is $log, crashing inputs are in build-fuzz/fuzz/$1/crashes/" >&2
        return 1
    fi
    echo "toro: fuzz $1: $(grep -a -m1 -E '^Done [0-9]+ runs' "$log" || echo 'done'), nothing found"
}

bench() {
    build release
    bench/run.sh build-release
    bench/boot/boot_time.sh build-release 20
    bench/fs/read_bench.sh build-release 11
    bench/ata/ata_bench.sh build-release 32 5
    bench/net/net_bench.sh build-release 5 500 5
    bench/net/udp_echo_bench.sh build-release 3 5
    bench/net/tcp_bench.sh build-release 5 3
    bench/net/qemu_tcp_bench.sh build-release 10 3
    bench/net/lossy_transfer_bench.sh build-release 3
}

command="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$command" in
    deps) deps ;;
    build) build "$@" ;;
    run) run "$@" ;;
    debug) debug "$@" ;;
    lint) lint "$@" ;;
    test) test_all ;;
    bench) bench ;;
    fuzz) fuzz "$@" ;;
    help | -h | --help) usage ;;
    *) echo "toro: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
