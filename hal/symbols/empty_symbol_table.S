// The empty table: weak, so an application's generated table
// (cmake/symbol_table.py) replaces it, and binaries without one (unit
// tests, fuzzers, an application's first link step) still link. Either
// way it sits in .rodata, after .text: no function moves between the links.
    .section .rodata.toro_symbols,"a",@progbits
    .balign 8
    .weak toro_symbol_table
    .type toro_symbol_table, @object
    .size toro_symbol_table, 24
toro_symbol_table:
    .quad 0, 0, 0
    .section .note.GNU-stack,"",@progbits
