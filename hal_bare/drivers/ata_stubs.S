// The ATA channels' IRQs (drivers/ata_dma.cpp): ata_interrupt(channel) in
// C++, so every register the ABI lets it clobber is saved. Apart from
// arch/interrupt_stubs.S so that only images with disks link the driver. The CPU pushed
// 40 bytes onto a 16-byte-aligned stack; nine more pushes keep the call
// aligned.
    .text
    .globl ata_primary_stub
    .globl ata_secondary_stub
ata_primary_stub:
    pushq %rdi
    movl $0, %edi
    jmp ata_common
ata_secondary_stub:
    pushq %rdi
    movl $1, %edi
ata_common:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    cld
    call ata_interrupt
    movl $0xFEE000B0, %eax      // local APIC end-of-interrupt register
    movl $0, (%rax)
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    popq %rdi
    iretq


    .section .note.GNU-stack, "", @progbits
