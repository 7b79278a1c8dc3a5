// The application processors' way in: INIT-SIPI-SIPI starts each AP in
// real mode at 0x8000 (SIPI vector 0x08), where the boot CPU copied these
// bytes. It goes to protected mode, then to long mode on the boot CPU's
// page tables and GDT, and jumps to ap_long_mode in the image.
#define TRAMPOLINE_BASE 0x8000
#define AT(label) (TRAMPOLINE_BASE + (label) - trampoline_start)

    .section .rodata.trampoline, "a"
    .globl trampoline_start
    .globl trampoline_end
    .code16
trampoline_start:
    cli
    movw %cs, %ax
    movw %ax, %ds
    lgdtl trampoline_gdt_pointer - trampoline_start
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $AT(protected_mode)

    .code32
protected_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax         // PAE
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx      // EFER.LME
    rdmsr
    orl $(1 << 8), %eax
    wrmsr
    movl %cr0, %eax
    orl $(1 << 31), %eax        // paging
    movl %eax, %cr0
    lgdt boot_gdt_pointer
    ljmp $0x08, $ap_long_mode

    .align 8
trampoline_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF    // 0x08: 32-bit code
    .quad 0x00CF92000000FFFF    // 0x10: data
trampoline_gdt_pointer:
    .word 23
    .long AT(trampoline_gdt)
trampoline_end:

    .text
    .code64
    .globl ap_long_mode
ap_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq ap_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    movl ap_cpu_index(%rip), %edi
    call bare_ap_start
1:  hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
