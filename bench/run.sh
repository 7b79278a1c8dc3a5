#!/usr/bin/env bash
# Runs every benchmark from a build tree (default build-release), with
# repetitions interleaved at random so that load on a shared machine falls
# on Toro and its baseline alike. Extra arguments go to Google Benchmark.
set -euo pipefail
build="${1:-build-release}"
shift || true
"$build/bench/toro_bench" \
    --benchmark_repetitions=10 \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_min_time=0.2 \
    "$@"
