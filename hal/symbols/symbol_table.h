// Function names for fault reports, from the table every application
// carries (cmake/symbol_table.py builds it at link time). Shared by both
// HALs' fault reports; freestanding, allocation-free and lock-free, so a
// report can use it from an exception or signal handler.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hal::symbols {

struct Symbol {
    const char* name;     // demangled, without the parameter list
    std::uint64_t offset;  // of the address from the function's start
};

// The function holding `address` (a return address or an instruction
// pointer in this image), or false when the address lies in no function
// the table knows (another library, the table is empty, or a wild value).
bool find(std::uintptr_t address, Symbol* symbol);

// How many functions the table names (0 before its second link step).
std::size_t count();

}  // namespace hal::symbols
