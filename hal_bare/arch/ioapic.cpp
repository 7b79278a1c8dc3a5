// I/O APIC redirection entries (82093AA datasheet §3.2: IOREGSEL at +0x00,
// IOWIN at +0x10; register 0x01 the version and last entry; entry n at
// 0x10 + 2n, low dword then high dword). RAM and the IO-APIC page are
// identity-mapped, so its physical address is its address.
#include "arch/ioapic.h"

#include "bare.h"

namespace bare {

namespace {

struct IoApic {
    std::uint64_t address;
    std::uint32_t gsi_base;
    std::uint32_t entry_count;  // read from the version register on first use
};

struct Override {
    std::uint8_t isa_irq;
    std::uint32_t gsi;
    std::uint16_t flags;
};

constexpr unsigned kMaxIoApics = 8, kMaxOverrides = 16;
constexpr std::uint32_t kVersion = 0x01, kRedirectionTable = 0x10;
// Redirection entry, low dword (82093AA §3.2.4).
constexpr std::uint32_t kActiveLow = 1u << 13, kLevelTriggered = 1u << 15;
// MPS INTI flags (ACPI 6.4 §5.2.12.5): polarity bits 1:0, trigger 3:2.
constexpr std::uint16_t kPolarityMask = 3, kPolarityActiveLow = 3;
constexpr std::uint16_t kTriggerMask = 3 << 2, kTriggerLevel = 3 << 2;

IoApic io_apics[kMaxIoApics];
unsigned io_apic_count = 0;
Override overrides[kMaxOverrides];
unsigned override_count = 0;
SpinLock window_lock;  // IOREGSEL/IOWIN is a two-step access

std::uint32_t read_register(const IoApic& apic, std::uint32_t index) {
    *reinterpret_cast<volatile std::uint32_t*>(apic.address) = index;
    return *reinterpret_cast<volatile std::uint32_t*>(apic.address + 0x10);
}

void write_register(const IoApic& apic, std::uint32_t index, std::uint32_t value) {
    *reinterpret_cast<volatile std::uint32_t*>(apic.address) = index;
    *reinterpret_cast<volatile std::uint32_t*>(apic.address + 0x10) = value;
}

}  // namespace

void ioapic_add(std::uint64_t address, std::uint32_t gsi_base) {
    if (io_apic_count < kMaxIoApics && address < (std::uint64_t{4} << 30)) {
        io_apics[io_apic_count++] = {address, gsi_base, 0};
    }
}

void ioapic_add_override(std::uint8_t isa_irq, std::uint32_t gsi, std::uint16_t flags) {
    if (override_count < kMaxOverrides) overrides[override_count++] = {isa_irq, gsi, flags};
}

bool ioapic_route_isa(std::uint8_t isa_irq, std::uint8_t vector, std::uint32_t apic_id) {
    std::uint32_t gsi = isa_irq;
    std::uint32_t low = vector;  // fixed delivery, physical destination, unmasked
    for (unsigned i = 0; i < override_count; ++i) {
        if (overrides[i].isa_irq != isa_irq) continue;
        gsi = overrides[i].gsi;
        if ((overrides[i].flags & kPolarityMask) == kPolarityActiveLow) low |= kActiveLow;
        if ((overrides[i].flags & kTriggerMask) == kTriggerLevel) low |= kLevelTriggered;
    }
    SpinLockGuard guard(window_lock);
    for (unsigned i = 0; i < io_apic_count; ++i) {
        IoApic& apic = io_apics[i];
        if (apic.entry_count == 0) apic.entry_count = ((read_register(apic, kVersion) >> 16) & 0xFF) + 1;
        if (gsi < apic.gsi_base || gsi >= apic.gsi_base + apic.entry_count) continue;
        std::uint32_t entry = kRedirectionTable + 2 * (gsi - apic.gsi_base);
        write_register(apic, entry + 1, apic_id << 24);
        write_register(apic, entry, low);
        return true;
    }
    return false;
}

}  // namespace bare
