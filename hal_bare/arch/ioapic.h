// The I/O APIC (Intel 82093AA datasheet): routes a device's interrupt line
// to a vector on one CPU's local APIC. The MADT (read at boot) names the
// IO-APICs and the ISA interrupt source overrides.
#pragma once

#include <cstdint>

namespace bare {

// From the MADT, at boot: an IO-APIC's registers and first GSI (ACPI 6.4
// §5.2.12.3), and an ISA IRQ that is wired to another GSI or with other
// polarity/trigger than ISA's edge, active high (§5.2.12.5, MPS INTI flags).
void ioapic_add(std::uint64_t address, std::uint32_t gsi_base);
void ioapic_add_override(std::uint8_t isa_irq, std::uint32_t gsi, std::uint16_t flags);

// Routes ISA IRQ `isa_irq` (through its override, if any) to `vector` on
// the CPU whose local APIC id is `apic_id` (fixed delivery, physical
// destination), unmasked. May be called again to move it. False when no
// IO-APIC serves it. Threads or interrupt handlers (it takes a spinlock).
bool ioapic_route_isa(std::uint8_t isa_irq, std::uint8_t vector, std::uint32_t apic_id);

// Routes a PCI function's INTx, wired by the firmware to ISA IRQ `line`
// (its Interrupt Line register, PCI 3.0 §6.2.4), the same way, but as a
// PCI interrupt: level-triggered and active low (PCI 3.0 §2.2.6) unless
// the MADT's override for that IRQ says otherwise (QEMU's says level,
// active high, and its IO-APIC ignores the polarity). Level-triggered: the
// handler must quiet the device before its EOI, or the IO-APIC sends the
// interrupt again at once. False when no IO-APIC serves it.
bool ioapic_route_pci(std::uint8_t line, std::uint8_t vector, std::uint32_t apic_id);

}  // namespace bare
