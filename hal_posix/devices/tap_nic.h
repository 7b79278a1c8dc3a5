// A TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI) as the machine's NIC.
//
// Receive: the I/O thread waits for the descriptor to be readable, reads
// every waiting frame straight into a slot of a single-producer,
// single-consumer ring, and raises the NIC's event if the kernel asked to
// be told (receive() answered "nothing"). The NIC's CPU copies a frame out
// of the ring per receive(): one read(2) per frame and two copies per byte
// (kernel to ring, ring to packet). Transmit: writev(2) of the frame's
// pieces from the NIC's CPU: one syscall and one copy per frame, made by
// the host kernel.
//
// Segmentation offload: the device is opened with IFF_VNET_HDR when the
// host has it, so every frame each way carries a virtio_net_hdr first.
// Ours say "TCPv4 GSO, segments of N bytes" for an oversized TCP segment:
// the host's stack takes it whole (to a local socket it is one receive,
// as GRO would have made it; forwarded, the host cuts it). Its checksums
// are complete (no NEEDS_CSUM), so a capture on the host checks them. The
// host is never told it may send us offloaded frames (no TUNSETOFFLOAD):
// its headers to us are all "none", and are dropped.
#pragma once

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <string>

#include "devices/frame_ring.h"
#include "hal/devices.h"

namespace hal_posix {

class TapNic final : public hal::NetDevice {
public:
    // Attaches to the TAP device `name`, creating it when it does not
    // exist and the process may (root). Null, with `error` set, otherwise.
    // `offload`: with segmentation offload, if the host has IFF_VNET_HDR.
    static std::unique_ptr<TapNic> open(const std::string& name, bool offload, std::string* error);
    // `offload`: `fd` was opened with IFF_VNET_HDR.
    TapNic(int fd, std::string name, bool offload);
    virtual ~TapNic();

    const char* name() const override { return name_.c_str(); }
    void mac_address(std::uint8_t out[6]) const override;
    std::size_t max_frame_size() const override { return 1514; }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override;
    std::size_t max_offload_frame() const override { return offload_ ? kMaxOffloadFrame : 0; }
    hal::DeviceStatus transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                            std::size_t segment_bytes) override;

    static constexpr std::size_t kMaxOffloadFrame = 14 + 65535;

private:
    void wait_readable();
    void read_waiting_frames();
    void wait_writable();
    hal::DeviceStatus write_frame(const void* header, const hal::FramePiece* pieces, std::size_t count,
                                  std::size_t frames);

    int fd_;
    std::string name_;
    bool offload_;
    std::uint8_t mac_[6];
    FrameRing ring_;
    std::atomic<hal::EventId> event_{hal::kNoEvent};
    std::atomic<bool> waiting_writable_{false};
    boost::asio::posix::stream_descriptor descriptor_;
    std::atomic<std::uint64_t> sent_frames_{0}, sent_bytes_{0}, send_dropped_{0};
};

}  // namespace hal_posix
