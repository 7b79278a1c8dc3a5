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
// 00 is "conforms to the bus": ISA's edge, active high; PCI's level, active low.
constexpr std::uint16_t kPolarityMask = 3, kPolarityActiveHigh = 1, kPolarityActiveLow = 3;
constexpr std::uint16_t kTriggerMask = 3 << 2, kTriggerEdge = 1 << 2, kTriggerLevel = 3 << 2;

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

namespace {

// The GSI an ISA IRQ is wired to and its override's MPS INTI flags (0:
// "conforms to the bus", no override).
std::uint32_t gsi_of(std::uint8_t isa_irq, std::uint16_t* flags) {
    *flags = 0;
    for (unsigned i = 0; i < override_count; ++i) {
        if (overrides[i].isa_irq != isa_irq) continue;
        *flags = overrides[i].flags;
        return overrides[i].gsi;
    }
    return isa_irq;
}

// Writes the redirection entry of `gsi`: `low` (vector, polarity, trigger;
// fixed delivery, physical destination, unmasked) to the local APIC `apic_id`.
bool write_entry(std::uint32_t gsi, std::uint32_t low, std::uint32_t apic_id) {
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

}  // namespace

// ISA: edge-triggered, active high, unless the override says otherwise.
bool ioapic_route_isa(std::uint8_t isa_irq, std::uint8_t vector, std::uint32_t apic_id) {
    std::uint16_t flags;
    std::uint32_t gsi = gsi_of(isa_irq, &flags);
    std::uint32_t low = vector;
    if ((flags & kPolarityMask) == kPolarityActiveLow) low |= kActiveLow;
    if ((flags & kTriggerMask) == kTriggerLevel) low |= kLevelTriggered;
    return write_entry(gsi, low, apic_id);
}

// PCI: level-triggered, active low, unless the override says otherwise.
bool ioapic_route_pci(std::uint8_t line, std::uint8_t vector, std::uint32_t apic_id) {
    std::uint16_t flags;
    std::uint32_t gsi = gsi_of(line, &flags);
    std::uint32_t low = vector;
    if ((flags & kPolarityMask) != kPolarityActiveHigh) low |= kActiveLow;
    if ((flags & kTriggerMask) != kTriggerEdge) low |= kLevelTriggered;
    return write_entry(gsi, low, apic_id);
}

}  // namespace bare
