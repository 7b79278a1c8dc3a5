// Looking an address up in the image's symbol table: a binary search over
// function start offsets. The format is cmake/symbol_table.py's.
#include "symbol_table.h"

namespace {

struct Entry {
    std::uint32_t offset;  // from Table::base
    std::uint32_t size;    // 0: unknown, up to the next function
    std::uint32_t name;    // into the names after the entries
};

struct Table {
    std::uint64_t anchor;  // toro_symbol_anchor's link address
    std::uint64_t base;
    std::uint64_t count;
    // count Entries follow, then the names.
};

}  // namespace

// The application's table, or the empty one (empty_symbol_table.S, weak)
// in binaries without one (tests) and in an application's first link.
extern "C" const Table toro_symbol_table;

// Its link address is in the table, its run address is here: the
// difference is how far the image was moved (hosted PIE), 0 on bare metal.
extern "C" [[gnu::noinline, gnu::used]] void toro_symbol_anchor() { asm volatile(""); }

namespace hal::symbols {

std::size_t count() { return static_cast<std::size_t>(toro_symbol_table.count); }

bool find(std::uintptr_t address, Symbol* symbol) {
    const Table& table = toro_symbol_table;
    if (table.count == 0) return false;
    const auto* entries = reinterpret_cast<const Entry*>(&table + 1);
    std::uint64_t slide = reinterpret_cast<std::uintptr_t>(&toro_symbol_anchor) - table.anchor;
    std::uint64_t link_address = address - slide;
    if (link_address < table.base || link_address - table.base > 0xFFFFFFFFu) return false;
    auto offset = static_cast<std::uint32_t>(link_address - table.base);
    // The last entry starting at or below offset.
    std::uint64_t low = 0, high = table.count;
    while (high - low > 1) {
        std::uint64_t middle = low + (high - low) / 2;
        if (entries[middle].offset <= offset) {
            low = middle;
        } else {
            high = middle;
        }
    }
    const Entry& entry = entries[low];
    if (entry.offset > offset) return false;
    std::uint32_t into = offset - entry.offset;
    if (entry.size != 0 && into >= entry.size) return false;  // in a gap after it
    const char* names = reinterpret_cast<const char*>(&entries[table.count]);
    symbol->name = names + entry.name;
    symbol->offset = into;
    return true;
}

}  // namespace hal::symbols
