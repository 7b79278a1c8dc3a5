// Interrupt entry points outside the exception range. Interrupts are only
// enabled inside cpu_idle_until's `sti; hlt` and in the window of
// events_dispatch at every scheduling point, so these just acknowledge: the
// wake-up itself is the point, and idle re-checks its state after hlt (a
// wake taken in a window leaves the CPU's wake flag set for the next idle).

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

    .section .note.GNU-stack, "", @progbits
