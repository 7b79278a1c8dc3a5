// ATA disks on the PCI IDE controller in compatibility mode (QEMU -M pc's
// PIIX3 IDE, 8086:7010): the legacy channels at 0x1F0/0x3F6 (IRQ 14) and
// 0x170/0x376 (IRQ 15), master and slave on each; PIO, or bus-master DMA
// (SFF-8038i) with completion by interrupt through the IO-APIC.
//
// The disks are probed the first time the kernel asks for them
// (hal::block_device_count or hal::block_device), from a kernel thread: the
// probe's bounded waits need the clock, whose first use calibrates the TSC
// for 10 ms, which boot should not pay for an application without disks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bare.h"
#include "hal/devices.h"

namespace bare::ata {

// The ATA command block and control block registers (ATA/ATAPI-6 clause 7),
// offsets from the channel's two base ports.
inline constexpr std::uint16_t kData = 0, kError = 1, kFeatures = 1, kSectorCount = 2,
                               kLbaLow = 3, kLbaMid = 4, kLbaHigh = 5, kDevice = 6,
                               kStatus = 7, kCommand = 7;
inline constexpr std::uint16_t kAlternateStatus = 0, kDeviceControl = 0;  // control block

// Status register bits (ATA/ATAPI-6 clause 7, Status register).
inline constexpr std::uint8_t kStatusError = 1u << 0, kStatusDataRequest = 1u << 3,
                              kStatusDeviceFault = 1u << 5, kStatusReady = 1u << 6,
                              kStatusBusy = 1u << 7;
// Device register: bit 6 selects LBA addressing, bit 4 the slave; bits 7
// and 5 are obsolete and set, as older devices expect.
inline constexpr std::uint8_t kDeviceLba = 0xE0, kDeviceSlave = 1u << 4;
// Device Control register (clause 7): nIEN masks the device's INTRQ; SRST
// resets both devices of the channel.
inline constexpr std::uint8_t kControlInterruptsOff = 1u << 1, kControlReset = 1u << 2;

// Commands (ATA/ATAPI-6 clause 8, by name): opcodes.
inline constexpr std::uint8_t kReadSectors = 0x20, kReadSectorsExt = 0x24, kReadDma = 0xC8,
                              kReadDmaExt = 0x25, kWriteSectors = 0x30, kWriteSectorsExt = 0x34,
                              kWriteDma = 0xCA, kWriteDmaExt = 0x35, kFlushCache = 0xE7,
                              kFlushCacheExt = 0xEA, kIdentifyDevice = 0xEC;

inline constexpr std::size_t kSectorSize = 512;
inline constexpr std::uint64_t kMillisecond = 1000000;  // ns
// ATA/ATAPI-6 leaves command times to the device; 5 s covers a disk that
// spins up, and QEMU answers at once.
inline constexpr std::uint64_t kCommandTimeout = 5000 * kMillisecond;
inline constexpr std::uint64_t kLba28Limit = std::uint64_t{1} << 28;

class Disk;

// One channel: its ports, its IRQ, and the request it runs. Both drives of
// a channel share the registers, so the channel, not the disk, holds the
// lock, the running request and one waiting request (a channel has two
// drives, each with at most one request in flight).
struct Channel {
    unsigned index;  // 0 primary, 1 secondary
    std::uint16_t command_base, control_base;
    std::uint16_t bus_master_base;  // 0: no bus-master DMA on this channel
    std::uint8_t isa_irq, vector;
    bool dma;  // requests use bus-master DMA and complete by interrupt
    SpinLock lock;
    // Under `lock`: the request the channel runs, and the other drive's,
    // which waits for it.
    hal::BlockRequest* running;
    bool running_uses_dma;
    hal::BlockRequest* waiting;
    Disk* waiting_disk;
    std::uint32_t waiting_apic_id;
};

class Disk final : public hal::BlockDevice {
public:
    Disk(Channel* channel, unsigned drive, std::uint64_t sectors, bool lba48, const char* model);

    const char* name() const override { return name_; }
    std::size_t sector_size() const override { return kSectorSize; }
    std::uint64_t sector_count() const override { return sectors_; }
    bool read_only() const override { return false; }
    std::size_t max_sectors_per_request() const override;
    hal::DeviceStatus submit(hal::BlockRequest* request) override;
    bool cancel(hal::BlockRequest* request) override;

    Channel& channel() const { return *channel_; }
    unsigned drive() const { return drive_; }
    bool lba48() const { return lba48_; }
    const char* model() const { return model_; }

private:
    Channel* channel_;
    unsigned drive_;
    std::uint64_t sectors_;
    bool lba48_;
    char name_[8];
    char model_[41];
};

// Shared by ata.cpp (probe, PIO) and ata_dma.cpp (bus master, interrupt).

Channel& channel_by_index(unsigned index);  // 0 primary, 1 secondary

// Soft-resets both drives of the channel and waits (bounded) until they
// are ready: what ends a command the drive never finished.
void reset_channel(const Channel& channel);
// Busy-waits on the clock; for the few microseconds the protocol asks.
void spin_for(std::uint64_t nanoseconds);
// Waits (bounded, on the clock) until BSY clears; returns the status, or
// kStatusBusy if it never did.
std::uint8_t wait_not_busy(const Channel& channel, std::uint64_t timeout_ns);
// Selects the drive and writes the taskfile for `request` (28- or 48-bit
// LBA as the request needs), then the command. False if the channel stayed
// busy.
bool issue(const Disk& disk, const hal::BlockRequest& request, std::uint8_t command);
// The command a request needs: PIO or DMA, 28- or 48-bit.
std::uint8_t command_for(const Disk& disk, const hal::BlockRequest& request, bool dma);
// Sets status, then completed (release), then raises the event: the order
// BlockRequest prescribes. The request may be gone once it returns.
void complete(hal::BlockRequest* request, hal::DeviceStatus status);

// Bus-master DMA (ata_dma.cpp): installs the channel's interrupt vector
// and routes its IRQ; false if no IO-APIC serves it (PIO then).
bool dma_initialize(Channel& channel);
// Starts `request` on an idle channel (lock held) and records it as
// running; completes it with kIoError at once if the device is stuck.
void dma_start(Channel& channel, Disk& disk, hal::BlockRequest* request, std::uint32_t apic_id);
// Stops the channel's running transfer for good (lock held): the bus
// master halts, a soft reset clears both drives, and the channel is idle
// and ready; the request is not completed.
void dma_abandon(Channel& channel);

}  // namespace bare::ata
