// echo: the RFC 862 echo service and the RFC 863 discard service over UDP
// and TCP, on ports 7 and 9. Prints the machine's address once the network
// is up, then serves for ever: one thread waits on all the UDP sockets at
// once; each TCP service has a thread that accepts, and each connection a
// thread of its own, spread over the CPUs.
//
// Port 9998 shows the stack's memory from outside (tests compare it before
// and after an attack): a datagram "stats" there is answered with one
// line of toro::net::net_stats() (apps/common/net_stats_port.h has its
// fields), and anything else sent there is discarded.
//
// `--busy N` (an application argument, after the HAL's flags or the boot
// line's "--") also keeps N threads that only yield on the NIC's CPU (the
// one that starts the network), so that CPU never idles: frames must
// still be answered promptly, their interrupts taken at scheduling points.
#include <toro/net.h>
#include <toro/toro.h>

#include "../common/net_stats_port.h"

namespace {

namespace net = toro::net;

constexpr std::uint16_t kEchoPort = 7;
constexpr std::uint16_t kDiscardPort = 9;
constexpr std::uint16_t kStatsPort = 9998;
constexpr std::size_t kLargestDatagram = net::kMaxUdpPayload;
constexpr std::uint64_t kConfigureTimeout = 30'000'000'000;
constexpr unsigned kMaxBusyThreads = 16;

int fail(const char* what, toro::Error error) {
    toro::print("echo: %s: %s\n", what, toro::error_message(error));
    return 1;
}

toro::Result<int> open_bound(std::uint16_t port) {
    toro::Result<int> socket = net::socket(net::SocketType::kDatagram);
    if (!socket.ok()) return socket;
    toro::Error error = net::bind(*socket, {net::kAnyAddress, port});
    if (error != toro::Error::kOk) return error;
    return net::set_nonblocking(*socket, true) == toro::Error::kOk ? socket : toro::Error::kInvalid;
}

void print_address() {
    net::InterfaceInfo info = net::interface_info();
    char address[16];
    net::format_address(info.address, address);
    toro::print(
        "echo: %s/%u (mac %02x:%02x:%02x:%02x:%02x:%02x), UDP and TCP echo on %u, discard on %u,"
        " UDP stats on %u\n",
        address, info.prefix_length, info.mac[0], info.mac[1], info.mac[2], info.mac[3],
        info.mac[4], info.mac[5], kEchoPort, kDiscardPort, kStatsPort);
}

// Takes every datagram waiting on `socket`; echoes them back if `echo`.
void serve(int socket, bool echo, std::uint8_t* buffer) {
    for (;;) {
        net::Endpoint from;
        toro::Result<std::size_t> length =
            net::receive_from(socket, buffer, kLargestDatagram, &from);
        if (!length.ok()) return;  // kWouldBlock: drained
        if (echo) (void)net::send_to(socket, buffer, *length, &from);
    }
}

constexpr std::size_t kStreamChunk = 16 * 1024;

// One TCP connection: echoes (or discards) until the peer's FIN, then
// finishes sending and closes.
int serve_stream(int socket, bool echo) {
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kStreamChunk));
    if (buffer == nullptr) {
        (void)net::close(socket);
        return 1;
    }
    for (;;) {
        toro::Result<std::size_t> length = net::receive(socket, buffer, kStreamChunk);
        if (!length.ok() || *length == 0) break;  // the end, or a reset
        if (echo && !net::send(socket, buffer, *length).ok()) break;
    }
    toro::free(buffer);
    (void)net::close(socket);
    return 0;
}

struct StreamService {
    int listener;
    bool echo;
};

int accept_loop(void* argument) {
    auto* service = static_cast<StreamService*>(argument);
    unsigned next_cpu = 0;
    for (;;) {
        toro::Result<int> socket = net::accept(service->listener);
        if (!socket.ok()) {
            toro::print("echo: accept: %s\n", toro::error_message(socket.error()));
            toro::sleep_ms(100);  // a full table: wait for connections to end
            continue;
        }
        toro::ThreadOptions options;
        options.name = service->echo ? "tcp-echo" : "tcp-discard";
        options.detached = true;
        options.cpu = next_cpu++ % toro::cpu_count();
        int connection = *socket;
        bool echo = service->echo;
        if (toro::spawn([connection, echo] { return serve_stream(connection, echo); }, options) == nullptr) {
            (void)net::close(connection);
        }
    }
}

// A TCP listener on `port` with its accepting thread.
toro::Error start_stream_service(std::uint16_t port, bool echo) {
    toro::Result<int> listener = net::socket(net::SocketType::kStream);
    if (!listener.ok()) return listener.error();
    (void)net::set_option(*listener, net::SocketOption::kReuseAddress, 1);
    TORO_TRY(net::bind(*listener, {net::kAnyAddress, port}));
    TORO_TRY(net::listen(*listener));
    auto* service = static_cast<StreamService*>(toro::allocate(sizeof(StreamService)));
    if (service == nullptr) return toro::Error::kNoMemory;
    *service = {*listener, echo};
    toro::ThreadOptions options;
    options.name = "tcp-accept";
    options.detached = true;
    return toro::spawn(accept_loop, service, options) != nullptr ? toro::Error::kOk : toro::Error::kNoMemory;
}

bool same(const char* text, const char* expected) {
    while (*text != '\0' && *text == *expected) ++text, ++expected;
    return *text == *expected;
}

int busy_loop(void*) {
    for (;;) toro::yield();
}

// "--busy N" -> N (1 to kMaxBusyThreads); no arguments -> 0; else false.
bool parse_arguments(int argc, char** argv, unsigned* busy) {
    *busy = 0;
    if (argc == 1) return true;
    if (argc != 3 || !same(argv[1], "--busy")) return false;
    unsigned value = 0;
    for (const char* digit = argv[2]; *digit != '\0'; ++digit) {
        if (*digit < '0' || *digit > '9' || value > kMaxBusyThreads) return false;
        value = value * 10 + static_cast<unsigned>(*digit - '0');
    }
    if (value == 0 || value > kMaxBusyThreads) return false;
    *busy = value;
    return true;
}

// On this CPU, which net::start() made the NIC's.
bool start_busy_threads(unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
        toro::ThreadOptions options;
        options.name = "busy";
        options.detached = true;
        if (toro::spawn(busy_loop, nullptr, options) == nullptr) return false;
    }
    if (count != 0) {
        toro::print("echo: %u %s cpu %u busy (they only yield)\n", count,
                    count == 1 ? "thread keeps" : "threads keep", toro::current_cpu());
    }
    return true;
}

}  // namespace

int toro_main(int argc, char** argv) {
    unsigned busy = 0;
    if (!parse_arguments(argc, argv, &busy)) {
        toro::print("usage: echo [--busy N]   (N threads that only yield, 1 to %u)\n",
                    kMaxBusyThreads);
        return 2;
    }
    toro::Error error = net::start();
    if (error != toro::Error::kOk) return fail("no network (hosted: --nic tap:NAME)", error);
    error = net::wait_configured(kConfigureTimeout);
    if (error != toro::Error::kOk) return fail("no address (hosted: --ip ADDR/PREFIX)", error);
    toro::Result<int> echo = open_bound(kEchoPort);
    if (!echo.ok()) return fail("port 7", echo.error());
    toro::Result<int> discard = open_bound(kDiscardPort);
    if (!discard.ok()) return fail("port 9", discard.error());
    toro::Result<int> stats = apps::open_stats_port(kStatsPort);
    if (!stats.ok()) return fail("port 9998", stats.error());
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kLargestDatagram));
    if (buffer == nullptr) return fail("buffer", toro::Error::kNoMemory);
    if (!start_busy_threads(busy)) return fail("busy threads", toro::Error::kNoMemory);
    error = start_stream_service(kEchoPort, true);
    if (error != toro::Error::kOk) return fail("TCP port 7", error);
    error = start_stream_service(kDiscardPort, false);
    if (error != toro::Error::kOk) return fail("TCP port 9", error);
    print_address();
    for (;;) {
        net::WaitEntry entries[3] = {
            {*echo, net::kReadable, 0}, {*discard, net::kReadable, 0}, {*stats, net::kReadable, 0}};
        toro::Result<std::size_t> ready = net::wait(entries, 3, ~std::uint64_t{0});
        if (!ready.ok()) return fail("wait", ready.error());
        if (entries[0].ready != 0) serve(*echo, true, buffer);
        if (entries[1].ready != 0) serve(*discard, false, buffer);
        if (entries[2].ready != 0) apps::answer_stats_requests(*stats, buffer, kLargestDatagram);
    }
}
