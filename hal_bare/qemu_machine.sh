# Sourced by toro.sh, tests/integration/qemu_boot.sh and
# bench/boot/boot_time.sh: the QEMU flags of each machine name they accept.
# qemu_machine_flags NAME: prints the flags; fails on an unknown name.
# pc-max is pc with every CPU feature TCG emulates (RDRAND, which the
# default qemu64 CPU lacks).
qemu_machine_flags() {
    case "$1" in
        pc) echo "-M pc" ;;
        pc-max) echo "-M pc -cpu max" ;;
        qboot) echo "-M pc -bios /usr/share/qemu/qboot.rom" ;;
        q35) echo "-M q35" ;;
        microvm) echo "-M microvm" ;;
        *) return 1 ;;
    esac
}
