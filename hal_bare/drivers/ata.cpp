// ATA disks: the probe (IDENTIFY DEVICE), the taskfile, PIO transfers, and
// the hal::BlockDevice each disk is. Bus-master DMA is in ata_dma.cpp.
//
// Every wait on the device is bounded by the clock, so a dead or absent
// device ends in kIoError (or "no disk"), never in a hang.
#include "drivers/ata.h"

#include <atomic>
#include <new>

#include "arch/apic.h"
#include "drivers/pci.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"

namespace bare::ata {

namespace {

constexpr std::uint64_t kProbeTimeout = 500 * kMillisecond;
constexpr std::size_t kPioMaxSectors = 256;  // one 28-bit command's worth
constexpr std::size_t kDmaMaxSectors = 2048;  // 1 MiB: 17 PRD entries at most

constexpr std::uint8_t kIdeClass = 0x01, kIdeSubclass = 0x01;
// Programming interface (PCI IDE Controller Specification rev 1.0): bits 0
// and 2 set mean the primary/secondary channel is in native-PCI mode; bit 7
// a bus master (SFF-8038i) is present, its registers at BAR4.
constexpr std::uint8_t kPrimaryNative = 1u << 0, kSecondaryNative = 1u << 2,
                       kBusMasterCapable = 1u << 7;

Channel channels[2] = {
    {0, 0x1F0, 0x3F6, 0, 14, 0x30, false, {}, nullptr, false, nullptr, nullptr, 0},
    {1, 0x170, 0x376, 0, 15, 0x31, false, {}, nullptr, false, nullptr, nullptr, 0},
};
alignas(Disk) unsigned char disk_storage[4][sizeof(Disk)];
Disk* disks[4];
std::size_t disk_count = 0;
std::atomic<int> probe_state{0};  // 0 not yet, 1 probing, 2 done

std::uint8_t status_of(const Channel& channel) { return in8(channel.command_base + kStatus); }

// ATA/ATAPI-6 clause 9 (protocols): after writing the Device register or a
// command, the status is valid 400 ns later; four reads of the alternate status take
// that long on any bus.
void wait_400ns(const Channel& channel) {
    for (int i = 0; i < 4; ++i) in8(channel.control_base + kAlternateStatus);
}

// Waits until BSY is clear and DRQ set (data to move) or an error shows.
// Returns the status; kStatusBusy on timeout.
std::uint8_t wait_data(const Channel& channel) {
    std::uint8_t status = wait_not_busy(channel, kCommandTimeout);
    if (status & kStatusBusy) return status;
    std::uint64_t deadline = hal::deadline_after(kCommandTimeout);
    while (!(status & (kStatusDataRequest | kStatusError | kStatusDeviceFault))) {
        if (hal::clock_now_ns() > deadline) return kStatusBusy;
        status = status_of(channel);
    }
    return status;
}

bool failed(std::uint8_t status) {
    return status & (kStatusBusy | kStatusError | kStatusDeviceFault);
}

// A PIO transfer, polled; the channel lock is held throughout.
hal::DeviceStatus transfer_pio(Disk& disk, hal::BlockRequest& request) {
    Channel& channel = disk.channel();
    bool flush = request.operation == hal::BlockRequest::Operation::kFlush;
    if (!issue(disk, request, command_for(disk, request, false))) return hal::DeviceStatus::kIoError;
    wait_400ns(channel);
    if (flush) {
        return failed(wait_not_busy(channel, kCommandTimeout)) ? hal::DeviceStatus::kIoError
                                                               : hal::DeviceStatus::kOk;
    }
    bool write = request.operation == hal::BlockRequest::Operation::kWrite;
    std::uint8_t* bytes = request.buffer;
    for (std::size_t sector = 0; sector < request.sector_count; ++sector) {
        std::uint8_t status = wait_data(channel);
        if (failed(status) || !(status & kStatusDataRequest)) return hal::DeviceStatus::kIoError;
        if (write) {
            out16_string(channel.command_base + kData, bytes, kSectorSize / 2);
        } else {
            in16_string(channel.command_base + kData, bytes, kSectorSize / 2);
        }
        bytes += kSectorSize;
        wait_400ns(channel);
    }
    // After the last block the device finishes (writes: commits) and
    // reports through BSY, ERR and DF (WRITE SECTORS, Normal outputs).
    return failed(wait_not_busy(channel, kCommandTimeout)) ? hal::DeviceStatus::kIoError
                                                           : hal::DeviceStatus::kOk;
}

// A PIO channel: the submitting thread runs its request, then the other
// drive's if that one arrived meanwhile (it was parked in `waiting` rather
// than spinning on the lock for a whole transfer). Only the thread that
// made the channel busy touches its registers, so the lock is held just to
// hand the channel over.
hal::DeviceStatus run_pio(Channel& channel, Disk& disk, hal::BlockRequest* request) {
    {
        SpinLockGuard guard(channel.lock);
        if (channel.running != nullptr) {
            channel.waiting = request;
            channel.waiting_disk = &disk;
            return hal::DeviceStatus::kOk;
        }
        channel.running = request;
    }
    Disk* current = &disk;
    while (request != nullptr) {
        hal::DeviceStatus status = transfer_pio(*current, *request);
        // A drive still busy after the command timeout is hung: reset the
        // channel so the next command (the other drive's too) is served.
        if (status != hal::DeviceStatus::kOk && (status_of(channel) & kStatusBusy)) {
            reset_channel(channel);
        }
        hal::BlockRequest* done = request;
        {
            SpinLockGuard guard(channel.lock);
            request = channel.waiting;
            current = channel.waiting_disk;
            channel.waiting = nullptr;
            channel.running = request;
        }
        complete(done, status);
    }
    return hal::DeviceStatus::kOk;
}

// IDENTIFY DEVICE (ATA/ATAPI-6 §8.15) into `words`; false if no ATA disk
// answers (absent, or ATAPI, whose signature is in LBA mid/high).
bool identify(const Channel& channel, unsigned drive, std::uint16_t words[256]) {
    out8(channel.command_base + kDevice, static_cast<std::uint8_t>(0xA0 | (drive << 4)));
    wait_400ns(channel);
    std::uint8_t status = status_of(channel);
    if (status == 0xFF || status == 0x00) return false;  // floating bus, or QEMU's no drive
    if (status & kStatusBusy) status = wait_not_busy(channel, kProbeTimeout);
    if (status & kStatusBusy) return false;
    for (std::uint16_t reg : {kSectorCount, kLbaLow, kLbaMid, kLbaHigh}) {
        out8(channel.command_base + reg, 0);
    }
    out8(channel.command_base + kCommand, kIdentifyDevice);
    wait_400ns(channel);
    if (status_of(channel) == 0) return false;
    status = wait_not_busy(channel, kProbeTimeout);
    if (status & kStatusBusy) return false;
    if (in8(channel.command_base + kLbaMid) != 0 || in8(channel.command_base + kLbaHigh) != 0) {
        return false;  // ATAPI (0x14, 0xEB) or SATA signature: not an ATA disk
    }
    std::uint64_t deadline = hal::deadline_after(kProbeTimeout);
    while (!(status & (kStatusDataRequest | kStatusError))) {
        if (hal::clock_now_ns() > deadline) return false;
        status = status_of(channel);
    }
    if (status & kStatusError) return false;
    in16_string(channel.command_base + kData, words, 256);
    return true;
}

// Model number: words 27-46, two ASCII characters per word, first in the
// high byte (IDENTIFY DEVICE data), blank-padded.
void copy_model(const std::uint16_t words[256], char model[41]) {
    for (int i = 0; i < 20; ++i) {
        model[2 * i] = static_cast<char>(words[27 + i] >> 8);
        model[2 * i + 1] = static_cast<char>(words[27 + i] & 0xFF);
    }
    int length = 40;
    while (length > 0 && model[length - 1] == ' ') --length;
    model[length] = '\0';
}

void probe_drive(Channel& channel, unsigned drive, bool* dma_capable) {
    std::uint16_t words[256];
    if (!identify(channel, drive, words)) return;
    // Word 49 bit 9: LBA supported (CHS-only disks are not). Word 83 bit
    // 10: the 48-bit address feature set; words 100-103 then hold the
    // sector count, else words 60-61 (IDENTIFY DEVICE data table).
    if (!(words[49] & (1u << 9))) return;
    bool lba48 = words[83] & (1u << 10);
    std::uint64_t sectors = words[60] | std::uint64_t{words[61]} << 16;
    if (lba48) {
        sectors = 0;
        for (int i = 3; i >= 0; --i) sectors = sectors << 16 | words[100 + i];
    }
    if (sectors == 0) return;
    if (!(words[49] & (1u << 8))) *dma_capable = false;  // word 49 bit 8: DMA supported
    char model[41];
    copy_model(words, model);
    disks[disk_count] = new (disk_storage[disk_count]) Disk(&channel, drive, sectors, lba48, model);
    ++disk_count;
}

// The IDE function's bus master registers (SFF-8038i: BAR4, 16 ports,
// primary at +0, secondary at +8), when it has them and may use them.
std::uint16_t bus_master_base(const PciFunction& ide) {
    if (!(ide.programming_interface & kBusMasterCapable) || hal_options.ata_pio) return 0;
    PciBar bar = pci_bar(ide, 4);
    if (bar.kind != PciBar::Kind::kIo || bar.address > 0xFFF0) return 0;
    return static_cast<std::uint16_t>(bar.address);
}

void probe() {
    const PciFunction* ide = pci_find_class(kIdeClass, kIdeSubclass);
    if (ide == nullptr) return;
    // Native-PCI channels (ports in BARs 0-3, a PCI interrupt) are not
    // supported; QEMU's PIIX and most firmware use compatibility mode.
    std::uint8_t interface = ide->programming_interface;
    bool legacy[2] = {!(interface & kPrimaryNative), !(interface & kSecondaryNative)};
    std::uint16_t bus_master = bus_master_base(*ide);
    pci_enable(*ide, bus_master != 0 ? kPciCommandIo | kPciCommandBusMaster : kPciCommandIo);
    for (Channel& channel : channels) {
        if (!legacy[channel.index]) continue;
        std::size_t first = disk_count;
        bool dma_capable = bus_master != 0;
        for (unsigned drive = 0; drive < 2; ++drive) probe_drive(channel, drive, &dma_capable);
        if (disk_count == first) continue;
        if (dma_capable) {
            channel.bus_master_base = static_cast<std::uint16_t>(bus_master + 8 * channel.index);
            channel.dma = dma_initialize(channel);
        }
        // nIEN: the drive interrupts only when a DMA channel waits for it.
        out8(channel.control_base + kDeviceControl, channel.dma ? 0 : kControlInterruptsOff);
        for (std::size_t i = first; i < disk_count; ++i) {
            Disk& disk = *disks[i];
            std::uint64_t mib = disk.sector_count() / (1024 * 1024 / kSectorSize);
            console_print("%s: %lu sectors (%lu MiB), %s, %s, '%s'\n", disk.name(),
                          static_cast<unsigned long>(disk.sector_count()),
                          static_cast<unsigned long>(mib), disk.lba48() ? "lba48" : "lba28",
                          channel.dma ? "dma" : "pio", disk.model());
        }
    }
}

void probe_once() {
    int state = probe_state.load(std::memory_order_acquire);
    if (state == 2) return;
    if (state == 0 && probe_state.compare_exchange_strong(state, 1, std::memory_order_acquire)) {
        probe();
        probe_state.store(2, std::memory_order_release);
        return;
    }
    while (probe_state.load(std::memory_order_acquire) != 2) hal::cpu_relax();
}

}  // namespace

Channel& channel_by_index(unsigned index) { return channels[index]; }

void spin_for(std::uint64_t nanoseconds) {
    std::uint64_t deadline = hal::deadline_after(nanoseconds);
    while (hal::clock_now_ns() < deadline) asm volatile("pause");
}

// ATA/ATAPI-6 clause 9.2 (software reset protocol): SRST for at least
// 5 us, then at least 2 ms before BSY means anything, then BSY clears when
// the drives are ready (bounded here by the command timeout).
void reset_channel(const Channel& channel) {
    out8(channel.control_base + kDeviceControl, kControlReset | kControlInterruptsOff);
    spin_for(10 * 1000);
    out8(channel.control_base + kDeviceControl, channel.dma ? 0 : kControlInterruptsOff);
    spin_for(2 * kMillisecond);
    wait_not_busy(channel, kCommandTimeout);
}

std::uint8_t wait_not_busy(const Channel& channel, std::uint64_t timeout_ns) {
    std::uint8_t status = status_of(channel);
    if (!(status & kStatusBusy)) return status;
    std::uint64_t deadline = hal::deadline_after(timeout_ns);
    while ((status = status_of(channel)) & kStatusBusy) {
        if (hal::clock_now_ns() > deadline) return kStatusBusy;
    }
    return status;
}

// ATA/ATAPI-6 clause 7: a 48-bit command takes each of count and LBA twice in
// the same registers, the high-order bytes first (the "previous content").
bool issue(const Disk& disk, const hal::BlockRequest& request, std::uint8_t command) {
    const Channel& channel = disk.channel();
    std::uint16_t base = channel.command_base;
    if (wait_not_busy(channel, kCommandTimeout) & kStatusBusy) return false;
    std::uint64_t lba = request.first_sector;
    std::size_t count = request.sector_count;
    bool extended = command == kReadSectorsExt || command == kWriteSectorsExt ||
                    command == kReadDmaExt || command == kWriteDmaExt;
    std::uint8_t select = kDeviceLba | (disk.drive() ? kDeviceSlave : 0);
    if (!extended && command != kFlushCache && command != kFlushCacheExt) {
        select |= static_cast<std::uint8_t>((lba >> 24) & 0x0F);
    }
    out8(base + kDevice, select);
    wait_400ns(channel);
    std::uint8_t status = wait_not_busy(channel, kCommandTimeout);
    if (status & (kStatusBusy | kStatusDataRequest)) return false;
    if (extended) {
        out8(base + kSectorCount, static_cast<std::uint8_t>(count >> 8));
        out8(base + kLbaLow, static_cast<std::uint8_t>(lba >> 24));
        out8(base + kLbaMid, static_cast<std::uint8_t>(lba >> 32));
        out8(base + kLbaHigh, static_cast<std::uint8_t>(lba >> 40));
    }
    out8(base + kSectorCount, static_cast<std::uint8_t>(count));  // 0 means 256 (65536 if 48-bit)
    out8(base + kLbaLow, static_cast<std::uint8_t>(lba));
    out8(base + kLbaMid, static_cast<std::uint8_t>(lba >> 8));
    out8(base + kLbaHigh, static_cast<std::uint8_t>(lba >> 16));
    out8(base + kCommand, command);
    return true;
}

// 48-bit commands when the request reaches past 2^28 sectors or carries
// more than 256; the 28-bit ones otherwise (shorter taskfile).
std::uint8_t command_for(const Disk& disk, const hal::BlockRequest& request, bool dma) {
    using Operation = hal::BlockRequest::Operation;
    if (request.operation == Operation::kFlush) return disk.lba48() ? kFlushCacheExt : kFlushCache;
    bool extended = request.first_sector + request.sector_count > kLba28Limit ||
                    request.sector_count > 256;
    bool write = request.operation == Operation::kWrite;
    if (dma) {
        if (write) return extended ? kWriteDmaExt : kWriteDma;
        return extended ? kReadDmaExt : kReadDma;
    }
    if (write) return extended ? kWriteSectorsExt : kWriteSectors;
    return extended ? kReadSectorsExt : kReadSectors;
}

void complete(hal::BlockRequest* request, hal::DeviceStatus status) {
    hal::EventId event = request->completion_event;  // the request may go once completed
    request->status = status;
    request->completed.store(true, std::memory_order_release);
    hal::event_raise(event);
}

Disk::Disk(Channel* channel, unsigned drive, std::uint64_t sectors, bool lba48, const char* model)
    : channel_(channel), drive_(drive), sectors_(sectors), lba48_(lba48) {
    const char name[] = {'a', 't', 'a', static_cast<char>('0' + channel->index), '.',
                         static_cast<char>('0' + drive), '\0'};
    for (std::size_t i = 0; i < sizeof name; ++i) name_[i] = name[i];
    std::size_t i = 0;
    for (; model[i] != '\0' && i < sizeof model_ - 1; ++i) model_[i] = model[i];
    model_[i] = '\0';
}

// Without 48-bit commands a request may not pass 256 sectors.
std::size_t Disk::max_sectors_per_request() const {
    return channel_->dma && lba48_ ? kDmaMaxSectors : kPioMaxSectors;
}

// A waiting request is dropped; a running DMA transfer is abandoned and
// the channel reset; a running PIO transfer ends by itself, every step of
// it bounded by kCommandTimeout.
bool Disk::cancel(hal::BlockRequest* request) {
    SpinLockGuard guard(channel_->lock);
    if (request->completed.load(std::memory_order_acquire)) return false;
    if (channel_->waiting == request) {
        channel_->waiting = nullptr;
        return true;
    }
    if (channel_->running != request || !channel_->dma) return false;
    dma_abandon(*channel_);
    if (channel_->waiting != nullptr) {
        hal::BlockRequest* next = channel_->waiting;
        channel_->waiting = nullptr;
        dma_start(*channel_, *channel_->waiting_disk, next, channel_->waiting_apic_id);
    }
    return true;
}

hal::DeviceStatus Disk::submit(hal::BlockRequest* request) {
    using Operation = hal::BlockRequest::Operation;
    if (request->operation != Operation::kFlush) {
        // Bus-master DMA moves 16-bit words (SFF-8038i): an odd buffer is refused.
        if (request->sector_count == 0 || request->sector_count > max_sectors_per_request() ||
            request->buffer == nullptr || reinterpret_cast<std::uintptr_t>(request->buffer) % 2) {
            return hal::DeviceStatus::kInvalid;
        }
        if (request->first_sector >= sectors_ ||
            request->sector_count > sectors_ - request->first_sector) {
            return hal::DeviceStatus::kOutOfRange;
        }
        if (!lba48_ && request->first_sector + request->sector_count > kLba28Limit) {
            return hal::DeviceStatus::kOutOfRange;
        }
        // The PRD table holds 32-bit addresses (SFF-8038i); RAM is
        // identity-mapped, so the buffer's address is its physical one.
        auto end = reinterpret_cast<std::uintptr_t>(request->buffer) +
                   request->sector_count * kSectorSize;
        if (channel_->dma && end > (std::uint64_t{1} << 32)) return hal::DeviceStatus::kInvalid;
    }
    if (!channel_->dma) return run_pio(*channel_, *this, request);
    SpinLockGuard guard(channel_->lock);
    // Routed to the submitting CPU: the one whose thread sleeps on the event.
    if (channel_->running == nullptr) {
        dma_start(*channel_, *this, request, apic_id());
    } else {
        channel_->waiting = request;
        channel_->waiting_disk = this;
        channel_->waiting_apic_id = apic_id();
    }
    return hal::DeviceStatus::kOk;
}

}  // namespace bare::ata

namespace hal {

std::size_t block_device_count() {
    bare::ata::probe_once();
    return bare::ata::disk_count;
}

BlockDevice* block_device(std::size_t index) {
    bare::ata::probe_once();
    return index < bare::ata::disk_count ? bare::ata::disks[index] : nullptr;
}

}  // namespace hal
