// The Devices unit's disks: the machine's block devices as the kernel uses
// them. A Disk wraps one HAL BlockDevice, serialises its requests, splits
// large transfers, and parks the calling thread until each completes (the
// HAL raises an event; the thread sleeps, it never spins).
#pragma once

#include <cstddef>
#include <cstdint>

#include "toro/error.h"

namespace hal {
class BlockDevice;
}

namespace toro {

class Disk {
public:
    const char* name() const;
    std::size_t sector_size() const;
    std::uint64_t sector_count() const;
    bool read_only() const;

    // Kernel threads only; they block until the transfer is done. Errors:
    // kRange past the end, kReadOnly, kInvalid (misaligned buffer: it must
    // be 16-byte aligned), kIo from the medium.
    Error read(std::uint64_t first_sector, std::size_t count, void* buffer);
    Error write(std::uint64_t first_sector, std::size_t count, const void* buffer);
    // Returns when every completed write is durable.
    Error flush();

    struct State;  // the unit's bookkeeping, one per disk

private:
    Error transfer(int operation, std::uint64_t first_sector, std::size_t count, void* buffer);
    friend Disk* disk(std::size_t index);
    hal::BlockDevice* device_ = nullptr;
    State* state_ = nullptr;
};

// The machine's disks in the HAL's order (hosted: the --disk flags; bare:
// the ATA disks). Null past the end. Any kernel thread.
std::size_t disk_count();
Disk* disk(std::size_t index);

}  // namespace toro
