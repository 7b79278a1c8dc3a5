// udpblast: sends UDP datagrams as fast as the stack and the NIC take them
// for a while, then says how many; the transmit benchmark
// (bench/net/net_bench.sh counts what arrives on the host).
//   udpblast ADDRESS PORT SECONDS [PAYLOAD]
// PAYLOAD bytes a datagram (default 18: 60-byte Ethernet frames, the
// shortest there are). The thread runs on the NIC's CPU; a send the stack
// cannot take now (its packet pool full of frames waiting for the NIC)
// yields, so that the driver's event runs and the ring drains.
#include <toro/net.h>
#include <toro/toro.h>

namespace {

namespace net = toro::net;

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kConfigureTimeout = 30 * kSecond;
constexpr std::size_t kLargestPayload = 1472;  // one frame

bool parse_number(const char* text, std::uint64_t limit, std::uint64_t* value) {
    std::uint64_t result = 0;
    if (*text == '\0') return false;
    for (; *text != '\0'; ++text) {
        if (*text < '0' || *text > '9') return false;
        result = result * 10 + static_cast<std::uint64_t>(*text - '0');
        if (result > limit) return false;
    }
    *value = result;
    return true;
}

std::size_t length_of(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return length;
}

int usage() {
    toro::print(
        "usage: udpblast ADDRESS PORT SECONDS [PAYLOAD]   (PAYLOAD 0 to %u bytes, default 18)\n",
        static_cast<unsigned>(kLargestPayload));
    return 2;
}

}  // namespace

int toro_main(int argc, char** argv) {
    net::Endpoint destination;
    std::uint64_t port = 0, seconds = 0, payload = 18;
    if (argc < 4 || argc > 5 ||
        !net::parse_address(argv[1], length_of(argv[1]), &destination.address) ||
        !parse_number(argv[2], 65535, &port) || port == 0 ||
        !parse_number(argv[3], 3600, &seconds) || seconds == 0 ||
        (argc == 5 && !parse_number(argv[4], kLargestPayload, &payload))) {
        return usage();
    }
    destination.port = static_cast<std::uint16_t>(port);
    toro::Error error = net::start();
    if (error == toro::Error::kOk) error = net::wait_configured(kConfigureTimeout);
    toro::Result<int> socket = error == toro::Error::kOk ? net::socket(net::SocketType::kDatagram)
                                                         : toro::Result<int>(error);
    if (!socket.ok()) {
        toro::print("udpblast: no network: %s\n", toro::error_message(socket.error()));
        return 1;
    }
    static std::uint8_t bytes[kLargestPayload];
    for (std::size_t i = 0; i < payload; ++i) bytes[i] = static_cast<std::uint8_t>(i);
    toro::print("udpblast: %llu-byte datagrams to %s:%llu for %llu s\n",
                static_cast<unsigned long long>(payload), argv[1],
                static_cast<unsigned long long>(port), static_cast<unsigned long long>(seconds));
    // Before the clock starts: the destination's address resolved (an ARP
    // request, then the first datagram, have left), so the blast measures
    // sending, not waiting for the reply.
    std::uint64_t baseline = net::net_stats().frames_sent;
    (void)net::send_to(*socket, bytes, payload, &destination);
    for (int tries = 0; tries < 500 && net::net_stats().frames_sent < baseline + 2; ++tries) {
        toro::sleep_ms(10);
    }
    net::NetStats before = net::net_stats();
    std::uint64_t sent = 0, refused = 0;
    std::uint64_t start = toro::now_ns(), end = start + seconds * kSecond, now = start;
    while ((now = toro::now_ns()) < end) {
        toro::Result<std::size_t> result =
            net::send_to(*socket, bytes, payload, &destination, net::kDontWait);
        if (result.ok()) {
            ++sent;
            continue;
        }
        if (result.error() != toro::Error::kNoBufferSpace &&
            result.error() != toro::Error::kWouldBlock) {
            toro::print("udpblast: send: %s\n", toro::error_message(result.error()));
            return 1;
        }
        ++refused;
        toro::yield();
    }
    toro::sleep_ms(200);  // what is queued goes out
    net::NetStats after = net::net_stats();
    std::uint64_t elapsed_us = (now - start) / 1000;
    toro::print(
        "udpblast: sent %llu datagrams in %llu us (%llu/s), %llu refused for a full pool; "
        "frames sent %llu, dropped %llu\n",
        static_cast<unsigned long long>(sent), static_cast<unsigned long long>(elapsed_us),
        static_cast<unsigned long long>(sent * 1'000'000 / (elapsed_us != 0 ? elapsed_us : 1)),
        static_cast<unsigned long long>(refused),
        static_cast<unsigned long long>(after.frames_sent - before.frames_sent),
        static_cast<unsigned long long>(after.frames_dropped - before.frames_dropped));
    return 0;
}
