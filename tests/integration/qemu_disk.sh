#!/usr/bin/env bash
# Boots apps/disktest in QEMU (-M pc, TCG) on ATA disks made here, and
# checks what it reports against the host's view of the same image files
# (tests/integration/disk_image.py).
#   qemu_disk.sh DISKTEST_ELF MODE SMP SCENARIO [HOSTED_DISKTEST]
# MODE: dma | pio (toro.ata=pio). SCENARIO:
#   read    a 4 MiB disk: disktest's checksum of it equals the host's; and
#           the hosted disktest's (when given) on the same file
#   write   pattern written to 1000+3000, read back; the host finds the
#           pattern there and the sectors before it unchanged
#   slave   disks on primary master and slave, read at once from two threads
#   lba48   a sparse 129 GiB disk: a write across sector 2^28 (48-bit commands)
#   cdrom   a CD-ROM on the secondary master is skipped; one disk, primary slave
set -uo pipefail
elf="$1" mode="$2" smp="$3" scenario="$4" hosted="${5:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image_tool="$here/disk_image.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

append=""
[[ "$mode" == "pio" ]] && append="toro.ata=pio"
drives=()
# drive FILE UNIT: a raw disk on the primary channel (unit 0 master, 1 slave).
drive() {
    drives+=(-drive "file=$1,format=raw,if=none,id=disk$2" -device "ide-hd,drive=disk$2,bus=ide.0,unit=$2")
}
fail() {
    echo "FAIL: $*"
    echo "--- output ---"
    echo "$output"
    exit 1
}
boot() {
    output=$(timeout 60 qemu-system-x86_64 -nographic -nodefaults -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -M pc -smp "$smp" -m 128M \
        "${drives[@]}" -kernel "$elf" -append "$append${append:+ }$*" 2>&1 </dev/null)
    local status=$?
    [[ $status -eq 1 ]] || fail "QEMU exit status $status, expected 1 (disktest exit 0)"
    grep -q "^ata0\.[01]: .*, $mode, " <<<"$output" || fail "no disk line in $mode mode"
}
expect() { grep -qE -- "$1" <<<"$output" || fail "output lacks /$1/"; }

case "$scenario" in
read)
    python3 "$image_tool" make "$work/disk.raw" 4 11
    drive "$work/disk.raw" 0
    boot
    sum=$(python3 "$image_tool" fnv "$work/disk.raw" 0 8192)
    expect "disktest: checksum 0\+8192 $sum"
    expect "reads past the end refused: Numerical result out of range"
    if [[ -n "$hosted" ]]; then
        output=$("$hosted" --disk "$work/disk.raw" --cpus "$smp" 2>&1)
        expect "disktest: checksum 0\+8192 $sum"
    fi
    ;;
write)
    python3 "$image_tool" make "$work/disk.raw" 4 12
    before=$(python3 "$image_tool" fnv "$work/disk.raw" 0 1000)
    drive "$work/disk.raw" 0
    boot write 1000 3000 77
    expect "wrote and read back 1000\+3000 seed 77"
    python3 "$image_tool" pattern "$work/disk.raw" 1000 3000 77 || fail "pattern not on the image"
    [[ "$(python3 "$image_tool" fnv "$work/disk.raw" 0 1000)" == "$before" ]] ||
        fail "sectors before the write changed"
    ;;
slave)
    python3 "$image_tool" make "$work/master.raw" 4 13
    python3 "$image_tool" make "$work/slave.raw" 2 14
    drive "$work/master.raw" 0
    drive "$work/slave.raw" 1
    boot two
    expect "^ata0\.1: 4096 sectors \(2 MiB\)"
    expect "disktest: 2 disk\(s\)"
    expect "ata0\.0 checksum 0\+8192 $(python3 "$image_tool" fnv "$work/master.raw" 0 8192)"
    expect "ata0\.1 checksum 0\+4096 $(python3 "$image_tool" fnv "$work/slave.raw" 0 4096)"
    ;;
lba48)
    truncate -s 129G "$work/big.raw"
    drive "$work/big.raw" 0
    first=$(((1 << 28) - 20))
    boot write "$first" 40 5
    expect "^ata0\.0: 270532608 sectors \(132096 MiB\), lba48"
    expect "wrote and read back $first\+40 seed 5"
    python3 "$image_tool" pattern "$work/big.raw" "$first" 40 5 || fail "pattern not on the image"
    ;;
cdrom)
    python3 "$image_tool" make "$work/disk.raw" 1 15
    drive "$work/disk.raw" 1
    drives+=(-drive if=none,id=cd,media=cdrom -device ide-cd,drive=cd,bus=ide.1,unit=0)
    boot
    expect "disktest: 1 disk\(s\)"
    expect "disktest: ata0\.1: 2048 sectors"
    expect "disktest: checksum 0\+2048 $(python3 "$image_tool" fnv "$work/disk.raw" 0 2048)"
    ;;
*)
    echo "unknown scenario $scenario" >&2
    exit 2
    ;;
esac
echo "ok: disktest $scenario, $mode, smp $smp"
