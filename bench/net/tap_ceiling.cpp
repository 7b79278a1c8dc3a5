// tap_ceiling: what one TAP queue carries on this machine, with one
// system call per frame as Toro's hosted TapNic makes them: the ceiling
// beside bench/net/udp_echo_bench.sh's echo figures. A hosted Linux
// program; it links nothing of Toro.
//
//   tap_ceiling write TAP SECONDS
//     writes 60-byte frames (broadcast, EtherType 0x88B5: the host drops
//     them at once) into the TAP, one write(2) each, as Toro transmits;
//     prints frames=N seconds=S rate=R (the script reads, beside it, how
//     many the interface took: its rx_packets).
//   tap_ceiling send IFACE SECONDS
//     the host's side of "read": 60-byte frames onto IFACE through an
//     AF_PACKET socket, 64 per sendmmsg, for SECONDS.
//   tap_ceiling read TAP SECONDS
//     reads frames from the TAP, one read(2) each, as Toro's I/O thread
//     does, and prints frames=N seconds=S rate=R.
//   tap_ceiling reflect TAP
//     an echo with no stack and one thread: reads each frame and, if it is
//     IPv4 UDP, writes it straight back with its MAC and IP addresses and
//     ports swapped (the checksums stay valid: the sums are the same), one
//     read(2) and one write(2) a frame, until killed. The host reaches it
//     through a static ARP entry.
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

constexpr std::size_t kFrameBytes = 60;
constexpr unsigned kBatch = 64;

double now_seconds() {
    timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) * 1e-9;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "tap_ceiling: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int open_tap(const char* name, int flags = 0) {
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | flags);
    if (fd < 0) die("/dev/net/tun");
    ifreq request{};
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) != 0) die(name);
    return fd;
}

// Broadcast, from a locally administered MAC, EtherType 0x88B5 (IEEE
// 802's local experimental type: nothing on the host takes it).
void fill_frame(std::uint8_t frame[kFrameBytes]) {
    std::memset(frame, 0, kFrameBytes);
    std::memset(frame, 0xFF, 6);
    const std::uint8_t source[6] = {0x02, 0, 0, 0, 0, 0x99};
    std::memcpy(frame + 6, source, 6);
    frame[12] = 0x88;
    frame[13] = 0xB5;
}

void report(unsigned long long frames, double seconds) {
    std::printf("frames=%llu seconds=%.3f rate=%.0f\n", frames, seconds,
                static_cast<double>(frames) / seconds);
}

int run_write(const char* tap, double seconds) {
    int fd = open_tap(tap);
    std::uint8_t frame[kFrameBytes];
    fill_frame(frame);
    unsigned long long frames = 0;
    double start = now_seconds(), end = start + seconds, now = start;
    while (now < end) {
        for (int i = 0; i < 256; ++i) {  // the clock every 256 frames
            if (write(fd, frame, sizeof frame) == static_cast<ssize_t>(sizeof frame)) ++frames;
        }
        now = now_seconds();
    }
    report(frames, now - start);
    return 0;
}

int run_send(const char* interface, double seconds) {
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) die("AF_PACKET socket");
    sockaddr_ll link{};
    link.sll_family = AF_PACKET;
    link.sll_ifindex = static_cast<int>(if_nametoindex(interface));
    if (link.sll_ifindex == 0) die(interface);
    if (bind(fd, reinterpret_cast<sockaddr*>(&link), sizeof link) != 0) die("bind");
    std::uint8_t frame[kFrameBytes];
    fill_frame(frame);
    iovec vector{frame, sizeof frame};
    mmsghdr headers[kBatch] = {};
    for (mmsghdr& header : headers) {
        header.msg_hdr.msg_iov = &vector;
        header.msg_hdr.msg_iovlen = 1;
    }
    double end = now_seconds() + seconds;
    while (now_seconds() < end) {
        if (sendmmsg(fd, headers, kBatch, 0) < 0 && errno != ENOBUFS && errno != EINTR) {
            die("sendmmsg");
        }
    }
    return 0;
}

// As TapNic's I/O thread: wait until readable, then read until EAGAIN.
int run_read(const char* tap, double seconds) {
    int fd = open_tap(tap, O_NONBLOCK);
    std::uint8_t frame[2048];
    unsigned long long frames = 0;
    double start = now_seconds(), end = start + seconds, now = start;
    pollfd readable{fd, POLLIN, 0};
    while (now < end) {
        if (poll(&readable, 1, 100) > 0) {
            while (read(fd, frame, sizeof frame) > 0) ++frames;
        }
        now = now_seconds();
    }
    report(frames, now - start);
    return 0;
}

void swap_bytes(std::uint8_t* a, std::uint8_t* b, std::size_t length) {
    std::uint8_t held[6];
    std::memcpy(held, a, length);
    std::memcpy(a, b, length);
    std::memcpy(b, held, length);
}

int run_reflect(const char* tap) {
    int fd = open_tap(tap);
    std::uint8_t frame[2048];
    for (;;) {
        ssize_t length = read(fd, frame, sizeof frame);
        if (length < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (length < 42 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 17) continue;
        std::size_t ip_header = (frame[14] & 0x0F) * 4u;
        if (ip_header < 20 || 14 + ip_header + 8 > static_cast<std::size_t>(length)) continue;
        swap_bytes(frame, frame + 6, 6);                                // MAC addresses
        swap_bytes(frame + 26, frame + 30, 4);                          // IP addresses
        swap_bytes(frame + 14 + ip_header, frame + 16 + ip_header, 2);  // UDP ports
        if (write(fd, frame, static_cast<std::size_t>(length)) < 0 && errno != EINTR) die("write");
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: tap_ceiling write TAP SECONDS | send IFACE SECONDS | read TAP SECONDS |"
                 " reflect TAP\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::strcmp(argv[1], "write") == 0)
        return run_write(argv[2], std::atof(argv[3]));
    if (argc == 4 && std::strcmp(argv[1], "send") == 0)
        return run_send(argv[2], std::atof(argv[3]));
    if (argc == 4 && std::strcmp(argv[1], "read") == 0)
        return run_read(argv[2], std::atof(argv[3]));
    if (argc == 3 && std::strcmp(argv[1], "reflect") == 0) return run_reflect(argv[2]);
    return usage();
}
