// The first instructions: from a loader's 32-bit protected mode to
// long mode and bare_start(). Two ways in, one path after:
//   multiboot (QEMU -kernel, GRUB): eax = 0x2BADB002, ebx = multiboot info
//   Xen PVH (QEMU/Firecracker/cloud-hypervisor): ebx = hvm_start_info
// Both: flat 32-bit segments, paging off, interrupts off, no usable stack.
// The work before bare_start is only what long mode needs: identity page
// tables for the first 4 GiB (2 MiB pages), PAE, LME, paging, a GDT.

#define MULTIBOOT_MAGIC 0x1BADB002
#define MULTIBOOT_FLAGS 0x00010002   /* memory map wanted; addresses in header */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

    .section .multiboot, "a"
    .align 4
multiboot_header:
    .long MULTIBOOT_MAGIC
    .long MULTIBOOT_FLAGS
    .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
    .long multiboot_header      // header_addr
    .long __image_start         // load_addr
    .long __data_end            // load_end_addr
    .long __image_end           // bss_end_addr
    .long multiboot_entry       // entry_addr

    .section .note.pvh, "a"
    .align 4
    .long 4                     // name size
    .long 4                     // descriptor size
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long pvh_entry

    .section .text.boot, "ax"
    .code32
    .globl multiboot_entry
multiboot_entry:
    movl $1, %edi               // BootProtocol::kMultiboot
    movl %ebx, %esi
    jmp enter_long_mode

    .globl pvh_entry
pvh_entry:
    movl $2, %edi               // BootProtocol::kPvh
    movl %ebx, %esi

enter_long_mode:
    cli
    // PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
    movl $boot_pdpt, %eax
    orl $3, %eax
    movl %eax, boot_pml4
    movl $boot_page_directories, %eax
    orl $3, %eax
    movl %eax, boot_pdpt
    addl $4096, %eax
    movl %eax, boot_pdpt + 8
    addl $4096, %eax
    movl %eax, boot_pdpt + 16
    addl $4096, %eax
    movl %eax, boot_pdpt + 24
    xorl %ecx, %ecx             // page index 0..2047
1:  movl %ecx, %eax
    shll $21, %eax              // low 32 bits of the physical address
    orl $0x83, %eax             // present, writable, 2 MiB page
    movl %ecx, %edx
    shrl $11, %edx              // high bits (pages >= 4 GiB never: ecx < 2048)
    movl %eax, boot_page_directories(,%ecx,8)
    movl %edx, boot_page_directories+4(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b
    // The first 2 MiB in 4 KiB pages, so that bare_start can take page 0
    // away once it has read the loader's records (PVH puts them there):
    // then a null pointer dereference faults.
    movl $boot_low_page_table, %eax
    orl $3, %eax
    movl %eax, boot_page_directories
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    orl $3, %eax                // present, writable
    movl %eax, boot_low_page_table(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 2b

    movl %cr4, %eax
    orl $(1 << 5), %eax         // PAE
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx      // EFER
    rdmsr
    orl $(1 << 8), %eax         // long mode enable
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | 1), %eax  // paging, protection
    movl %eax, %cr0
    lgdt boot_gdt_pointer
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    // edi = protocol, esi = its info record (both zero-extended)
    call bare_start
3:  hlt
    jmp 3b

    .section .rodata
    .align 16
    .globl boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    // 0x08: 64-bit code
    .quad 0x00CF92000000FFFF    // 0x10: data
boot_gdt_end:
    .globl boot_gdt_pointer
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss
    .align 4096
    .globl boot_pml4
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
    .globl boot_page_directories
boot_page_directories: .skip 4 * 4096
    .globl boot_low_page_table
boot_low_page_table: .skip 4096
    .globl boot_stack_top
    .globl boot_stack
boot_stack: .skip 64 * 1024
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
