// IDT entry points for the 32 exception vectors. Each pushes a uniform
// frame (a zero where the CPU pushes no error code, then the vector) and
// the general registers, and calls exception_report(frame).

    .text
.macro EXCEPTION vector, has_error_code
    .globl exception_stub_\vector
exception_stub_\vector:
    .if \has_error_code == 0
    pushq $0
    .endif
    pushq $\vector
    jmp exception_common
.endm

EXCEPTION 0, 0
EXCEPTION 1, 0
EXCEPTION 2, 0
EXCEPTION 3, 0
EXCEPTION 4, 0
EXCEPTION 5, 0
EXCEPTION 6, 0
EXCEPTION 7, 0
EXCEPTION 8, 1
EXCEPTION 9, 0
EXCEPTION 10, 1
EXCEPTION 11, 1
EXCEPTION 12, 1
EXCEPTION 13, 1
EXCEPTION 14, 1
EXCEPTION 15, 0
EXCEPTION 16, 0
EXCEPTION 17, 1
EXCEPTION 18, 0
EXCEPTION 19, 0
EXCEPTION 20, 0
EXCEPTION 21, 1
EXCEPTION 22, 0
EXCEPTION 23, 0
EXCEPTION 24, 0
EXCEPTION 25, 0
EXCEPTION 26, 0
EXCEPTION 27, 0
EXCEPTION 28, 0
EXCEPTION 29, 1
EXCEPTION 30, 1
EXCEPTION 31, 0

exception_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    andq $-16, %rsp
    call exception_report
1:  hlt
    jmp 1b

    .section .rodata
    .align 8
    .globl exception_stubs
exception_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exception_stub_\v
    .endr

    .section .note.GNU-stack, "", @progbits
