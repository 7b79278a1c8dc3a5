// tcpblast: connects to ADDRESS:PORT and sends as fast as the connection
// takes bytes for SECONDS, then closes and says how many went; the bulk
// TCP benchmark's sender (bench/net/tcp_bench.sh: `iperf -s` on the other
// end, version 2, which reads a stream of zeros as a plain test).
//   tcpblast ADDRESS PORT SECONDS [BUFFER]
// BUFFER: the send buffer in KiB (SO_SNDBUF; default the stack's).
#include <toro/net.h>
#include <toro/toro.h>

namespace {

namespace net = toro::net;

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kConfigureTimeout = 30 * kSecond;
constexpr std::size_t kChunk = 64 * 1024;  // bytes a send call offers

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
    toro::print("usage: tcpblast ADDRESS PORT SECONDS [BUFFER_KIB]   (BUFFER_KIB 2 to 4096)\n");
    return 2;
}

// Opens the connection, with the send buffer asked for (0: the default).
toro::Result<int> open_connection(net::Endpoint destination, std::uint64_t buffer_kib) {
    toro::Error error = net::start();
    if (error == toro::Error::kOk) error = net::wait_configured(kConfigureTimeout);
    if (error != toro::Error::kOk) return error;
    toro::Result<int> socket = net::socket(net::SocketType::kStream);
    if (!socket.ok()) return socket;
    if (buffer_kib != 0) {
        error = net::set_option(*socket, net::SocketOption::kSendBuffer,
                                static_cast<int>(buffer_kib * 1024));
        if (error != toro::Error::kOk) return error;
    }
    error = net::connect(*socket, destination);
    if (error != toro::Error::kOk) {
        (void)net::close(*socket);
        return error;
    }
    return socket;
}

}  // namespace

int toro_main(int argc, char** argv) {
    net::Endpoint destination;
    std::uint64_t port = 0, seconds = 0, buffer_kib = 0;
    if (argc < 4 || argc > 5 ||
        !net::parse_address(argv[1], length_of(argv[1]), &destination.address) ||
        !parse_number(argv[2], 65535, &port) || port == 0 ||
        !parse_number(argv[3], 3600, &seconds) || seconds == 0 ||
        (argc == 5 && (!parse_number(argv[4], 4096, &buffer_kib) || buffer_kib < 2))) {
        return usage();
    }
    destination.port = static_cast<std::uint16_t>(port);
    toro::Result<int> socket = open_connection(destination, buffer_kib);
    if (!socket.ok()) {
        toro::print("tcpblast: connect to %s:%llu: %s\n", argv[1],
                    static_cast<unsigned long long>(port), toro::error_message(socket.error()));
        return 1;
    }
    static std::uint8_t zeros[kChunk];
    std::uint64_t sent = 0;
    std::uint64_t start = toro::now_ns(), end = start + seconds * kSecond, now = start;
    while ((now = toro::now_ns()) < end) {
        toro::Result<std::size_t> result = net::send(*socket, zeros, kChunk);
        if (!result.ok()) {
            toro::print("tcpblast: send after %llu bytes: %s\n",
                        static_cast<unsigned long long>(sent), toro::error_message(result.error()));
            (void)net::close(*socket);
            return 1;
        }
        sent += *result;
    }
    toro::Error closed = net::close(*socket);
    std::uint64_t elapsed_us = (now - start) / 1000;
    if (elapsed_us == 0) elapsed_us = 1;
    // Mbit/s = bits per microsecond.
    toro::print("tcpblast: sent %llu bytes in %llu us: %llu Mbit/s%s\n",
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(elapsed_us),
                static_cast<unsigned long long>(sent * 8 / elapsed_us),
                closed == toro::Error::kOk ? "" : " (close failed)");
    return closed == toro::Error::kOk ? 0 : 1;
}
