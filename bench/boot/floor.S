// The floor: an image QEMU loads the same way as every application (the
// same headers, the same linker script) whose first instruction exits
// through isa-debug-exit. Nothing can boot faster on the same VMM set-up.
#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x00010002

    .section .multiboot, "a"
    .align 4
multiboot_header:
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
    .long multiboot_header
    .long __image_start
    .long __data_end
    .long __image_end
    .long multiboot_entry

    .section .note.pvh, "a"
    .align 4
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .long pvh_entry

    .section .text.boot, "ax"
    .code32
    .globl multiboot_entry
    .globl pvh_entry
multiboot_entry:
pvh_entry:
    movw $0xF4, %dx
    xorl %eax, %eax
    outl %eax, %dx
1:  hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
