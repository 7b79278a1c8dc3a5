// A NIC whose far end is the test (or fuzz target, or simulator) that made
// it: frames the test injects are what the kernel receives, and frames the
// kernel transmits wait for the test to take them. Thread-safe: the test's
// thread and the NIC's CPU may call at once. It needs no running machine
// (a stack may be driven by hand on the test's own thread), and raises its
// event only once attach() gave it one, as the NIC contract says.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "hal/devices.h"

namespace hal_posix {

using Frame = std::vector<std::uint8_t>;

class MemoryNic final : public hal::NetDevice {
public:
    explicit MemoryNic(const std::uint8_t mac[6], std::string name = "mem0");
    virtual ~MemoryNic() = default;

    const char* name() const override { return name_.c_str(); }
    void mac_address(std::uint8_t out[6]) const override;
    std::size_t max_frame_size() const override { return max_frame_; }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override;
    // Segmentation offload, once set_offload() gave it a size: the frame
    // is kept whole, as the kernel handed it, with its segment size.
    std::size_t max_offload_frame() const override { return max_offload_frame_; }
    hal::DeviceStatus transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                            std::size_t segment_bytes) override;

    // The far end. inject() queues a frame for the kernel (at most
    // `receive_capacity` wait; more are dropped and counted).
    void inject(const Frame& frame);
    // The oldest frame the kernel sent, or false when none; with
    // `segment_bytes`, the segment size it was handed with (0 for a frame
    // that was not to be cut).
    bool take_sent(Frame* frame, std::size_t* segment_bytes = nullptr);
    // Offers segmentation offload of frames up to `bytes` long (0: none).
    // Before the kernel uses the NIC.
    void set_offload(std::size_t bytes) { max_offload_frame_ = bytes; }
    std::size_t sent_waiting() const;
    // Transmits fail with kWouldBlock once this many frames wait untaken.
    void set_transmit_capacity(std::size_t frames);
    // A smaller link (a tunnel's, say): what max_frame_size() says, and
    // the largest frame transmit takes. Before the kernel uses the NIC.
    void set_max_frame_size(std::size_t bytes) { max_frame_ = bytes < kMaxFrame ? bytes : kMaxFrame; }

    static constexpr std::size_t kMaxFrame = 1514;

private:
    hal::DeviceStatus keep_sent(const hal::FramePiece* pieces, std::size_t count, std::size_t segment_bytes);

    std::string name_;
    std::uint8_t mac_[6];
    mutable std::mutex mutex_;
    std::deque<Frame> to_kernel_;
    std::deque<Frame> from_kernel_;
    std::deque<std::size_t> segment_sizes_;  // of each frame of from_kernel_
    std::size_t receive_capacity_ = 4096;
    std::size_t transmit_capacity_ = ~std::size_t{0};
    std::size_t max_frame_ = kMaxFrame;
    std::size_t max_offload_frame_ = 0;
    hal::EventId event_ = hal::kNoEvent;
    bool armed_ = false;  // raise on the next inject (receive answered "nothing")
    hal::NetCounters counters_;
};

}  // namespace hal_posix
