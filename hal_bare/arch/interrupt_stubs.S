// Interrupt entry points outside the exception range. Interrupts are only
// enabled inside cpu_idle_until's `sti; hlt`, so these just acknowledge:
// the wake-up itself is the point, and idle re-checks its state after hlt.

    .text
    .globl apic_timer_stub
    .globl apic_wake_stub
    .globl apic_spurious_stub
apic_timer_stub:
apic_wake_stub:
    pushq %rax
    movl $0xFEE000B0, %eax      // local APIC end-of-interrupt register
    movl $0, (%rax)
    popq %rax
    iretq
apic_spurious_stub:             // no EOI for the spurious vector (SDM 10.9)
    iretq

// The ATA channels' IRQs (drivers/ata_dma.cpp): ata_interrupt(channel) in
// C++, so every register the ABI lets it clobber is saved. The CPU pushed
// 40 bytes onto a 16-byte-aligned stack; nine more pushes keep the call
// aligned.
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
