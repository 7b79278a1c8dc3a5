// The two device interfaces. Unlike the CPU, clock and console calls, a
// machine may hold several devices of different kinds, so they are objects
// behind an abstract interface. Drivers live with their HAL
// (hal_bare/drivers, hal_posix/devices); the kernel finds them in its device
// registry. Wrappers (pcap writer, tracer, fault injector) implement the same
// interface around another device.
//
// Threading: a device's calls are made from kernel threads or event
// handlers on the CPU the device is bound to; they never block. Completion
// and arrival are signalled by raising the device's event (see events.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/events.h"

namespace hal {

// Status codes for device calls: negative values are errors.
enum class DeviceStatus : int {
    kOk = 0,
    kWouldBlock = -1,    // no frame / no room now; wait for the event
    kIoError = -2,       // the device reported a failure
    kReadOnly = -3,      // write to a read-only medium
    kOutOfRange = -4,    // sector beyond the end of the medium
    kInvalid = -5,       // bad argument (length, alignment)
};

// Devices are never deleted through these interfaces (the owner knows the
// concrete type), so the destructors are protected and non-virtual: no
// operator delete is needed in the freestanding kernel.
class NetDevice {
protected:
    ~NetDevice() = default;

public:

    // The station address.
    virtual void mac_address(std::uint8_t out[6]) const = 0;
    // Largest frame `transmit` accepts, without FCS (1514 for Ethernet).
    virtual std::size_t max_frame_size() const = 0;
    // Queues one Ethernet frame (no FCS) for sending; the bytes are copied
    // before it returns. kWouldBlock when the transmit ring is full.
    virtual DeviceStatus transmit(const std::uint8_t* frame, std::size_t length) = 0;
    // Copies the next received frame into `buffer` (at most `capacity`
    // bytes) and stores its length in `*length`. kWouldBlock when none is
    // waiting. A frame longer than `capacity` is dropped with kInvalid.
    virtual DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                                 std::size_t* length) = 0;
    // Raised when frames arrive or transmit room frees up.
    virtual EventId event() const = 0;
};

class BlockDevice {
protected:
    ~BlockDevice() = default;

public:

    virtual std::size_t sector_size() const = 0;   // bytes, usually 512
    virtual std::uint64_t sector_count() const = 0;
    virtual bool read_only() const = 0;
    // Transfer `count` sectors starting at `first_sector`. Synchronous from
    // the caller's view: a driver that waits for the device parks the
    // calling kernel thread (never spins). Errors of the medium come back
    // as kIoError, never as silent zeros.
    virtual DeviceStatus read(std::uint64_t first_sector, std::size_t count,
                              std::uint8_t* buffer) = 0;
    virtual DeviceStatus write(std::uint64_t first_sector, std::size_t count,
                               const std::uint8_t* buffer) = 0;
    // Returns when every completed write is durable.
    virtual DeviceStatus flush() = 0;
};

}  // namespace hal
