#!/usr/bin/env bash
# ./toro.sh debug, gdb in batch mode, on either HAL: from the stop in
# kernel_main to a breakpoint in hello's greeter threads, whose backtrace
# must name the application's function and the kernel's thread start; then
# tools/gdb/toro.py's view: `toro threads` lists the greeters running and
# main, `toro thread main` shows main's stack (from toro_main, blocked in
# join or running), the idle thread of the greeter's CPU shows where it
# switched out (its saved context, whatever the timing),
# and `toro restore` brings the CPU's own registers back (greet again).
#   debug_test.sh TORO_SH hosted|qemu
set -uo pipefail
toro_sh="$1" hal="$2"
commands="$(mktemp)"
trap 'rm -f "$commands"' EXIT
cat >"$commands" <<'GDB'
break greet
continue
bt
toro threads
toro thread main
echo MAIN-THREAD\n
bt
python
cpu = [t.cpu for t in kernel_threads() if t.is_current and t.name == "greeter"][0]
idle = [i for i, t in enumerate(kernel_threads()) if t.is_idle and t.cpu == cpu][0]
gdb.execute("toro thread %d" % idle)
end
echo IDLE-THREAD\n
bt
toro restore
echo RESTORED\n
bt 1
GDB
case "$hal" in
    hosted) output=$(timeout 180 "$toro_sh" debug hello --gdb-batch "$commands" --cpus 2 2>&1) ;;
    qemu) output=$(timeout 180 "$toro_sh" debug hello --gdb-batch "$commands" --qemu --smp 2 2>&1) ;;
    *) echo "debug_test: hosted or qemu, not '$hal'" >&2; exit 2 ;;
esac
failed=0
expect() {  # expect WHAT PATTERN TEXT
    grep -qE -- "$2" <<<"$3" || { echo "FAIL: $1 lacks /$2/"; failed=1; }
}
expect "gdb's output" "Breakpoint 1, .*kernel_main" "$output"
expect "gdb's output" "^#0 .*greet" "$output"
expect "gdb's output" "^#1 .*thread_start" "$output"
expect "toro threads" "^\* *[0-9]+ +[01] +greeter +running" "$output"
expect "toro threads" "^ +[0-9]+ +0 +idle +(ready|running)" "$output"
expect "toro threads" "^[ *] *[0-9]+ +0 +main +(blocked|ready|running)" "$output"
main_stack=$(sed -n '/^MAIN-THREAD/,/^IDLE-THREAD/p' <<<"$output")
expect "main's backtrace" "^#[0-9]+ .*toro_main" "$main_stack"
idle_stack=$(sed -n '/^IDLE-THREAD/,/^RESTORED/p' <<<"$output")
expect "the switched-out idle thread's backtrace" "^#[0-9]+ .*(run_idle_loop|switch_to)" "$idle_stack"
restored=$(sed -n '/^RESTORED/,$p' <<<"$output")
expect "the restored backtrace" "^#0 .*greet" "$restored"
if [[ $failed -ne 0 ]]; then
    echo "--- output ---"
    echo "$output"
    exit 1
fi
grep -E "^#[0-9]|^[ *] *[0-9]+ +[0-9]+ " <<<"$output"
echo "PASS: $hal"
