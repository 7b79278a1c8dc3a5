#!/usr/bin/env bash
# The booted way to run fstool on an image, in the fs tests' calling
# convention (see fstool_hosted.sh):
#   fstool_qemu.sh FSTOOL_ELF IMG CMD ARGS [; CMD ARGS ...]
# The image is the primary master IDE disk of QEMU's -M pc (TCG); the
# commands go on the kernel command line; the serial console is stdout. The
# exit status is fstool's, decoded from isa-debug-exit's (status << 1) | 1.
# TORO_QEMU_SMP and TORO_QEMU_APPEND (e.g. toro.ata=pio) adjust the machine.
set -uo pipefail
elf="$1" image="$2"
shift 2
# Each argument written as the kernel splits the command line (hal/boot.h):
# `"` and `\` escaped, quoted if empty or holding a blank.
line=""
for word in "$@"; do
    word="${word//\\/\\\\}"
    word="${word//\"/\\\"}"
    if [[ -z "$word" || "$word" =~ [[:space:]] ]]; then word="\"$word\""; fi
    line+="${line:+ }$word"
done
extra="${TORO_QEMU_APPEND:-}"
output=$(timeout 600 qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp "${TORO_QEMU_SMP:-2}" -m 256M \
    -drive "file=$image,format=raw,if=ide,index=0" \
    -kernel "$elf" -append "$extra${extra:+ }$line" 2>&1 </dev/null)
status=$?
printf '%s\n' "$output" | tr -d '\r'
if (( status % 2 == 1 )); then exit $(( (status - 1) / 2 )); fi
echo "fstool_qemu: QEMU exit status $status (no exit through isa-debug-exit)" >&2
exit 125
