#!/usr/bin/env bash
# Boots apps/disktest in QEMU (-M pc, TCG) on ATA disks made here, and
# checks what it reports against the host's view of the same image files
# (tests/integration/disk_image.py).
#   qemu_disk.sh DISKTEST_ELF MODE SMP SCENARIO [HOSTED_DISKTEST]
# MODE: dma | pio (toro.ata=pio) | pio-options (toro.ata=pio as a kernel
# option, before a lone "--": the commands after it). SCENARIO:
#   read    a 4 MiB disk: disktest's checksum of it equals the host's; and
#           the hosted disktest's (when given) on the same file
#   write   pattern written to 1000+3000, read back; the host finds the
#           pattern there and the sectors before it unchanged
#   slave   disks on primary master and slave, read at once from two threads
#   lba48   a sparse 129 GiB disk: a write across sector 2^28 (48-bit commands)
#   cdrom   a CD-ROM on the secondary master is skipped; one disk, primary slave
#   error   QEMU's blkdebug fails reads of sector 100 and writes of sector
#           3000 with EIO: exactly the requests touching them fail, with
#           "Input/output error", and the disk goes on serving the rest
#   busy    a read while two threads that only yield keep the CPU from
#           ever idling: the DMA completions still arrive (interrupt
#           windows at scheduling points), well inside a 3 s timeout
#   timeout QEMU throttles the master to 64 bytes/s: a read gets no answer
#           within the 2 s request timeout (DMA) or the driver's 5 s command
#           timeout (PIO) and fails; the channel is reset and the slave on
#           it reads correctly afterwards
set -uo pipefail
elf="$1" mode="$2" smp="$3" scenario="$4" hosted="${5:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image_tool="$here/disk_image.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

append=""
[[ "$mode" == "pio" ]] && append="toro.ata=pio"
[[ "$mode" == "pio-options" ]] && append="toro.ata=pio --"
mode="${mode%-options}"  # what the disk line says
drives=()
expected_status=1  # isa-debug-exit: (disktest's status << 1) | 1
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
    [[ $status -eq $expected_status ]] || fail "QEMU exit status $status, expected $expected_status"
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
error)
    python3 "$image_tool" make "$work/disk.raw" 4 16
    printf '[inject-error]\nevent = "%s"\nerrno = "5"\nsector = "%s"\nonce = "off"\n' \
        read_aio 100 write_aio 3000 >"$work/faults.conf"
    drives+=(-drive "if=none,id=disk0,driver=raw,file.driver=blkdebug,file.config=$work/faults.conf,file.image.filename=$work/disk.raw"
             -device ide-hd,drive=disk0,bus=ide.0,unit=0)
    expected_status=3
    boot "read 96 8 ; read 0 96 ; read 101 50 ; write 2990 20 3 ; write 4000 20 3"
    expect "disktest: checksum 0\+96 $(python3 "$image_tool" fnv "$work/disk.raw" 0 96)"
    expect "disktest: checksum 101\+50 $(python3 "$image_tool" fnv "$work/disk.raw" 101 50)"
    expect "wrote and read back 4000\+20 seed 3"
    [[ $(grep -c "disktest: read: Input/output error" <<<"$output") -eq 1 ]] || fail "the bad read did not fail alone"
    expect "disktest: write: Input/output error"
    ;;
busy)
    python3 "$image_tool" make "$work/disk.raw" 4 19
    drive "$work/disk.raw" 0
    boot "--timeout-ms 3000 busy 2 read 0 8192"
    expect "disktest: checksum 0\+8192 $(python3 "$image_tool" fnv "$work/disk.raw" 0 8192)"
    expect "disktest: 2 busy threads yielded [1-9][0-9]* times"
    expect "disktest: ok"
    ;;
timeout)
    python3 "$image_tool" make "$work/master.raw" 4 17
    python3 "$image_tool" make "$work/slave.raw" 2 18
    drives+=(-drive "file=$work/master.raw,format=raw,if=none,id=disk0,throttling.bps-total=64"
             -device ide-hd,drive=disk0,bus=ide.0,unit=0)
    drive "$work/slave.raw" 1
    # QEMU's throttle lets a request through when its bucket is empty,
    # then makes the next ones wait until the bytes drain (64 a second).
    # QEMU's own read of sector 0 at start-up fills it, unless the boot took
    # longer than its 8 s of draining (a loaded machine): so the first read
    # may pass, and it then fills the bucket for 64 s; the second never
    # gets an answer in time.
    expected_status=3
    boot "--timeout-ms 2000 read 2048 8 ; read 2048 8 ; on 1 read 0 4096"
    failed=$(grep -c "disktest: read: Input/output error" <<<"$output" || true)
    [[ "$failed" -ge 1 && "$failed" -le 2 ]] || fail "$failed failed reads, not 1 or 2"
    expect "disktest: checksum 0\+4096 $(python3 "$image_tool" fnv "$work/slave.raw" 0 4096)"
    [[ "$mode" == "pio" ]] || expect "toro: disk ata0\.0: no answer in 2000 ms; request withdrawn"
    ;;
*)
    echo "unknown scenario $scenario" >&2
    exit 2
    ;;
esac
echo "ok: disktest $scenario, $mode, smp $smp"
