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
struct BlockRequest;
}

namespace toro {

inline constexpr std::uint64_t kDefaultRequestTimeout = 30'000'000'000;  // ns

class Disk {
public:
    const char* name() const;
    std::size_t sector_size() const;
    std::uint64_t sector_count() const;
    bool read_only() const;

    // Kernel threads only; they block until the transfer is done. Errors:
    // kRange past the end, kReadOnly, kInvalid (misaligned buffer: it must
    // be 16-byte aligned), kIo when the medium fails or does not answer
    // within the request timeout.
    Error read(std::uint64_t first_sector, std::size_t count, void* buffer);
    Error write(std::uint64_t first_sector, std::size_t count, const void* buffer);
    // Returns when every completed write is durable.
    Error flush();

    // How long one request may take before it is withdrawn from the device
    // (which resets it) and the transfer fails with kIo. Linux's default
    // for disks, 30 s, unless set; an application that knows its medium is
    // slow (or a test that wants a hung device to fail fast) sets it.
    void set_request_timeout(std::uint64_t nanoseconds);

    struct State;  // the unit's bookkeeping, one per disk

private:
    Error transfer(int operation, std::uint64_t first_sector, std::size_t count, void* buffer);
    bool await(hal::BlockRequest* request);
    friend Disk* disk(std::size_t index);
    hal::BlockDevice* device_ = nullptr;
    State* state_ = nullptr;
};

// The machine's disks in the HAL's order (hosted: the --disk flags; bare:
// the ATA disks). Null past the end. Any kernel thread.
std::size_t disk_count();
Disk* disk(std::size_t index);

}  // namespace toro
