// The e1000 controllers' interrupt vector (drivers/e1000.cpp):
// e1000_interrupt() in C++, so every register the ABI lets it clobber is
// saved. Apart from arch/interrupt_stubs.S so that only images with a NIC
// link the driver. The CPU pushed 40 bytes onto a 16-byte-aligned stack;
// nine more pushes keep the call aligned. The EOI comes after the handler
// has quieted the controller: the line is level-triggered, and the IO-APIC
// delivers it again at the EOI if it is still asserted.
    .text
    .globl e1000_interrupt_stub
e1000_interrupt_stub:
    pushq %rdi
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    cld
    call e1000_interrupt
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
