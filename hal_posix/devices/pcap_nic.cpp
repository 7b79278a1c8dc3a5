#include "devices/pcap_nic.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstring>

#include "devices/io_thread.h"
#include "hal/events.h"
#include "hal/random.h"

namespace hal_posix {

std::unique_ptr<PcapNic> PcapNic::open(const std::string& interface, std::string* error) {
    std::string flag = "--nic pcap:" + interface;
    if (interface.empty()) {
        *error = "--nic pcap: needs an interface name (pcap:IFACE)";
        return nullptr;
    }
    char message[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle = pcap_create(interface.c_str(), message);
    if (handle == nullptr) {
        *error = flag + ": " + message;
        return nullptr;
    }
    pcap_set_snaplen(handle, 2048);
    pcap_set_promisc(handle, 1);
    pcap_set_immediate_mode(handle, 1);  // each frame as it comes, not in batches
    int status = pcap_activate(handle);
    if (status < 0) {
        *error = flag + ": " + (status == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                                : status == PCAP_ERROR_PERM_DENIED ? "permission denied (needs root or CAP_NET_RAW)"
                                                                   : pcap_geterr(handle));
        pcap_close(handle);
        return nullptr;
    }
    if (pcap_datalink(handle) != DLT_EN10MB || pcap_setdirection(handle, PCAP_D_IN) != 0 ||
        pcap_setnonblock(handle, 1, message) != 0 || pcap_get_selectable_fd(handle) < 0) {
        *error = flag + ": not an Ethernet interface libpcap can read without blocking";
        pcap_close(handle);
        return nullptr;
    }
    return std::make_unique<PcapNic>(handle, interface);
}

PcapNic::PcapNic(pcap_t* handle, std::string interface)
    : handle_(handle), name_(std::move(interface)), descriptor_(io_context()) {
    hal::random_fill(mac_, sizeof mac_);  // Toro's own station, beside the interface's
    mac_[0] = static_cast<std::uint8_t>((mac_[0] & 0xFC) | 0x02);
    descriptor_.assign(dup(pcap_get_selectable_fd(handle_)));
}

PcapNic::~PcapNic() {
    if (descriptor_.is_open()) descriptor_.close();
    pcap_close(handle_);
}

void PcapNic::mac_address(std::uint8_t out[6]) const { std::memcpy(out, mac_, 6); }

void PcapNic::attach(hal::EventId event) {
    ring_.attach(event);
    boost::asio::post(descriptor_.get_executor(), [this] { wait_readable(); });
}

void PcapNic::wait_readable() {
    descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& error) {
                               if (error) return;
                               pcap_dispatch(handle_, -1, [](u_char* user, const pcap_pkthdr* header,
                                                             const u_char* bytes) {
                                   reinterpret_cast<FrameRing*>(user)->push(bytes, header->caplen);
                               }, reinterpret_cast<u_char*>(&ring_));
                               ring_.raise_if_asked();
                               wait_readable();
                           });
}

hal::DeviceStatus PcapNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                   std::size_t* length) {
    return ring_.pop(buffer, capacity, length);
}

hal::DeviceStatus PcapNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::uint8_t frame[1514];
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (pieces[i].length > sizeof frame - length) return hal::DeviceStatus::kInvalid;
        std::memcpy(frame + length, pieces[i].bytes, pieces[i].length);
        length += pieces[i].length;
    }
    if (length == 0) return hal::DeviceStatus::kInvalid;
    if (pcap_inject(handle_, frame, length) != static_cast<int>(length)) {
        send_dropped_.fetch_add(1, std::memory_order_relaxed);
        return hal::DeviceStatus::kIoError;
    }
    sent_frames_.fetch_add(1, std::memory_order_relaxed);
    sent_bytes_.fetch_add(length, std::memory_order_relaxed);
    return hal::DeviceStatus::kOk;
}

hal::NetCounters PcapNic::counters() const {
    hal::NetCounters counters;
    ring_.add_counters(&counters);
    counters.sent_frames = sent_frames_.load();
    counters.sent_bytes = sent_bytes_.load();
    counters.send_dropped = send_dropped_.load();
    return counters;
}

}  // namespace hal_posix
