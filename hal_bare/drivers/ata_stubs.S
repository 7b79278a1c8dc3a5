// The ATA channels' IRQs (drivers/ata_dma.cpp): ata_interrupt(channel) in
// C++ (arch/interrupt_entry.inc saves what it may clobber). Apart from
// arch/interrupt_stubs.S so that only images with disks link the driver.
#include "arch/interrupt_entry.inc"

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
    HANDLER_CALL_AND_RETURN ata_interrupt

    .section .note.GNU-stack, "", @progbits
