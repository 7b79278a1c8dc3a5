#include "devices/slirp_nic.h"

#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>

#include "devices/io_thread.h"
#include "hal/events.h"
#include "hal/random.h"

namespace hal_posix {

struct SlirpNic::Timer {
    boost::asio::steady_timer timer;
    void (*callback)(void*);
    void* argument;
    Timer(boost::asio::io_context& context, void (*cb)(void*), void* arg)
        : timer(context), callback(cb), argument(arg) {}
};

namespace {

SlirpNic& self(void* opaque) { return *static_cast<SlirpNic*>(opaque); }

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

const SlirpCb kCallbacks = {
    .send_packet = [](const void* bytes, size_t length, void* opaque) -> ssize_t {
        self(opaque).deliver_to_guest(bytes, length);
        return static_cast<ssize_t>(length);
    },
    .guest_error = [](const char*, void*) {},  // a malformed guest frame: slirp drops it
    .clock_get_ns = [](void*) -> int64_t { return steady_ns(); },
    .timer_new = [](SlirpTimerCb callback, void* argument, void* opaque) -> void* {
        return self(opaque).new_timer(callback, argument);
    },
    .timer_free = [](void* timer, void* opaque) { self(opaque).free_timer(timer); },
    .timer_mod = [](void* timer, int64_t expire_ms, void* opaque) {
        self(opaque).modify_timer(timer, expire_ms);
    },
    .register_poll_fd = [](int, void*) {},
    .unregister_poll_fd = [](int, void*) {},
    .notify = [](void*) {},
    .init_completed = nullptr,
    .timer_new_opaque = nullptr,
};

in_addr host_order(std::uint32_t value) {
    in_addr address{};
    address.s_addr = htonl(value);
    return address;
}

}  // namespace

SlirpNic::SlirpNic(const UserNetConfig& config)
    : config_(config), epoll_(io_context()), wakeup_(io_context()) {
    hal::random_fill(mac_, sizeof mac_);
    mac_[0] = static_cast<std::uint8_t>((mac_[0] & 0xFC) | 0x02);
}

SlirpNic::~SlirpNic() {
    // The I/O thread has stopped (detach_nics): nothing runs on slirp now.
    if (slirp_ != nullptr) slirp_cleanup(slirp_);
    timers_.clear();
    if (epoll_.is_open()) epoll_.close();
}

std::unique_ptr<SlirpNic> SlirpNic::open(const UserNetConfig& config, std::string* error) {
    auto nic = std::make_unique<SlirpNic>(config);
    if (!nic->start(error)) return nullptr;
    return nic;
}

// Made on the caller's thread before the I/O thread touches it.
bool SlirpNic::start(std::string* error) {
    std::uint32_t mask = config_.prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - config_.prefix_length);
    std::uint32_t network = config_.network & mask;
    SlirpConfig settings{};
    settings.version = 1;
    settings.in_enabled = true;
    settings.vnetwork = host_order(network);
    settings.vnetmask = host_order(mask);
    settings.vhost = host_order(network + 2);
    settings.vdhcp_start = host_order(network + 15);
    settings.vnameserver = host_order(network + 3);
    slirp_ = slirp_new(&settings, &kCallbacks, this);
    if (slirp_ == nullptr) {
        *error = "--nic user: libslirp could not make the network";
        return false;
    }
    for (const HostForward& forward : config_.forwards) {
        in_addr host = host_order(0);
        in_addr guest = host_order(network + 15);
        if (!forward.host_address.empty()) inet_pton(AF_INET, forward.host_address.c_str(), &host);
        if (!forward.guest_address.empty()) inet_pton(AF_INET, forward.guest_address.c_str(), &guest);
        if (slirp_add_hostfwd(slirp_, forward.udp, host, forward.host_port, guest, forward.guest_port) < 0) {
            *error = "--nic user: cannot forward host " + std::string(forward.udp ? "udp" : "tcp") +
                     " port " + std::to_string(forward.host_port) + " (in use?)";
            return false;
        }
    }
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        *error = "--nic user: epoll_create1: " + std::string(std::strerror(errno));
        return false;
    }
    epoll_.assign(epoll_fd_);
    return true;
}

void SlirpNic::mac_address(std::uint8_t out[6]) const { std::memcpy(out, mac_, 6); }

void SlirpNic::attach(hal::EventId event) {
    ring_.attach(event);
    boost::asio::post(io_context(), [this] { cycle(); });
}

// One turn of slirp's poll loop, without blocking the I/O thread: ask slirp
// which descriptors it wants, look at them now, let slirp handle what is
// ready and its timers, then wait (in the io_context) for any of them or
// slirp's timeout, and turn again.
void SlirpNic::cycle() {
    waiting_ = false;
    epoll_.cancel();  // the last turn's waits end (operation_aborted) unserved
    wakeup_.cancel();
    std::vector<pollfd> fds;
    polled_ = &fds;
    std::uint32_t timeout_ms = 1000;
    slirp_pollfds_fill(slirp_, &timeout_ms, [](int fd, int events, void* opaque) {
        return self(opaque).add_poll(fd, events);
    }, this);
    ::poll(fds.data(), fds.size(), 0);
    slirp_pollfds_poll(slirp_, 0, [](int index, void* opaque) { return self(opaque).revents(index); },
                       this);
    // What slirp wants now (slirp_pollfds_poll may have opened sockets).
    fds.clear();
    slirp_pollfds_fill(slirp_, &timeout_ms, [](int fd, int events, void* opaque) {
        return self(opaque).add_poll(fd, events);
    }, this);
    polled_ = nullptr;
    for (int fd : watched_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    watched_.clear();
    for (const pollfd& entry : fds) {
        epoll_event watch{};
        watch.events = (entry.events & POLLIN ? std::uint32_t{EPOLLIN} : 0u) |
                       (entry.events & POLLOUT ? std::uint32_t{EPOLLOUT} : 0u) |
                       (entry.events & POLLPRI ? std::uint32_t{EPOLLPRI} : 0u);
        watch.data.fd = entry.fd;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, entry.fd, &watch) == 0) watched_.push_back(entry.fd);
    }
    waiting_ = true;
    epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [this](const boost::system::error_code& error) {
                          if (error || !waiting_) return;  // cancelled: a newer turn began
                          cycle();
                      });
    wakeup_.expires_after(std::chrono::milliseconds(timeout_ms));
    wakeup_.async_wait([this](const boost::system::error_code& error) {
        if (error || !waiting_) return;
        cycle();
    });
}

int SlirpNic::add_poll(int fd, int events) {
    pollfd entry{};
    entry.fd = fd;
    entry.events = static_cast<short>((events & SLIRP_POLL_IN ? POLLIN : 0) |
                                      (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
                                      (events & SLIRP_POLL_PRI ? POLLPRI : 0));
    polled_->push_back(entry);
    return static_cast<int>(polled_->size() - 1);
}

int SlirpNic::revents(int index) const {
    if (index < 0 || static_cast<std::size_t>(index) >= polled_->size()) return 0;
    short got = (*polled_)[static_cast<std::size_t>(index)].revents;
    return (got & POLLIN ? SLIRP_POLL_IN : 0) | (got & POLLOUT ? SLIRP_POLL_OUT : 0) |
           (got & POLLPRI ? SLIRP_POLL_PRI : 0) | (got & POLLERR ? SLIRP_POLL_ERR : 0) |
           (got & POLLHUP ? SLIRP_POLL_HUP : 0);
}

void* SlirpNic::new_timer(void (*callback)(void*), void* argument) {
    timers_.push_back(std::make_unique<Timer>(io_context(), callback, argument));
    return timers_.back().get();
}

void SlirpNic::free_timer(void* timer) {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->get() == timer) {
            (*it)->timer.cancel();
            timers_.erase(it);
            return;
        }
    }
}

// slirp's timers count milliseconds of clock_get_ns's clock (steady).
void SlirpNic::modify_timer(void* opaque, std::int64_t expire_ms) {
    auto* timer = static_cast<Timer*>(opaque);
    timer->timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(expire_ms)));
    timer->timer.async_wait([this, timer](const boost::system::error_code& error) {
        if (error) return;
        timer->callback(timer->argument);
        cycle();
    });
}

// On the I/O thread (slirp's send_packet). A full ring drops the frame, as
// a NIC does; slirp's TCP retransmits.
void SlirpNic::deliver_to_guest(const void* bytes, std::size_t length) {
    ring_.push(static_cast<const std::uint8_t*>(bytes), length);
    ring_.raise_if_asked();
}

hal::DeviceStatus SlirpNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                    std::size_t* length) {
    return ring_.pop(buffer, capacity, length);
}

// Copies the frame and hands it to slirp on the I/O thread: one copy and
// one post per frame.
hal::DeviceStatus SlirpNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += pieces[i].length;
    if (total == 0 || total > max_frame_size()) return hal::DeviceStatus::kInvalid;
    auto frame = std::make_shared<std::vector<std::uint8_t>>();
    frame->reserve(total);
    for (std::size_t i = 0; i < count; ++i) {
        frame->insert(frame->end(), pieces[i].bytes, pieces[i].bytes + pieces[i].length);
    }
    sent_frames_.fetch_add(1, std::memory_order_relaxed);
    sent_bytes_.fetch_add(total, std::memory_order_relaxed);
    boost::asio::post(io_context(), [this, frame] {
        slirp_input(slirp_, frame->data(), static_cast<int>(frame->size()));
        cycle();
    });
    return hal::DeviceStatus::kOk;
}

hal::NetCounters SlirpNic::counters() const {
    hal::NetCounters counters;
    ring_.add_counters(&counters);
    counters.sent_frames = sent_frames_.load();
    counters.sent_bytes = sent_bytes_.load();
    return counters;
}

}  // namespace hal_posix
