#!/usr/bin/env bash
# The front door: ./toro.sh help
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(g++ cmake ninja-build libgtest-dev libgmock-dev libbenchmark-dev valgrind)

usage() {
    cat <<'USAGE'
usage: ./toro.sh COMMAND [ARGS]
  deps                  install missing Debian packages (apt-get as root, else print the command)
  build [PRESET]        configure and build (default | debug | release)
  run APP [FLAGS] [-- APP_ARGS]
                        build, then run build/apps/APP hosted (FLAGS: --cpus N --memory SIZE)
  test                  build and run every test: the default build, then the ASan+UBSan build
  bench                 build the release preset and run the benchmarks (see bench/RESULTS.md)
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
    if [[ ! -x "build/apps/$app" ]]; then
        echo "toro: no application '$app' (have: $(ls build/apps | tr '\n' ' '))" >&2
        exit 2
    fi
    exec "build/apps/$app" "$@"
}

test_all() {
    build default
    ctest --preset default -j2
    build debug
    ctest --preset debug -j2
}

bench() {
    build release
    bench/run.sh build-release
}

command="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$command" in
    deps) deps ;;
    build) build "$@" ;;
    run) run "$@" ;;
    test) test_all ;;
    bench) bench ;;
    help | -h | --help) usage ;;
    *) echo "toro: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
