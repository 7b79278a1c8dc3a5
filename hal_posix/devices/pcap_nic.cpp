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
    : handle_(handle), name_(std::move(interface)), ring_(new Slot[kSlots]), descriptor_(io_context()) {
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
    event_.store(event);
    armed_.store(true);
    boost::asio::post(descriptor_.get_executor(), [this] { wait_readable(); });
}

void PcapNic::wait_readable() {
    descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& error) {
                               if (error) return;
                               pcap_dispatch(handle_, -1, [](u_char* user, const pcap_pkthdr* header,
                                                             const u_char* bytes) {
                                   reinterpret_cast<PcapNic*>(user)->take(bytes, header->caplen);
                               }, reinterpret_cast<u_char*>(this));
                               if (produced_.load() != consumed_.load() && armed_.exchange(false)) {
                                   hal::event_raise(event_.load());
                               }
                               wait_readable();
                           });
}

// On the I/O thread: one captured frame into the ring (dropped when full).
void PcapNic::take(const std::uint8_t* bytes, std::size_t length) {
    std::size_t produced = produced_.load(std::memory_order_relaxed);
    if (length > 1514 || produced - consumed_.load(std::memory_order_acquire) >= kSlots) {
        received_dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Slot& slot = ring_[produced % kSlots];
    std::memcpy(slot.bytes, bytes, length);
    slot.length = static_cast<std::uint16_t>(length);
    received_frames_.fetch_add(1, std::memory_order_relaxed);
    received_bytes_.fetch_add(length, std::memory_order_relaxed);
    produced_.store(produced + 1, std::memory_order_seq_cst);
}

hal::DeviceStatus PcapNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                   std::size_t* length) {
    std::size_t consumed = consumed_.load(std::memory_order_relaxed);
    if (produced_.load(std::memory_order_acquire) == consumed) {
        armed_.store(true, std::memory_order_seq_cst);  // then look again (see TapNic)
        if (produced_.load(std::memory_order_seq_cst) == consumed) return hal::DeviceStatus::kWouldBlock;
        armed_.store(false);
    }
    const Slot& slot = ring_[consumed % kSlots];
    hal::DeviceStatus status = hal::DeviceStatus::kOk;
    if (slot.length > capacity) {
        status = hal::DeviceStatus::kInvalid;
    } else {
        std::memcpy(buffer, slot.bytes, slot.length);
        *length = slot.length;
    }
    consumed_.store(consumed + 1, std::memory_order_release);
    return status;
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
    counters.received_frames = received_frames_.load();
    counters.received_bytes = received_bytes_.load();
    counters.received_dropped = received_dropped_.load();
    counters.sent_frames = sent_frames_.load();
    counters.sent_bytes = sent_bytes_.load();
    counters.send_dropped = send_dropped_.load();
    return counters;
}

}  // namespace hal_posix
