// Switching between execution contexts (System V x86-64), shared by both
// HALs: the one piece of machine code that is the same on the host and on
// bare metal, so it lives beside the contract rather than in either HAL.
// toro_switch_stacks(void** save_sp, void* load_sp): pushes the registers
// the ABI says a callee preserves, saves the stack pointer in *save_sp,
// loads load_sp and pops the same registers from there. A new context's
// stack is prepared by context_create() to "return" into
// toro_context_trampoline with rbx = Context*, r12 = entry, r13 = argument.

    .text
    .globl toro_switch_stacks
    .type toro_switch_stacks, @function
toro_switch_stacks:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size toro_switch_stacks, .-toro_switch_stacks

    .globl toro_context_trampoline
    .type toro_context_trampoline, @function
toro_context_trampoline:
    .cfi_startproc
    .cfi_undefined rip      // the first frame of a context: unwinders stop here
    xorl %ebp, %ebp
    movq %rbx, %rdi
    movq %r12, %rsi
    movq %r13, %rdx
    call toro_context_entry
    ud2
    .cfi_endproc
    .size toro_context_trampoline, .-toro_context_trampoline

    .section .note.GNU-stack,"",@progbits
