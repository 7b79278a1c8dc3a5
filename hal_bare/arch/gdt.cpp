// Each CPU's GDT and TSS (Intel SDM vol. 3 §3.4.5, §7.7). The TSS exists
// for its interrupt stack table: a double fault (IST1) and a page fault
// (IST2) switch to known-good stacks, so a fault on a broken stack pointer
// or a stack overflow into a guard page is still reported.
#include <cstdint>

#include "bare.h"
#include "hal/boot.h"

namespace bare {

namespace {

struct Tss {
    std::uint32_t reserved0;
    std::uint64_t rsp[3];
    std::uint64_t reserved1;
    std::uint64_t ist[7];
    std::uint64_t reserved2;
    std::uint16_t reserved3;
    std::uint16_t io_map_base;
} __attribute__((packed));
static_assert(sizeof(Tss) == 104);

struct GdtPointer {
    std::uint16_t limit;
    std::uint64_t base;
} __attribute__((packed));

// null, 64-bit code (0x08), data (0x10), then the 16-byte TSS descriptor.
struct CpuTables {
    std::uint64_t gdt[5];
    Tss tss;
};

CpuTables tables[hal::kMaxCpus];
constexpr std::uint16_t kTssSelector = 0x18;

}  // namespace

void gdt_load(unsigned cpu, char* double_fault_stack_top, char* page_fault_stack_top) {
    CpuTables& t = tables[cpu];
    t.gdt[0] = 0;
    t.gdt[1] = 0x00AF9A000000FFFF;
    t.gdt[2] = 0x00CF92000000FFFF;
    auto base = reinterpret_cast<std::uint64_t>(&t.tss);
    std::uint64_t limit = sizeof(Tss) - 1;
    t.gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (std::uint64_t{0x89} << 40) |
               (((base >> 24) & 0xFF) << 56);  // present, 64-bit available TSS
    t.gdt[4] = base >> 32;
    t.tss.ist[kDoubleFaultIst - 1] = reinterpret_cast<std::uint64_t>(double_fault_stack_top);
    t.tss.ist[kPageFaultIst - 1] = reinterpret_cast<std::uint64_t>(page_fault_stack_top);
    t.tss.io_map_base = sizeof(Tss);  // no I/O permission map
    GdtPointer pointer{sizeof t.gdt - 1, reinterpret_cast<std::uint64_t>(t.gdt)};
    // Same selectors as the boot GDT: cs and ss stay valid across the load.
    asm volatile("lgdt %0\n\tltr %w1" : : "m"(pointer), "r"(kTssSelector) : "memory");
}

}  // namespace bare
