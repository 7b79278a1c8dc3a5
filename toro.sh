#!/usr/bin/env bash
# The front door: ./toro.sh help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(g++ cmake ninja-build libgtest-dev libgmock-dev libbenchmark-dev valgrind
          qemu-system-x86 seabios e2fsprogs python3 clang libclang-rt-14-dev libboost-dev
          iproute2 iputils-ping tshark python3-scapy)

usage() {
    cat <<'USAGE'
usage: ./toro.sh COMMAND [ARGS]
  deps                  install missing Debian packages (apt-get as root, else print the command)
  build [PRESET]        configure and build (default | debug | release | fuzz)
  run APP [FLAGS] [-- APP_ARGS]
                        build, then run build/apps/APP hosted (FLAGS: --cpus N --memory SIZE)
  run APP --qemu [--machine pc|qboot|q35|microvm] [--smp N] [--memory SIZE] [--disk IMG[,ro]]... [--gdb] [-- APP_ARGS]
                        boot build/bare/apps/APP.elf in QEMU; --gdb waits for a debugger
  test                  build and run every test: the default build, then the ASan+UBSan build,
                        then 60 s of each fuzz target
  bench                 build the release preset and run the benchmarks (see bench/RESULTS.md)
  fuzz TARGET [SECONDS] build the fuzz preset (clang, libFuzzer) and fuzz TARGET (ext2, net_input) for
                        SECONDS (default 60; 0: until interrupted); see docs/testing.md
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
        echo "toro: installing $missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    else
        echo "toro: missing packages; run: sudo apt-get install -y $missing" >&2
        exit 1
    fi
}

build() {
    local preset="${1:-default}"
    deps
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset"
}

run() {
    [[ $# -ge 1 ]] || { echo "toro: run needs an application name" >&2; usage >&2; exit 2; }
    local app="$1"
    shift
    local log
    log="$(mktemp)"
    if ! build default >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    for argument in "$@"; do
        [[ "$argument" == "--" ]] && break
        [[ "$argument" == "--qemu" ]] && { run_qemu "$app" "$@"; return; }
    done
    if [[ ! -x "build/apps/$app" ]]; then
        echo "toro: no application '$app' (have: $(ls build/apps | tr '\n' ' '))" >&2
        exit 2
    fi
    exec "build/apps/$app" "$@"
}

run_qemu() {
    local app="$1" machine=pc smp=1 memory=256M gdb=0 append="" disks=() index=0
    shift
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --qemu) ;;
            --machine) machine="$2"; shift ;;
            --smp) smp="$2"; shift ;;
            --memory) memory="$2"; shift ;;
            --gdb) gdb=1 ;;
            --disk)  # the next IDE disk: primary master first (ata0.0, ata0.1, ...)
                [[ -f "${2%,ro}" ]] || { echo "toro: --disk ${2%,ro}: no such file" >&2; exit 2; }
                # IDE has no read-only drives: ",ro" keeps the image unchanged
                # by sending writes to a throw-away overlay (snapshot=on).
                local readonly_flag=""
                [[ "$2" == *,ro ]] && readonly_flag=",snapshot=on"
                disks+=(-drive "file=${2%,ro},format=raw,if=ide,index=$index$readonly_flag")
                index=$((index + 1))
                shift ;;
            --) shift; append="$*"; break ;;
            *) echo "toro: run --qemu: unknown flag '$1'" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
    local elf="build/bare/apps/$app.elf"
    [[ -f "$elf" ]] || { echo "toro: no bare application '$app'" >&2; exit 2; }
    # shellcheck source=hal_bare/qemu_machine.sh
    source "$ROOT/hal_bare/qemu_machine.sh"
    local flags machine_flags
    flags=$(qemu_machine_flags "$machine") ||
        { echo "toro: --machine must be pc, qboot, q35 or microvm" >&2; exit 2; }
    read -r -a machine_flags <<<"$flags"
    local debug_flags=()
    if [[ $gdb -eq 1 ]]; then
        debug_flags=(-s -S)
        echo "toro: QEMU waits for gdb; in another terminal run:"
        echo "  gdb -ex 'target remote localhost:1234' -ex 'hbreak kernel_main' -ex continue $ROOT/$elf"
    fi
    local status=0
    qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${machine_flags[@]}" \
        -smp "$smp" -m "$memory" "${disks[@]}" -kernel "$elf" -append "$append" "${debug_flags[@]}" || status=$?
    # isa-debug-exit makes QEMU's status 2*code+1: give the app's own code.
    if [[ $status -ne 0 && $((status % 2)) -eq 1 ]]; then exit $(((status - 1) / 2)); fi
    exit $status
}

test_all() {
    build default
    ctest --preset default -j2
    build debug
    # Under the sanitizers the same code paths run at every block size; the
    # three trees that hash gigabytes of sparse files (2, 32 and 64 KiB
    # blocks: triple-indirect and 1 GiB boundary files) take minutes under
    # ASan and are left to the default build above.
    ctest --preset debug -j2 -E '^fs_(tree_b(2048|32768|65536)_r[01]|write_b65536(_r0)?)$'
    for target in "${FUZZ_TARGETS[@]}"; do fuzz_briefly "$target" 60; done
}

FUZZ_TARGETS=(ext2 net_input)

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
    esac
}

# run_fuzzer TARGET [SECONDS]: build-fuzz/tests/fuzz/TARGET_fuzz on seeds
# made afresh; what it learns stays in build-fuzz/fuzz/TARGET/corpus, and
# crashing inputs go to build-fuzz/fuzz/TARGET/crashes.
run_fuzzer() {
    local target="$1" seconds="${2:-60}"
    local work="build-fuzz/fuzz/$target"
    local max_len=4194304  # ext2: images of up to 4 MiB
    [[ "$target" == net_input ]] && max_len=65536
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
}

command="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$command" in
    deps) deps ;;
    build) build "$@" ;;
    run) run "$@" ;;
    test) test_all ;;
    bench) bench ;;
    fuzz) fuzz "$@" ;;
    help | -h | --help) usage ;;
    *) echo "toro: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
