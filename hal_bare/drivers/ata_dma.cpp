// Bus-master IDE DMA (SFF-8038i "Programming Interface for Bus Master IDE
// Controller" rev 1.0; the Intel PIIX3/PIIX4 datasheets' "Bus Master IDE"
// registers are the same): a table of physical region descriptors (PRDs) tells the
// controller where the sectors go; the drive interrupts when the transfer
// ends, on ISA IRQ 14 (primary) or 15 (secondary) in compatibility mode,
// which the IO-APIC delivers to the submitting CPU. The handler ends the
// request and starts the channel's waiting one, if any.
#include "arch/apic.h"
#include "arch/ioapic.h"
#include "drivers/ata.h"

// interrupt_stubs.S: save the caller-saved registers, call
// ata_interrupt(channel), EOI, iretq.
extern "C" void ata_primary_stub();
extern "C" void ata_secondary_stub();

namespace bare::ata {

namespace {

// Bus master registers, per channel (SFF-8038i, register descriptions).
constexpr std::uint16_t kBmCommand = 0, kBmStatus = 2, kBmPrdTable = 4;
constexpr std::uint8_t kBmStart = 1u << 0;
constexpr std::uint8_t kBmToMemory = 1u << 3;  // "read/write control": 1 = the device reads
constexpr std::uint8_t kBmActive = 1u << 0, kBmError = 1u << 1, kBmInterrupt = 1u << 2;

// A PRD (SFF-8038i, Physical Region Descriptor): a physical address, a byte count (0 means
// 64 KiB), bit 15 of the last word marks the table's end. A region may
// not cross a 64 KiB boundary.
struct Prd {
    std::uint32_t address;
    std::uint16_t byte_count;
    std::uint16_t flags;
};
static_assert(sizeof(Prd) == 8);
constexpr std::uint16_t kEndOfTable = 1u << 15;
constexpr std::size_t kRegion = 64 * 1024;
constexpr std::size_t kMaxPrds = 32;  // 1 MiB needs 17

// One table per channel, 256-byte aligned so it never crosses 64 KiB
// (the table itself must not); in the image, below 4 GiB.
alignas(256) Prd prd_tables[2][kMaxPrds];

// Describes [buffer, buffer + bytes) in regions that stop at each 64 KiB
// boundary; false if the table is too small.
bool fill_prds(Prd* table, std::uintptr_t buffer, std::size_t bytes) {
    std::size_t count = 0;
    while (bytes > 0) {
        if (count == kMaxPrds) return false;
        std::size_t room = kRegion - (buffer % kRegion);
        std::size_t length = bytes < room ? bytes : room;
        table[count++] = {static_cast<std::uint32_t>(buffer),
                          static_cast<std::uint16_t>(length == kRegion ? 0 : length), 0};
        buffer += length;
        bytes -= length;
    }
    table[count - 1].flags = kEndOfTable;
    return true;
}

bool is_flush(const hal::BlockRequest& request) {
    return request.operation == hal::BlockRequest::Operation::kFlush;
}

}  // namespace

bool dma_initialize(Channel& channel) {
    if (!ioapic_route_isa(channel.isa_irq, channel.vector, apic_id())) return false;
    set_interrupt_gate(channel.vector, channel.index == 0 ? ata_primary_stub : ata_secondary_stub);
    out8(channel.bus_master_base + kBmCommand, 0);
    out8(channel.bus_master_base + kBmStatus, kBmInterrupt | kBmError);  // write 1 to clear
    return true;
}

// SFF-8038i "Standard Programming Sequence": PRD table address,
// direction, clear interrupt and error, the drive's command, then Start.
// A flush has no data: the drive's interrupt alone ends it.
void dma_start(Channel& channel, Disk& disk, hal::BlockRequest* request, std::uint32_t apic_id) {
    std::uint16_t bus_master = channel.bus_master_base;
    bool data = !is_flush(*request);
    bool to_memory = request->operation == hal::BlockRequest::Operation::kRead;
    if (data) {
        Prd* table = prd_tables[channel.index];
        if (!fill_prds(table, reinterpret_cast<std::uintptr_t>(request->buffer),
                       request->sector_count * kSectorSize)) {
            complete(request, hal::DeviceStatus::kInvalid);
            return;
        }
        asm volatile("" ::: "memory");  // the table is in memory before the controller reads it
        out8(bus_master + kBmCommand, 0);
        out32(bus_master + kBmPrdTable, static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(table)));
        out8(bus_master + kBmCommand, to_memory ? kBmToMemory : 0);
        out8(bus_master + kBmStatus, kBmInterrupt | kBmError);
    }
    channel.running = request;
    channel.running_uses_dma = data;
    ioapic_route_isa(channel.isa_irq, channel.vector, apic_id);
    if (!issue(disk, *request, command_for(disk, *request, data))) {
        channel.running = nullptr;
        complete(request, hal::DeviceStatus::kIoError);
        return;
    }
    if (data) out8(bus_master + kBmCommand, (to_memory ? kBmToMemory : 0) | kBmStart);
}

void dma_abandon(Channel& channel) {
    out8(channel.bus_master_base + kBmCommand, 0);
    reset_channel(channel);
    out8(channel.bus_master_base + kBmStatus, kBmInterrupt | kBmError);
    channel.running = nullptr;
}

}  // namespace bare::ata

// The channel's IRQ, on the CPU it was routed to, inside that CPU's idle
// halt or the interrupt window of one of its scheduling points (the only
// places interrupts are on; no code there holds the channel's lock), on
// the stack of whatever runs there. SFF-8038i: read the bus
// master status, clear Start, read the drive's status (which deasserts
// INTRQ), clear the interrupt bit.
extern "C" void ata_interrupt(unsigned index) {
    using namespace bare;
    using namespace bare::ata;
    Channel& channel = channel_by_index(index);
    SpinLockGuard guard(channel.lock);
    std::uint16_t bus_master = channel.bus_master_base;
    std::uint8_t bm_status = in8(bus_master + kBmStatus);
    hal::BlockRequest* request = channel.running;
    if (request != nullptr && channel.running_uses_dma && !(bm_status & kBmInterrupt)) {
        return;  // not this channel's transfer ending (a shared or spurious IRQ)
    }
    if (request != nullptr && channel.running_uses_dma) out8(bus_master + kBmCommand, 0);
    std::uint8_t status = in8(channel.command_base + kStatus);
    out8(bus_master + kBmStatus, kBmInterrupt | kBmError);
    if (request == nullptr) return;
    if (status & kStatusBusy) return;  // a flush not done yet
    bool bad = (status & (kStatusError | kStatusDeviceFault)) ||
               (channel.running_uses_dma && (bm_status & (kBmError | kBmActive)));
    channel.running = nullptr;
    complete(request, bad ? hal::DeviceStatus::kIoError : hal::DeviceStatus::kOk);
    if (channel.waiting != nullptr) {
        hal::BlockRequest* next = channel.waiting;
        channel.waiting = nullptr;
        dma_start(channel, *channel.waiting_disk, next, channel.waiting_apic_id);
    }
}
