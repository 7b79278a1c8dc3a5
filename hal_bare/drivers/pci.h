// PCI configuration space through the legacy ports 0xCF8/0xCFC
// (configuration mechanism #1, PCI Local Bus Specification 3.0 §3.2.2.3.2),
// and the functions found on the buses reachable from bus 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bare {

struct PciFunction {
    std::uint8_t bus, device, function;
    std::uint16_t vendor_id, device_id;
    std::uint8_t class_code, subclass, programming_interface;
    std::uint8_t header_type;  // without the multi-function bit
};

struct PciBar {
    enum class Kind : std::uint8_t { kAbsent, kIo, kMemory32, kMemory64 };
    Kind kind = Kind::kAbsent;
    bool prefetchable = false;
    std::uint64_t address = 0;  // port number for kIo
};

// Configuration registers; `offset` aligned to the access size.
std::uint32_t pci_read32(const PciFunction& function, std::uint8_t offset);
std::uint16_t pci_read16(const PciFunction& function, std::uint8_t offset);
void pci_write16(const PciFunction& function, std::uint8_t offset, std::uint16_t value);
void pci_write32(const PciFunction& function, std::uint8_t offset, std::uint32_t value);

// Boot CPU, before kernel_main: scans bus 0 and every bus behind a
// PCI-to-PCI bridge, and prints one line per function. Cheap: two port
// accesses per empty slot.
void pci_enumerate();
std::size_t pci_function_count();
// Boot CPU, after pci_enumerate: gives BARs the firmware left unassigned an
// address, and routes the INTx of functions it left unrouted (qboot does
// neither; SeaBIOS both). Prints a line for each change.
void pci_assign_resources();
const PciFunction& pci_function(std::size_t index);
// The first function of `class_code`.`subclass` at or after `start`
// (an index), or null.
const PciFunction* pci_find_class(std::uint8_t class_code, std::uint8_t subclass,
                                  std::size_t start = 0);

// BAR `index` (0-5) of a type-0 header, decoded: I/O or memory, 32 or 64
// bits (a 64-bit BAR takes index and index + 1).
PciBar pci_bar(const PciFunction& function, unsigned index);

// Command register bits (PCI 3.0 §6.2.2): turn on I/O decoding, memory
// decoding and bus mastering for a function a driver uses.
inline constexpr std::uint16_t kPciCommandIo = 1u << 0;
inline constexpr std::uint16_t kPciCommandMemory = 1u << 1;
inline constexpr std::uint16_t kPciCommandBusMaster = 1u << 2;
void pci_enable(const PciFunction& function, std::uint16_t command_bits);

}  // namespace bare
