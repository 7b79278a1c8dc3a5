#!/usr/bin/env bash
# ./toro.sh debug, gdb in batch mode, on either HAL: from the stop in
# kernel_main to a breakpoint in hello's greeter threads, whose backtrace
# must name the application's function and the kernel's thread start.
#   debug_test.sh TORO_SH hosted|qemu
set -uo pipefail
toro_sh="$1" hal="$2"
commands="$(mktemp)"
trap 'rm -f "$commands"' EXIT
cat >"$commands" <<'GDB'
break greet
continue
bt
GDB
case "$hal" in
    hosted) output=$(timeout 180 "$toro_sh" debug hello --gdb-batch "$commands" --cpus 2 2>&1) ;;
    qemu) output=$(timeout 180 "$toro_sh" debug hello --gdb-batch "$commands" --qemu --smp 2 2>&1) ;;
    *) echo "debug_test: hosted or qemu, not '$hal'" >&2; exit 2 ;;
esac
failed=0
for pattern in "Breakpoint 1, .*kernel_main" "^#0 .*greet" "^#1 .*thread_start"; do
    grep -qE -- "$pattern" <<<"$output" || { echo "FAIL: gdb's output lacks /$pattern/"; failed=1; }
done
if [[ $failed -ne 0 ]]; then
    echo "--- output ---"
    echo "$output"
    exit 1
fi
grep -E "^#[0-9]" <<<"$output"
echo "PASS: $hal"
