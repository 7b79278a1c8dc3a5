// PCI enumeration by configuration mechanism #1. Only buses reachable from
// bus 0 are scanned (through each PCI-to-PCI bridge's secondary bus number,
// and the extra host bridges of a multi-function 00:00), not all 256: an
// empty slot costs one dword read, so a QEMU pc or q35 machine is scanned
// in about a hundred port accesses.
#include "drivers/pci.h"

#include "bare.h"

namespace bare {

namespace {

constexpr std::uint16_t kAddressPort = 0xCF8, kDataPort = 0xCFC;
constexpr std::uint32_t kEnable = 1u << 31;
// Type-0/1 header offsets (PCI 3.0 §6.1; PCI-to-PCI Bridge 1.2 §3.2).
constexpr std::uint8_t kVendorDevice = 0x00, kCommand = 0x04, kClass = 0x08, kHeader = 0x0C,
                       kBar0 = 0x10, kBridgeBuses = 0x18;
constexpr std::uint8_t kMultiFunction = 0x80;
constexpr std::uint8_t kBridgeClass = 0x06, kPciToPciBridge = 0x04;
constexpr std::size_t kMaxFunctions = 64;

PciFunction functions[kMaxFunctions];
std::size_t function_count = 0;
std::uint32_t buses_seen[256 / 32];

std::uint32_t address_of(std::uint8_t bus, std::uint8_t device, std::uint8_t function,
                         std::uint8_t offset) {
    return kEnable | std::uint32_t{bus} << 16 | std::uint32_t{device} << 11 |
           std::uint32_t{function} << 8 | (offset & 0xFCu);
}

std::uint32_t read32(std::uint8_t bus, std::uint8_t device, std::uint8_t function,
                     std::uint8_t offset) {
    out32(kAddressPort, address_of(bus, device, function, offset));
    return in32(kDataPort);
}

const char* name_of(const PciFunction& f) {
    struct Name {
        std::uint8_t class_code, subclass;
        const char* name;
    };
    static constexpr Name kNames[] = {
        {0x01, 0x01, "ide"},         {0x01, 0x06, "sata"},        {0x01, 0x00, "scsi"},
        {0x01, 0x08, "nvme"},        {0x02, 0x00, "ethernet"},    {0x03, 0x00, "vga"},
        {0x06, 0x00, "host bridge"}, {0x06, 0x01, "isa bridge"},  {0x06, 0x04, "pci bridge"},
        {0x06, 0x80, "bridge"},      {0x0C, 0x03, "usb"},         {0x0C, 0x05, "smbus"},
    };
    for (const Name& name : kNames) {
        if (name.class_code == f.class_code && name.subclass == f.subclass) return name.name;
    }
    return "";
}

void scan_bus(std::uint8_t bus);

void add_function(std::uint8_t bus, std::uint8_t device, std::uint8_t function,
                  std::uint32_t ids) {
    std::uint32_t class_register = read32(bus, device, function, kClass);
    std::uint32_t header_register = read32(bus, device, function, kHeader);
    PciFunction f{bus,
                  device,
                  function,
                  static_cast<std::uint16_t>(ids),
                  static_cast<std::uint16_t>(ids >> 16),
                  static_cast<std::uint8_t>(class_register >> 24),
                  static_cast<std::uint8_t>(class_register >> 16),
                  static_cast<std::uint8_t>(class_register >> 8),
                  static_cast<std::uint8_t>((header_register >> 16) & 0x7F)};
    if (function_count < kMaxFunctions) functions[function_count++] = f;
    console_print("pci %02x:%02x.%u %04x:%04x class %02x.%02x.%02x %s\n", bus, device, function,
                  f.vendor_id, f.device_id, f.class_code, f.subclass, f.programming_interface,
                  name_of(f));
    if (f.class_code == kBridgeClass && f.subclass == kPciToPciBridge && f.header_type == 1) {
        scan_bus(static_cast<std::uint8_t>(read32(bus, device, function, kBridgeBuses) >> 8));
    }
}

void scan_bus(std::uint8_t bus) {
    std::uint32_t& seen_word = buses_seen[bus / 32];
    std::uint32_t bit = 1u << (bus % 32);
    if (seen_word & bit) return;  // a bridge loop, or a bus reached twice
    seen_word |= bit;
    for (std::uint8_t device = 0; device < 32; ++device) {
        std::uint32_t ids = read32(bus, device, 0, kVendorDevice);
        if ((ids & 0xFFFF) == 0xFFFF) continue;
        bool multi_function = (read32(bus, device, 0, kHeader) >> 16) & kMultiFunction;
        add_function(bus, device, 0, ids);
        for (std::uint8_t function = 1; multi_function && function < 8; ++function) {
            ids = read32(bus, device, function, kVendorDevice);
            if ((ids & 0xFFFF) != 0xFFFF) add_function(bus, device, function, ids);
        }
    }
}

}  // namespace

std::uint32_t pci_read32(const PciFunction& f, std::uint8_t offset) {
    return read32(f.bus, f.device, f.function, offset);
}

std::uint16_t pci_read16(const PciFunction& f, std::uint8_t offset) {
    return static_cast<std::uint16_t>(pci_read32(f, offset) >> (8 * (offset & 2)));
}

// A 16-bit write through the data port's matching half, so the other half
// (the status register, whose bits clear when written with 1) is untouched.
void pci_write16(const PciFunction& f, std::uint8_t offset, std::uint16_t value) {
    out32(kAddressPort, address_of(f.bus, f.device, f.function, offset));
    out16(static_cast<std::uint16_t>(kDataPort + (offset & 2)), value);
}

void pci_write32(const PciFunction& f, std::uint8_t offset, std::uint32_t value) {
    out32(kAddressPort, address_of(f.bus, f.device, f.function, offset));
    out32(kDataPort, value);
}

void pci_enumerate() {
    function_count = 0;
    for (std::uint32_t& word : buses_seen) word = 0;
    scan_bus(0);
    // A multi-function 00:00.0 means several host bridges: function N
    // owns bus N (the usual firmware layout).
    std::uint32_t host_header = read32(0, 0, 0, kHeader);
    if ((host_header & 0xFFFF) != 0xFFFF && ((host_header >> 16) & kMultiFunction)) {
        for (std::uint8_t function = 1; function < 8; ++function) {
            if ((read32(0, 0, function, kVendorDevice) & 0xFFFF) != 0xFFFF) scan_bus(function);
        }
    }
}

std::size_t pci_function_count() { return function_count; }
const PciFunction& pci_function(std::size_t index) { return functions[index]; }

const PciFunction* pci_find_class(std::uint8_t class_code, std::uint8_t subclass,
                                  std::size_t start) {
    for (std::size_t i = start; i < function_count; ++i) {
        if (functions[i].class_code == class_code && functions[i].subclass == subclass) {
            return &functions[i];
        }
    }
    return nullptr;
}

// PCI 3.0 §6.2.5.1: bit 0 set is I/O (address in bits 31:2); else memory,
// bits 2:1 the type (00 32-bit, 10 64-bit), bit 3 prefetchable.
PciBar pci_bar(const PciFunction& f, unsigned index) {
    PciBar bar;
    if (index > 5 || f.header_type != 0) return bar;
    auto offset = static_cast<std::uint8_t>(kBar0 + 4 * index);
    std::uint32_t low = pci_read32(f, offset);
    if (low & 1) {
        bar.kind = PciBar::Kind::kIo;
        bar.address = low & ~std::uint32_t{3};
    } else {
        bar.prefetchable = (low & 8) != 0;
        bar.address = low & ~std::uint32_t{15};
        bar.kind = PciBar::Kind::kMemory32;
        if (((low >> 1) & 3) == 2 && index < 5) {
            bar.kind = PciBar::Kind::kMemory64;
            bar.address |= std::uint64_t{pci_read32(f, static_cast<std::uint8_t>(offset + 4))} << 32;
        }
    }
    if (bar.address == 0) bar.kind = PciBar::Kind::kAbsent;  // not assigned by firmware
    return bar;
}

void pci_enable(const PciFunction& f, std::uint16_t command_bits) {
    std::uint16_t command = pci_read16(f, kCommand);
    if ((command & command_bits) != command_bits) pci_write16(f, kCommand, command | command_bits);
}

}  // namespace bare
