// What firmware normally does for PCI and qboot leaves undone: memory and
// I/O addresses for BARs that have none, and the INTx routing of the PIIX3
// south bridge (QEMU's pc machine) for functions whose Interrupt Line is
// unset. SeaBIOS does both, so on it this finds nothing to do. The windows
// are QEMU's pc layout: RAM below 4 GiB ends at or before 0xE0000000 (the
// PCI hole reaches up to the I/O APIC at 0xFEC00000), and ports 0xC000 and
// up are free for PCI I/O.
#include "bare.h"
#include "drivers/pci.h"

namespace bare {

namespace {

constexpr std::uint8_t kCommand = 0x04, kBar0 = 0x10, kInterrupt = 0x3C;
constexpr std::uint64_t kMemoryWindowStart = 0xE0000000, kMemoryWindowEnd = 0xFEC00000;
constexpr std::uint32_t kIoWindowStart = 0xC000, kIoWindowEnd = 0x10000;
// PIIX3's PIRQ route control registers (PIRQA-D at 0x60-0x63 of the
// 8086:7000 ISA bridge): bit 7 set disables the route, bits 3:0 name the
// ISA IRQ. SeaBIOS's choice, 10 10 11 11, for the routes it finds unset.
constexpr std::uint8_t kPirqRoute = 0x60;
constexpr std::uint8_t kPirqIrq[4] = {10, 10, 11, 11};
constexpr std::uint16_t kIntelVendor = 0x8086, kPiix3IsaBridge = 0x7000;

struct Window {
    std::uint64_t next, end;
};

// The size a BAR decodes (PCI 3.0 §6.2.5.1: all ones written, the low
// address bits that stay zero), its value restored. 0: not implemented.
// Decoding is off meanwhile: the all-ones address must not claim accesses.
std::uint64_t bar_size(const PciFunction& f, std::uint8_t offset, bool io) {
    std::uint16_t command = pci_read16(f, kCommand);
    pci_write16(f, kCommand, command & ~(kPciCommandIo | kPciCommandMemory));
    std::uint32_t original = pci_read32(f, offset);
    pci_write32(f, offset, 0xFFFFFFFF);
    std::uint32_t mask = pci_read32(f, offset) & (io ? ~std::uint32_t{3} : ~std::uint32_t{15});
    pci_write32(f, offset, original);
    pci_write16(f, kCommand, command);
    if (mask == 0) return 0;
    if (io) mask |= 0xFFFF0000;  // I/O BARs may implement only 16 bits
    return std::uint64_t{~mask} + 1;
}

// The next address of `window` aligned to `size` (a power of two), or 0.
std::uint64_t take(Window& window, std::uint64_t size) {
    std::uint64_t address = (window.next + size - 1) & ~(size - 1);
    if (address + size > window.end || address + size < address) return 0;
    window.next = address + size;
    return address;
}

// Past every BAR the firmware did assign, so that nothing overlaps.
void skip_assigned(Window& memory, Window& io) {
    for (std::size_t i = 0; i < pci_function_count(); ++i) {
        const PciFunction& f = pci_function(i);
        for (unsigned index = 0; index < 6; ++index) {
            PciBar bar = pci_bar(f, index);
            bool io_bar = bar.kind == PciBar::Kind::kIo;
            if (bar.kind == PciBar::Kind::kAbsent) continue;
            Window& window = io_bar ? io : memory;
            std::uint64_t end = bar.address +
                                bar_size(f, static_cast<std::uint8_t>(kBar0 + 4 * index), io_bar);
            if (bar.address >= window.next && bar.address < window.end && end > window.next) {
                window.next = end;
            }
            if (bar.kind == PciBar::Kind::kMemory64) ++index;
        }
    }
}

void assign_bars(const PciFunction& f, Window& memory, Window& io) {
    if (f.header_type != 0) return;
    for (unsigned index = 0; index < 6; ++index) {
        auto offset = static_cast<std::uint8_t>(kBar0 + 4 * index);
        std::uint32_t low = pci_read32(f, offset);
        bool io_bar = (low & 1) != 0;
        bool wide = !io_bar && ((low >> 1) & 3) == 2;
        if (pci_bar(f, index).kind == PciBar::Kind::kAbsent) {
            std::uint64_t size = bar_size(f, offset, io_bar);
            std::uint64_t address = size == 0 ? 0 : take(io_bar ? io : memory, size);
            if (address != 0) {
                pci_write32(f, offset, static_cast<std::uint32_t>(address) | (low & (io_bar ? 3 : 15)));
                if (wide) pci_write32(f, static_cast<std::uint8_t>(offset + 4), 0);
                console_print("pci %02x:%02x.%u: BAR%u assigned %s 0x%llx (%llu bytes)\n", f.bus,
                              f.device, f.function, index, io_bar ? "port" : "memory",
                              static_cast<unsigned long long>(address),
                              static_cast<unsigned long long>(size));
            }
        }
        if (wide) ++index;
    }
}

// PIIX3 on QEMU's pc: device D's pin P (1-4) raises PIRQ (D + P - 2) mod 4.
// An unrouted PIRQ gets the function's Interrupt Line if it names an ISA
// IRQ (qboot writes the line but leaves the route off), else SeaBIOS's
// choice; the line then names the route's IRQ.
void route_interrupt(const PciFunction& f, const PciFunction& bridge) {
    if (f.bus != 0 || f.header_type != 0) return;
    std::uint16_t interrupt = pci_read16(f, kInterrupt);
    auto line = static_cast<std::uint8_t>(interrupt), pin = static_cast<std::uint8_t>(interrupt >> 8);
    if (pin == 0 || pin > 4) return;  // no interrupt
    unsigned pirq = (f.device + pin - 2u) & 3u;
    auto route_offset = static_cast<std::uint8_t>(kPirqRoute + (pirq & 2));
    std::uint16_t routes = pci_read16(bridge, route_offset);
    unsigned shift = 8 * (pirq & 1);
    auto route = static_cast<std::uint8_t>(routes >> shift);
    bool routed = (route & 0x80) == 0 && (route & 0x0F) >= 3;
    if (routed && (route & 0x0F) == line) return;  // the firmware did it all
    if (!routed) {
        route = line >= 3 && line < 16 ? line : kPirqIrq[pirq];
        routes = static_cast<std::uint16_t>((routes & ~(0xFFu << shift)) | (unsigned{route} << shift));
        pci_write16(bridge, route_offset, routes);
    }
    pci_write16(f, kInterrupt, static_cast<std::uint16_t>((interrupt & 0xFF00) | (route & 0x0F)));
    console_print("pci %02x:%02x.%u: INT%c routed to irq %u (PIRQ%c)\n", f.bus, f.device, f.function,
                  'A' + pin - 1, route & 0x0F, 'A' + pirq);
}

}  // namespace

void pci_assign_resources() {
    Window memory{kMemoryWindowStart, kMemoryWindowEnd}, io{kIoWindowStart, kIoWindowEnd};
    skip_assigned(memory, io);
    const PciFunction* bridge = nullptr;
    for (std::size_t i = 0; i < pci_function_count(); ++i) {
        const PciFunction& f = pci_function(i);
        if (f.vendor_id == kIntelVendor && f.device_id == kPiix3IsaBridge) bridge = &f;
    }
    for (std::size_t i = 0; i < pci_function_count(); ++i) {
        const PciFunction& f = pci_function(i);
        if (f.class_code == 0x06) continue;  // bridges: the firmware's or none
        assign_bars(f, memory, io);
        if (bridge != nullptr) route_interrupt(f, *bridge);
    }
}

}  // namespace bare
