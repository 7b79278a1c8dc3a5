#!/usr/bin/env bash
# Boots a bare application in QEMU (TCG) and checks QEMU's exit status and
# the serial output.
#   qemu_boot.sh ELF MACHINE PROTOCOL SMP MEMORY EXPECTED_STATUS REGEX... [-- APPEND]
# MACHINE: pc | qboot | q35 | microvm. PROTOCOL: multiboot | pvh. QEMU's
# -kernel prefers multiboot whenever the header is there, so "pvh" boots a
# copy whose multiboot magic is zeroed: the same image otherwise.
set -uo pipefail
elf="$1" machine="$2" protocol="$3" smp="$4" memory="$5" expected="$6"
shift 6
patterns=()
append=""
while [[ $# -gt 0 ]]; do
    if [[ "$1" == "--" ]]; then append="${2:-}"; break; fi
    patterns+=("$1")
    shift
done

# shellcheck source=../../hal_bare/qemu_machine.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../hal_bare/qemu_machine.sh"
flags=$(qemu_machine_flags "$machine") || { echo "unknown machine $machine" >&2; exit 2; }
read -r -a machine_flags <<<"$flags"

kernel="$elf"
if [[ "$protocol" == "pvh" ]]; then
    kernel="$(mktemp --suffix=.elf)"
    trap 'rm -f "$kernel"' EXIT
    cp "$elf" "$kernel"
    offset=$(LC_ALL=C grep -obUaP '\x02\xb0\xad\x1b' "$elf" | head -1 | cut -d: -f1)
    [[ -n "$offset" ]] || { echo "no multiboot magic in $elf" >&2; exit 2; }
    printf '\0\0\0\0' | dd of="$kernel" bs=1 seek="$offset" conv=notrunc status=none
fi

# The HAL says which protocol booted it, and it must be the one asked for
# (zeroing the wrong bytes would leave multiboot to boot the "pvh" copy).
append="toro.boot.report $append"
patterns+=("toro: booted by $([[ "$protocol" == pvh ]] && echo PVH || echo multiboot)")
output=$(timeout 120 qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${machine_flags[@]}" \
    -smp "$smp" -m "$memory" -kernel "$kernel" -append "$append" 2>&1 </dev/null)
status=$?
failed=0
if [[ "$status" != "$expected" ]]; then
    echo "QEMU exit status $status, expected $expected"
    failed=1
fi
for pattern in "${patterns[@]}"; do
    if ! grep -qE -- "$pattern" <<<"$output"; then
        echo "output lacks /$pattern/"
        failed=1
    fi
done
if [[ $failed -ne 0 ]]; then
    echo "--- output ---"
    echo "$output"
    exit 1
fi
echo "ok: $machine $protocol smp=$smp memory=$memory status=$status"
