// The e1000 controllers' interrupt vector (drivers/e1000.cpp):
// e1000_interrupt() in C++ (arch/interrupt_entry.inc saves what it may
// clobber, and EOIs after it, once the controller has lowered its
// level-triggered line). Apart from arch/interrupt_stubs.S so that only
// images with a NIC link the driver.
#include "arch/interrupt_entry.inc"

    .text
    .globl e1000_interrupt_stub
e1000_interrupt_stub:
    pushq %rdi
    HANDLER_CALL_AND_RETURN e1000_interrupt

    .section .note.GNU-stack, "", @progbits
