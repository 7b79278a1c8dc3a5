// Finding the CPUs and the IO-APICs: the ACPI MADT's processor-local-APIC,
// IO-APIC and interrupt-source-override entries (ACPI 6.4 §5.2.5 RSDP,
// §5.2.7-8 RSDT/XSDT, §5.2.12 MADT). Every length and pointer read from the
// tables is checked before use.
#include <cstddef>
#include <cstdint>

#include "arch/ioapic.h"
#include "bare.h"

namespace bare {

namespace {

struct Rsdp {
    char signature[8];
    std::uint8_t checksum;
    char oem[6];
    std::uint8_t revision;
    std::uint32_t rsdt;
    std::uint32_t length;
    std::uint64_t xsdt;
} __attribute__((packed));

struct TableHeader {
    char signature[4];
    std::uint32_t length;
    std::uint8_t revision, checksum;
    char oem[6], oem_table[8];
    std::uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));
static_assert(sizeof(TableHeader) == 36);

constexpr std::uint64_t kMappedEnd = std::uint64_t{4} << 30;

bool same(const char* a, const char* b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

bool sums_to_zero(const void* bytes, std::size_t length) {
    std::uint8_t sum = 0;
    for (std::size_t i = 0; i < length; ++i) sum += static_cast<const std::uint8_t*>(bytes)[i];
    return sum == 0;
}

const Rsdp* scan_for_rsdp(std::uintptr_t start, std::uintptr_t end) {
    for (std::uintptr_t at = start; at + sizeof(Rsdp) <= end; at += 16) {
        auto* rsdp = reinterpret_cast<const Rsdp*>(at);
        if (same(rsdp->signature, "RSD PTR ", 8) && sums_to_zero(rsdp, 20)) return rsdp;
    }
    return nullptr;
}

const TableHeader* table_at(std::uint64_t address) {
    if (address == 0 || address + sizeof(TableHeader) > kMappedEnd) return nullptr;
    auto* table = reinterpret_cast<const TableHeader*>(address);
    if (table->length < sizeof(TableHeader) || address + table->length > kMappedEnd) return nullptr;
    return table;
}

const TableHeader* find_madt(const Rsdp* rsdp) {
    bool extended = rsdp->revision >= 2 && rsdp->xsdt != 0;
    const TableHeader* root = table_at(extended ? rsdp->xsdt : rsdp->rsdt);
    if (root == nullptr) return nullptr;
    std::size_t entry_size = extended ? 8 : 4;
    std::size_t count = (root->length - sizeof(TableHeader)) / entry_size;
    auto* entries = reinterpret_cast<const std::uint8_t*>(root + 1);
    for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t address = 0;
        for (std::size_t b = 0; b < entry_size; ++b) {
            address |= std::uint64_t{entries[i * entry_size + b]} << (8 * b);
        }
        const TableHeader* table = table_at(address);
        if (table != nullptr && same(table->signature, "APIC", 4)) return table;
    }
    return nullptr;
}

}  // namespace

const void* find_rsdp_in_bios_areas() {
    // The BIOS data area's EBDA segment, read in assembly: GCC treats any
    // access below 4 KiB as a null dereference.
    std::uint32_t segment;
    asm volatile("movzwl 0x40E, %0" : "=r"(segment));
    std::uintptr_t ebda = std::uintptr_t{segment} << 4;
    if (ebda >= 0x80000 && ebda < 0xA0000) {
        if (const Rsdp* rsdp = scan_for_rsdp(ebda, ebda + 1024)) return rsdp;
    }
    // Firmware puts it high in the BIOS area: the last 64 KiB first.
    if (const Rsdp* rsdp = scan_for_rsdp(0xF0000, 0x100000)) return rsdp;
    return scan_for_rsdp(0xE0000, 0xF0000);
}

namespace {

std::uint32_t read_le32(const std::uint8_t* bytes) {
    return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | std::uint32_t{bytes[3]} << 24;
}

}  // namespace

unsigned read_madt(const void* rsdp_address, std::uint32_t boot_apic_id, std::uint32_t* apic_ids,
                   unsigned capacity) {
    apic_ids[0] = boot_apic_id;  // the boot CPU is CPU 0
    unsigned count = 1;
    auto* rsdp = static_cast<const Rsdp*>(rsdp_address);
    if (rsdp == nullptr) return count;
    const TableHeader* madt = find_madt(rsdp);
    if (madt == nullptr) return count;
    auto* at = reinterpret_cast<const std::uint8_t*>(madt) + sizeof(TableHeader) + 8;
    auto* end = reinterpret_cast<const std::uint8_t*>(madt) + madt->length;
    // §5.2.12.2 local APIC (8 bytes), §5.2.12.3 IO-APIC (12), §5.2.12.5
    // interrupt source override (10).
    constexpr std::uint8_t kLocalApic = 0, kIoApic = 1, kSourceOverride = 2;
    while (at + 2 <= end && at[1] >= 2 && at + at[1] <= end) {
        if (at[0] == kLocalApic && at[1] >= 8 && (at[4] & 1) != 0 && at[3] != boot_apic_id &&
            count < capacity) {
            apic_ids[count++] = at[3];
        } else if (at[0] == kIoApic && at[1] >= 12) {
            ioapic_add(read_le32(at + 4), read_le32(at + 8));
        } else if (at[0] == kSourceOverride && at[1] >= 10 && at[2] == 0) {  // bus 0: ISA
            ioapic_add_override(at[3], read_le32(at + 4),
                                static_cast<std::uint16_t>(at[8] | at[9] << 8));
        }
        at += at[1];
    }
    return count;
}

}  // namespace bare
