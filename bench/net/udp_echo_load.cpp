// udp_echo_load: a UDP echo load generator, and the Linux echo server it
// is measured against (bench/net/udp_echo_bench.sh). A hosted Linux
// program; it links nothing of Toro.
//
//   udp_echo_load client ADDRESS PORT SECONDS [IN_FLIGHT [SIZE]]
//     keeps IN_FLIGHT (64) requests of SIZE (18) bytes in flight on one
//     connected socket: each batch of replies (recvmmsg) is answered with as
//     many new requests (sendmmsg). After a warm-up of 0.5 s, counts round
//     trips for SECONDS and prints
//       round_trips=N seconds=S rate=R lost=L
//     A request unanswered for 50 ms counts as lost and is replaced, so a
//     lossy path lowers the rate but never stops the run.
//   udp_echo_load server PORT
//     echoes every datagram to its sender, in batches of up to 64
//     (recvmmsg, then sendmmsg), until killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

constexpr unsigned kBatch = 64;
constexpr std::size_t kSlotBytes = 2048;  // a datagram of one frame, and room to spare
constexpr int kLossTimeoutMs = 50;
constexpr double kWarmUpSeconds = 0.5;

double now_seconds() {
    timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) * 1e-9;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "udp_echo_load: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// Buffers and headers for one batch of datagrams.
struct Batch {
    explicit Batch(std::size_t size) : bytes(kBatch * size), size(size) {
        for (unsigned i = 0; i < kBatch; ++i) {
            vectors[i] = {bytes.data() + i * size, size};
            headers[i] = {};
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
    }
    std::vector<std::uint8_t> bytes;
    std::size_t size;
    iovec vectors[kBatch];
    mmsghdr headers[kBatch];
    sockaddr_in sources[kBatch];
};

// Sends `count` requests numbered from `*next`, all of them even if the
// socket takes them in parts.
void send_requests(int socket, Batch& batch, unsigned count, std::uint64_t* next) {
    for (unsigned i = 0; i < count; ++i) {
        std::uint64_t sequence = (*next)++;
        std::memcpy(batch.bytes.data() + i * batch.size, &sequence,
                    batch.size < sizeof sequence ? batch.size : sizeof sequence);
        batch.vectors[i].iov_len = batch.size;
    }
    for (unsigned sent = 0; sent < count;) {
        int result = sendmmsg(socket, batch.headers + sent, count - sent, 0);
        if (result < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNREFUSED) return;  // an ICMP error from an earlier send
            die("sendmmsg");
        }
        sent += static_cast<unsigned>(result);
    }
}

int run_client(const char* address, int port, double seconds, unsigned in_flight,
               std::size_t size) {
    if (in_flight == 0 || size < 1 || size > 1472) {
        std::fprintf(stderr, "udp_echo_load: IN_FLIGHT from 1, SIZE from 1 to 1472\n");
        return 2;
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, address, &server.sin_addr) != 1) {
        std::fprintf(stderr, "udp_echo_load: '%s' is not an IPv4 address\n", address);
        return 2;
    }
    int socket = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (socket < 0) die("socket");
    int buffer_bytes = 4 << 20;
    setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    if (connect(socket, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) die("connect");

    Batch requests(size), replies(kSlotBytes);
    std::uint64_t next = 0, counted = 0, lost = 0, wrong = 0;
    unsigned outstanding = 0;
    double start = now_seconds();
    double counting_from = start + kWarmUpSeconds, end = counting_from + seconds;
    bool counting = false;
    for (;;) {
        while (outstanding < in_flight) {  // top up, a batch at a time
            unsigned count = in_flight - outstanding < kBatch ? in_flight - outstanding : kBatch;
            send_requests(socket, requests, count, &next);
            outstanding += count;
        }
        pollfd readable{socket, POLLIN, 0};
        int ready = poll(&readable, 1, kLossTimeoutMs);
        if (ready < 0 && errno != EINTR) die("poll");
        double now = now_seconds();
        if (!counting && now >= counting_from) counting = true, counted = 0, lost = 0;
        if (now >= end) break;
        if (ready == 0) {  // nothing for 50 ms: what is out is lost
            lost += outstanding;
            outstanding = 0;
            continue;
        }
        for (unsigned i = 0; i < kBatch; ++i) replies.vectors[i].iov_len = replies.size;
        int received = recvmmsg(socket, replies.headers, kBatch, MSG_DONTWAIT, nullptr);
        if (received < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) continue;
            die("recvmmsg");
        }
        for (int i = 0; i < received; ++i) wrong += replies.headers[i].msg_len != size;
        counted += static_cast<unsigned>(received);
        outstanding -= static_cast<unsigned>(received) < outstanding
                           ? static_cast<unsigned>(received)
                           : outstanding;
    }
    double elapsed = now_seconds() - counting_from;
    std::printf("round_trips=%llu seconds=%.3f rate=%.0f lost=%llu wrong_length=%llu\n",
                static_cast<unsigned long long>(counted), elapsed,
                static_cast<double>(counted) / elapsed, static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(wrong));
    return wrong == 0 ? 0 : 1;
}

int run_server(int port) {
    int socket = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (socket < 0) die("socket");
    int buffer_bytes = 4 << 20;
    setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(static_cast<std::uint16_t>(port));
    if (bind(socket, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) die("bind");
    Batch batch(kSlotBytes);
    for (;;) {
        for (unsigned i = 0; i < kBatch; ++i) {
            batch.vectors[i].iov_len = batch.size;
            batch.headers[i].msg_hdr.msg_name = &batch.sources[i];
            batch.headers[i].msg_hdr.msg_namelen = sizeof batch.sources[i];
        }
        int received = recvmmsg(socket, batch.headers, kBatch, MSG_WAITFORONE, nullptr);
        if (received < 0) {
            if (errno == EINTR) continue;
            die("recvmmsg");
        }
        for (int i = 0; i < received; ++i) batch.vectors[i].iov_len = batch.headers[i].msg_len;
        for (int sent = 0; sent < received;) {
            int result =
                sendmmsg(socket, batch.headers + sent, static_cast<unsigned>(received - sent), 0);
            if (result < 0) {
                if (errno == EINTR) continue;
                break;  // the sender went away: drop the rest of the batch
            }
            sent += result;
        }
    }
}

int usage() {
    std::fprintf(stderr,
                 "usage: udp_echo_load client ADDRESS PORT SECONDS [IN_FLIGHT [SIZE]]\n"
                 "       udp_echo_load server PORT\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 5 && std::strcmp(argv[1], "client") == 0 && argc <= 7) {
        unsigned in_flight = argc > 5 ? static_cast<unsigned>(std::atoi(argv[5])) : 64;
        std::size_t size = argc > 6 ? static_cast<std::size_t>(std::atoi(argv[6])) : 18;
        return run_client(argv[2], std::atoi(argv[3]), std::atof(argv[4]), in_flight, size);
    }
    if (argc == 3 && std::strcmp(argv[1], "server") == 0) return run_server(std::atoi(argv[2]));
    return usage();
}
