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

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hal/events.h"

namespace hal {

// Status codes for device calls. The error policy, for every device:
//   kOk          done.
//   kWouldBlock  not an error: nothing waiting (receive) or no room now
//                (transmit); try again after the device's event.
//   kInvalid     the caller's argument is wrong (a frame of 0 bytes or
//                longer than max_frame_size, a bad sector count); nothing
//                was done, and retrying the same call fails the same way.
//   kIoError     the device failed; the request is lost (the driver has
//                reset the device when it needed one). Callers count it
//                and go on: a NIC drops the frame, a disk fails the read.
//   kReadOnly, kOutOfRange  block devices only (see BlockDevice).
enum class DeviceStatus : int {
    kOk = 0,
    kWouldBlock = -1,
    kIoError = -2,
    kReadOnly = -3,
    kOutOfRange = -4,
    kInvalid = -5,
};

// One piece of a frame to transmit: the stack hands headers and payload
// as separate pieces, so payload is copied once, by the device.
struct FramePiece {
    const std::uint8_t* bytes;
    std::size_t length;
};

// What a NIC has carried since it was created. Monotonic; read from any
// CPU (a snapshot, each field exact on its own).
struct NetCounters {
    std::uint64_t received_frames = 0;
    std::uint64_t received_bytes = 0;
    std::uint64_t received_dropped = 0;  // no room, too long, or a device error
    std::uint64_t sent_frames = 0;
    std::uint64_t sent_bytes = 0;
    std::uint64_t send_dropped = 0;      // refused: ring full, device error
};

// Devices are never deleted through these interfaces (the owner knows the
// concrete type), so the destructors are protected and non-virtual: no
// operator delete is needed in the freestanding kernel.
//
// A NIC (the contract of DESIGN.md, "How it is built"): the kernel binds
// one event on the CPU that drives the NIC and hands it to attach(); every
// other call is made on that CPU, from kernel threads or event handlers,
// and none blocks. Arrival is "interrupt when idle, poll while busy": the
// device raises the event once when a frame is waiting (or transmit room
// frees after a kWouldBlock), then raises it no more until receive() has
// answered kWouldBlock once; the kernel must therefore drain receive() to
// kWouldBlock (or raise the event itself to come back) before it may wait.
class NetDevice {
protected:
    ~NetDevice() = default;

public:
    // A short name for messages, e.g. "e1000.0" or "tap0".
    virtual const char* name() const = 0;
    // The station address.
    virtual void mac_address(std::uint8_t out[6]) const = 0;
    // Largest frame `transmit` and `receive` carry, without FCS (1514 for
    // Ethernet without VLAN tags).
    virtual std::size_t max_frame_size() const = 0;
    // Arms the device: `event` is raised as the class comment says. Called
    // once, before the first receive or transmit.
    virtual void attach(EventId event) = 0;
    // Queues one Ethernet frame (no FCS), the concatenation of `count`
    // pieces; the bytes are copied before it returns. kInvalid for 0 bytes
    // or more than max_frame_size(); kWouldBlock when the ring is full.
    virtual DeviceStatus transmit(const FramePiece* pieces, std::size_t count) = 0;
    // Copies the next received frame into `buffer` (at most `capacity`
    // bytes) and stores its length in `*length`. kWouldBlock when none is
    // waiting. A frame longer than `capacity` is dropped with kInvalid.
    virtual DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                                 std::size_t* length) = 0;
    // Whether the link is up now (cable, peer, TAP carrier). Any CPU.
    virtual bool link_up() const = 0;
    virtual NetCounters counters() const = 0;

    // TCP segmentation offload (TSO). The longest frame
    // transmit_tcp_segments takes; 0, the default, when the device has
    // none (the stack then never calls it).
    virtual std::size_t max_offload_frame() const { return 0; }
    // Queues one Ethernet frame carrying an IPv4 TCP segment longer than
    // the link takes (at most max_offload_frame() bytes; no IP options),
    // every header and checksum right for it as it stands. The device
    // sends it as the segments a NIC's TSO makes: `segment_bytes` of its
    // payload each (the last one the rest), each with the headers copied,
    // its own IP total length, identification (counting up from the
    // frame's), sequence number and checksums, and FIN and PSH on the
    // last only. Otherwise as transmit(): copied before it returns,
    // kWouldBlock when there is no room, kInvalid when it is not such a
    // frame (and always, by default).
    virtual DeviceStatus transmit_tcp_segments(const FramePiece* pieces, std::size_t count,
                                               std::size_t segment_bytes) {
        (void)pieces, (void)count, (void)segment_bytes;
        return DeviceStatus::kInvalid;
    }
};

// The machine's NICs, in a stable order: hosted, the order of the --nic
// flags; bare metal, the e1000s found at boot. Valid from kernel_main on;
// any thread. `net_device` returns nullptr past the end.
std::size_t net_device_count();
NetDevice* net_device(std::size_t index);

// One transfer between a block device and memory. The kernel fills the
// first five fields and keeps the request alive until `completed` is set;
// the driver writes `status`, then sets `completed` (release order), then
// raises `completion_event`.
struct BlockRequest {
    enum class Operation : std::uint8_t { kRead, kWrite, kFlush };

    Operation operation = Operation::kRead;
    std::uint64_t first_sector = 0;
    std::size_t sector_count = 0;       // 1 .. max_sectors_per_request()
    std::uint8_t* buffer = nullptr;     // sector_count * sector_size() bytes
    EventId completion_event = kNoEvent;
    DeviceStatus status = DeviceStatus::kOk;
    std::atomic<bool> completed{false};
};

class BlockDevice {
protected:
    ~BlockDevice() = default;

public:
    // A short name for messages, e.g. "ata0.0" or "disk0".
    virtual const char* name() const = 0;
    virtual std::size_t sector_size() const = 0;   // bytes, usually 512
    virtual std::uint64_t sector_count() const = 0;
    virtual bool read_only() const = 0;
    // Largest sector_count one request may carry (at least 8).
    virtual std::size_t max_sectors_per_request() const = 0;

    // Starts `request`. Kernel threads only; never blocks; at most one
    // request in flight per device (the kernel serialises them). `buffer`
    // is 16-byte aligned (DMA). Returns kOk when the request was accepted:
    // it then completes as BlockRequest says, possibly before submit
    // returns (file disks do). Returns an error, and completes nothing, when
    // the request is refused at once: kOutOfRange past the end, kReadOnly
    // for a write to a read-only medium, kInvalid for a bad count or
    // buffer. Failures of the medium complete with kIoError, never as
    // silent zeros. A completed kFlush means every completed write is
    // durable.
    virtual DeviceStatus submit(BlockRequest* request) = 0;

    // Withdraws `request`, submitted and not completed when the kernel gave
    // up waiting for it. Kernel threads only; may wait (bounded) while the
    // device resets. Returns true when it was withdrawn: it will never
    // complete, the device no longer touches it or its buffer, and the next
    // submit is served (a hung ATA channel is reset). Returns false when it
    // cannot be withdrawn but is sure to complete by itself (it has already
    // completed, or it is a transfer whose every step is bounded by the
    // driver's own timeouts); the kernel then waits for `completed`.
    virtual bool cancel(BlockRequest* request) = 0;
};

// The machine's block devices, in a stable order: hosted, the order of the
// --disk flags; bare metal, the ATA disks found at boot (primary master
// first). Valid from kernel_main on; any thread. `block_device` returns
// nullptr for an index >= block_device_count().
std::size_t block_device_count();
BlockDevice* block_device(std::size_t index);

}  // namespace hal
