// --nic user: user-mode networking through libslirp, as QEMU's -netdev
// user: a virtual 10.0.2.0/24 (or net=A/P) with a gateway and DHCP server
// at .2, DNS at .3, the first lease .15, and host port forwarding
// (hostfwd=tcp::8080-:80). Needs no privileges: slirp turns the guest's
// connections into the host's own sockets.
//
// libslirp is not thread-safe, so it lives on the I/O thread: a frame the
// kernel transmits is copied and posted there (slirp_input); frames slirp
// sends the guest go into a ring the NIC's CPU reads, as TapNic's do.
// slirp's descriptors are watched through one epoll set that the I/O
// thread's io_context waits on, and its timers are Asio timers.
#pragma once

#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "devices/frame_ring.h"
#include "hal/devices.h"
#include "hal_posix/machine.h"

struct Slirp;

namespace hal_posix {

class SlirpNic final : public hal::NetDevice {
public:
    // Null, with `error` set, when the network or a forward cannot be made
    // (a host port in use, say).
    static std::unique_ptr<SlirpNic> open(const UserNetConfig& config, std::string* error);
    explicit SlirpNic(const UserNetConfig& config);
    virtual ~SlirpNic();

    const char* name() const override { return "user0"; }
    void mac_address(std::uint8_t out[6]) const override;
    std::size_t max_frame_size() const override { return 1514; }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override;

    // slirp's callbacks (slirp_nic.cpp), public for the C trampolines.
    void deliver_to_guest(const void* bytes, std::size_t length);
    void* new_timer(void (*callback)(void*), void* argument);
    void free_timer(void* timer);
    void modify_timer(void* timer, std::int64_t expire_ms);
    int add_poll(int fd, int events);
    int revents(int index) const;

private:
    struct Timer;

    bool start(std::string* error);
    void cycle();  // on the I/O thread: poll slirp's descriptors, then wait again

    UserNetConfig config_;
    Slirp* slirp_ = nullptr;
    std::uint8_t mac_[6];
    FrameRing ring_;
    int epoll_fd_ = -1;
    boost::asio::posix::stream_descriptor epoll_;
    boost::asio::steady_timer wakeup_;
    std::vector<int> watched_;          // fds in the epoll set
    std::vector<struct pollfd>* polled_ = nullptr;  // this cycle's, for revents()
    std::vector<std::unique_ptr<Timer>> timers_;
    bool waiting_ = false;
    std::atomic<std::uint64_t> sent_frames_{0}, sent_bytes_{0};
};

}  // namespace hal_posix
