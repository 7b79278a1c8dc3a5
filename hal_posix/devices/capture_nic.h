// --capture FILE.pcap: a NetDevice around the machine's first NIC that
// writes every frame it carries, both ways, timestamped, into a pcap file
// (libpcap's writer; Wireshark and tshark open it). It records what the
// wire carries: transmits as handed to the NIC (after the kernel's fault
// injector), receives as the NIC delivered them (before it). Written out
// whenever the NIC goes idle and when the machine stops.
#pragma once

#include <pcap/pcap.h>

#include <memory>
#include <mutex>
#include <string>

#include "hal/devices.h"

namespace hal_posix {

class CaptureNic final : public hal::NetDevice {
public:
    // Null, with `error` set, when the file cannot be written.
    static std::unique_ptr<CaptureNic> open(hal::NetDevice& inner, const std::string& path,
                                            std::string* error);
    CaptureNic(hal::NetDevice& inner, pcap_t* handle, pcap_dumper_t* dumper);
    virtual ~CaptureNic();  // flushes and closes the file

    const char* name() const override { return inner_.name(); }
    void mac_address(std::uint8_t out[6]) const override { inner_.mac_address(out); }
    std::size_t max_frame_size() const override { return inner_.max_frame_size(); }
    void attach(hal::EventId event) override { inner_.attach(event); }
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return inner_.link_up(); }
    hal::NetCounters counters() const override { return inner_.counters(); }

private:
    void write(const std::uint8_t* bytes, std::size_t length);

    hal::NetDevice& inner_;
    pcap_t* handle_;
    pcap_dumper_t* dumper_;
    std::mutex mutex_;  // the NIC's CPU writes; the machine's end closes
    bool unflushed_ = false;
};

}  // namespace hal_posix
