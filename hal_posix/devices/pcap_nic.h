// --nic pcap:IFACE: a live interface through libpcap (e.g. one end of a
// veth pair), as the machine's NIC. Frames arriving on the interface are
// captured (inbound only, so our own transmissions do not come back) by
// the I/O thread into a ring the NIC's CPU reads, as TapNic's are; a
// transmit is pcap_inject of the gathered frame from the NIC's CPU. The
// host's own stack sees the interface too: give it no address of its own
// that would answer for Toro's. A veth's peer leaves UDP and TCP checksums
// to "hardware" that a capture sees unfilled: turn that off on the peer
// (ethtool -K PEER tx off), or Toro rightly drops those frames.
#pragma once

#include <pcap/pcap.h>

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <string>

#include "devices/frame_ring.h"
#include "hal/devices.h"

namespace hal_posix {

class PcapNic final : public hal::NetDevice {
public:
    // Null, with `error` set, when the interface cannot be opened.
    static std::unique_ptr<PcapNic> open(const std::string& interface, std::string* error);
    PcapNic(pcap_t* handle, std::string interface);
    virtual ~PcapNic();

    const char* name() const override { return name_.c_str(); }
    void mac_address(std::uint8_t out[6]) const override;
    std::size_t max_frame_size() const override { return 1514; }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override;

private:
    void wait_readable();

    pcap_t* handle_;
    std::string name_;
    std::uint8_t mac_[6];
    FrameRing ring_;
    boost::asio::posix::stream_descriptor descriptor_;
    std::atomic<std::uint64_t> sent_frames_{0}, sent_bytes_{0}, send_dropped_{0};
};

}  // namespace hal_posix
