#include "devices/tap_nic.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "devices/io_thread.h"
#include "hal/events.h"
#include "hal/random.h"

namespace hal_posix {

namespace {

// The legacy virtio-net header (virtio 1.x §5.1.6, as linux/virtio_net.h
// has it; that header names a field `class`, so C++ cannot include it),
// in host byte order, as a TAP device without TUNSETVNETLE takes it.
struct virtio_net_hdr {
    std::uint8_t flags;
    std::uint8_t gso_type;
    std::uint16_t hdr_len;     // Ethernet, IP and TCP headers
    std::uint16_t gso_size;    // payload bytes per segment
    std::uint16_t csum_start;  // unused: no VIRTIO_NET_HDR_F_NEEDS_CSUM
    std::uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10);
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;

}  // namespace

std::unique_ptr<TapNic> TapNic::open(const std::string& name, bool want_offload, std::string* error) {
    std::string flag = "--nic tap:" + name;
    if (name.empty()) {
        *error = "--nic tap: needs a device name (tap:NAME)";
        return nullptr;
    }
    if (name.size() >= IFNAMSIZ) {
        *error = flag + ": the name is longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
        return nullptr;
    }
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *error = flag + ": /dev/net/tun: " + std::strerror(errno);
        return nullptr;
    }
    unsigned features = 0;
    bool offload = want_offload && ioctl(fd, TUNGETFEATURES, &features) == 0 && (features & IFF_VNET_HDR) != 0;
    ifreq request{};
    request.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
    std::memcpy(request.ifr_name, name.c_str(), name.size());
    if (ioctl(fd, TUNSETIFF, &request) != 0) {
        int cause = errno;
        ::close(fd);
        *error = flag + ": cannot attach: " + std::strerror(cause) +
                 (cause == EPERM ? " (create it first: ip tuntap add mode tap user $USER name " +
                                       name + ")"
                                 : cause == EINVAL || cause == EBUSY
                                       ? " (is it a TAP device, and free?)"
                                       : "");
        return nullptr;
    }
    return std::make_unique<TapNic>(fd, name, offload);
}

// A locally administered unicast MAC (IEEE 802 §8.2: bit 1 of the first
// byte set, bit 0 clear), random so that several machines may share a
// link, and reproducible with --seed.
TapNic::TapNic(int fd, std::string name, bool offload)
    : fd_(fd), name_(std::move(name)), offload_(offload), descriptor_(io_context()) {
    hal::random_fill(mac_, sizeof mac_);
    mac_[0] = static_cast<std::uint8_t>((mac_[0] & 0xFC) | 0x02);
    descriptor_.assign(fd_);
}

TapNic::~TapNic() = default;  // the I/O thread has stopped; the descriptor closes fd_

void TapNic::mac_address(std::uint8_t out[6]) const { std::memcpy(out, mac_, 6); }

void TapNic::attach(hal::EventId event) {
    event_.store(event);
    ring_.attach(event);
    boost::asio::post(descriptor_.get_executor(), [this] { wait_readable(); });
}

void TapNic::wait_readable() {
    descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& error) {
                               if (error) return;  // cancelled: the machine stops
                               read_waiting_frames();
                               wait_readable();
                           });
}

// On the I/O thread. A full ring drops the frame (counted): the kernel is
// behind, and a NIC's ring drops when it is full.
void TapNic::read_waiting_frames() {
    for (;;) {
        std::uint8_t scratch[FrameRing::kSlotBytes];
        std::uint8_t* slot = ring_.next_slot();
        virtio_net_hdr header;
        iovec vectors[2] = {{&header, sizeof header}, {slot != nullptr ? slot : scratch, FrameRing::kSlotBytes}};
        ssize_t length = offload_ ? ::readv(fd_, vectors, 2) : ::read(fd_, vectors[1].iov_base, FrameRing::kSlotBytes);
        if (length < 0 && errno == EINTR) continue;
        if (length <= 0) break;  // EAGAIN: drained
        if (offload_) {
            length -= static_cast<ssize_t>(sizeof header);
            if (length <= 0) continue;
        }
        if (slot == nullptr) {
            ring_.count_drop();
            continue;
        }
        ring_.commit(static_cast<std::size_t>(length));
    }
    ring_.raise_if_asked();
}

hal::DeviceStatus TapNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                  std::size_t* length) {
    return ring_.pop(buffer, capacity, length);
}

hal::DeviceStatus TapNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += pieces[i].length;
    if (total == 0 || total > max_frame_size()) return hal::DeviceStatus::kInvalid;
    virtio_net_hdr none{};  // VIRTIO_NET_HDR_GSO_NONE
    return write_frame(offload_ ? &none : nullptr, pieces, count, 1);
}

// The frame's headers say where its payload starts (virtio's hdr_len);
// the segments it makes, for the counters.
hal::DeviceStatus TapNic::transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                                std::size_t segment_bytes) {
    std::uint8_t headers[14 + 20 + 20];
    std::size_t total = 0, gathered = 0;
    for (std::size_t i = 0; i < count; ++i) {
        total += pieces[i].length;
        for (std::size_t j = 0; j < pieces[i].length && gathered < sizeof headers; ++j) {
            headers[gathered++] = pieces[i].bytes[j];
        }
    }
    if (!offload_ || gathered < sizeof headers || total > kMaxOffloadFrame || segment_bytes == 0 ||
        segment_bytes > 0xFFFF) {
        return hal::DeviceStatus::kInvalid;
    }
    bool tcp_ipv4 = headers[12] == 0x08 && headers[13] == 0x00 && headers[14] == 0x45 && headers[23] == 6;
    std::size_t header_bytes = 14 + 20 + static_cast<std::size_t>(headers[14 + 20 + 12] >> 4) * 4;
    if (!tcp_ipv4 || header_bytes < 54 || header_bytes >= total) return hal::DeviceStatus::kInvalid;
    virtio_net_hdr gso{};
    gso.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    gso.hdr_len = static_cast<std::uint16_t>(header_bytes);
    gso.gso_size = static_cast<std::uint16_t>(segment_bytes);
    std::size_t payload = total - header_bytes;
    return write_frame(&gso, pieces, count, (payload + segment_bytes - 1) / segment_bytes);
}

// One writev(2): the virtio header (when offloading), then the frame.
hal::DeviceStatus TapNic::write_frame(const void* header, const hal::FramePiece* pieces,
                                      std::size_t count, std::size_t frames) {
    constexpr std::size_t kMaxPieces = 64;
    iovec vectors[kMaxPieces + 1];
    std::size_t used = 0, total = 0;
    if (count == 0 || count > kMaxPieces) return hal::DeviceStatus::kInvalid;
    if (header != nullptr) vectors[used++] = {const_cast<void*>(header), sizeof(virtio_net_hdr)};
    for (std::size_t i = 0; i < count; ++i) {
        vectors[used++] = {const_cast<std::uint8_t*>(pieces[i].bytes), pieces[i].length};
        total += pieces[i].length;
    }
    for (;;) {
        ssize_t written = ::writev(fd_, vectors, static_cast<int>(used));
        if (written >= 0) {
            sent_frames_.fetch_add(frames, std::memory_order_relaxed);
            sent_bytes_.fetch_add(total, std::memory_order_relaxed);
            return hal::DeviceStatus::kOk;
        }
        if (errno == EINTR) continue;
        send_dropped_.fetch_add(1, std::memory_order_relaxed);
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_writable();
            return hal::DeviceStatus::kWouldBlock;
        }
        return hal::DeviceStatus::kIoError;  // e.g. EIO: the interface is down
    }
}

// The NIC contract's raise when transmit room frees after a kWouldBlock.
void TapNic::wait_writable() {
    if (waiting_writable_.exchange(true)) return;
    boost::asio::post(descriptor_.get_executor(), [this] {
        descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                               [this](const boost::system::error_code& error) {
                                   waiting_writable_.store(false);
                                   if (!error) hal::event_raise(event_.load());
                               });
    });
}

hal::NetCounters TapNic::counters() const {
    hal::NetCounters counters;
    ring_.add_counters(&counters);
    counters.sent_frames = sent_frames_.load();
    counters.sent_bytes = sent_bytes_.load();
    counters.send_dropped = send_dropped_.load();
    return counters;
}

}  // namespace hal_posix
