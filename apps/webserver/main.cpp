// webserver: static files over HTTP/1.1 from the first disk (ext2, mounted
// read-only at "/") on TCP port 80. An accepting thread hands each
// connection to a thread of its own, spread over the CPUs.
//
// Application arguments (after the HAL's flags or the boot line's "--"):
//   --root DIR   the document root on the disk (default "/")
//   --url URL    the address to print once listening, for when the machine's
//                own is not the one clients use (a host port forward)
//   --stats-port N  answer "stats" datagrams on UDP port N with the stack's
//                figures (apps/common/net_stats_port.h), for tests; off by default
//   --head-timeout S  seconds a request head may take in all (default 30;
//                silence mid-head gets 408 after at most 10)
//   --send-timeout S  seconds a client may take none of our bytes before
//                its connection is reset (default 30); both 1 to 3600
#include <toro/ext2.h>
#include <toro/net.h>
#include <toro/toro.h>

#include <atomic>

#include "../common/net_stats_port.h"
#include "connection.h"
#include "text.h"

namespace {

namespace net = toro::net;

constexpr std::uint16_t kHttpPort = 80;
constexpr std::uint64_t kConfigureTimeout = 30'000'000'000;
// Each connection holds a thread and ~40 KiB of buffers: past this many,
// newcomers are turned away rather than starving the ones being served.
constexpr int kMaxConnections = 128;
constexpr int kReceiveBuffer = 16 * 1024;

struct Arguments {
    const char* root = "/";
    const char* url = nullptr;
    std::uint16_t stats_port = 0;  // 0: none
    std::uint64_t head_timeout_ns = webserver::kHeadTimeoutNs;
    std::uint64_t send_timeout_ns = webserver::kSendTimeoutNs;
};

// What the accepting thread and the connection threads share; it lives
// for the program's life.
struct Server {
    int listener = -1;
    webserver::ServerConfig config;
    std::atomic<int> connections_open{0};
};

int fail(const char* what, toro::Error error) {
    toro::print("webserver: %s: %s\n", what, toro::error_message(error));
    return 1;
}

bool same(const char* text, const char* expected) {
    while (*text != '\0' && *text == *expected) ++text, ++expected;
    return *text == *expected;
}

// "1" to "65535" -> the port; anything else false.
bool parse_port(const char* text, std::uint16_t* port) {
    std::uint32_t value = 0;
    for (const char* digit = text; *digit != '\0'; ++digit) {
        if (*digit < '0' || *digit > '9') return false;
        value = value * 10 + static_cast<std::uint32_t>(*digit - '0');
        if (value > 65535) return false;
    }
    if (value == 0) return false;
    *port = static_cast<std::uint16_t>(value);
    return true;
}

// "1" to "3600" seconds -> nanoseconds; anything else false.
bool parse_seconds(const char* text, std::uint64_t* nanoseconds) {
    std::uint64_t value = 0;
    for (const char* digit = text; *digit != '\0'; ++digit) {
        if (*digit < '0' || *digit > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(*digit - '0');
        if (value > 3600) return false;
    }
    if (value == 0) return false;
    *nanoseconds = value * 1'000'000'000;
    return true;
}

// The root must be absolute and, but for "/" itself, end without a slash.
bool parse_arguments(int argc, char** argv, Arguments* arguments) {
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) return false;
        if (same(argv[i], "--root")) {
            arguments->root = argv[i + 1];
        } else if (same(argv[i], "--url")) {
            arguments->url = argv[i + 1];
        } else if (same(argv[i], "--stats-port")) {
            if (!parse_port(argv[i + 1], &arguments->stats_port)) return false;
        } else if (same(argv[i], "--head-timeout")) {
            if (!parse_seconds(argv[i + 1], &arguments->head_timeout_ns)) return false;
        } else if (same(argv[i], "--send-timeout")) {
            if (!parse_seconds(argv[i + 1], &arguments->send_timeout_ns)) return false;
        } else {
            return false;
        }
    }
    std::size_t length = webserver::text::of(arguments->root).size();
    return arguments->root[0] == '/' && (length == 1 || arguments->root[length - 1] != '/');
}

// Too many at once: a short 503 the thread-less way, then the connection goes.
void turn_away(int socket) {
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)net::send(socket, kBusy, sizeof kBusy - 1, net::kDontWait);
    (void)net::close(socket);
}

int accept_loop(Server* server) {
    unsigned next_cpu = 0;
    for (;;) {
        toro::Result<int> socket = net::accept(server->listener);
        if (!socket.ok()) {
            toro::print("webserver: accept: %s\n", toro::error_message(socket.error()));
            toro::sleep_ms(100);  // a full table: wait for connections to end
            continue;
        }
        if (server->connections_open.fetch_add(1) >= kMaxConnections) {
            server->connections_open.fetch_sub(1);
            turn_away(*socket);
            continue;
        }
        toro::ThreadOptions options;
        options.name = "http";
        options.detached = true;
        options.cpu = next_cpu++ % toro::cpu_count();
        int connection = *socket;
        auto serve = [server, connection] {
            webserver::serve_connection(connection, server->config);
            server->connections_open.fetch_sub(1);
            return 0;
        };
        if (toro::spawn(serve, options) == nullptr) {
            server->connections_open.fetch_sub(1);
            (void)net::close(connection);
        }
    }
}

toro::Result<int> listen_on(std::uint16_t port) {
    toro::Result<int> listener = net::socket(net::SocketType::kStream);
    if (!listener.ok()) return listener;
    (void)net::set_option(*listener, net::SocketOption::kReuseAddress, 1);
    // Connections take the listener's buffer sizes. A request head is at
    // most 8 KiB, so a 16 KiB receive buffer (not the default 64) is
    // plenty, and kMaxConnections of them fit the stack's TCP memory with
    // room left for the 503 and for connections still closing.
    (void)net::set_option(*listener, net::SocketOption::kReceiveBuffer, kReceiveBuffer);
    TORO_TRY(net::bind(*listener, {net::kAnyAddress, port}));
    TORO_TRY(net::listen(*listener));
    return listener;
}

void print_listening(const Arguments& arguments) {
    char address[16];
    net::InterfaceInfo info = net::interface_info();
    net::format_address(info.address, address);
    toro::print(
        "webserver: serving %s of disk 0 on %s port %u (mac %02x:%02x:%02x:%02x:%02x:%02x)\n",
        arguments.root, address, kHttpPort, info.mac[0], info.mac[1], info.mac[2], info.mac[3],
        info.mac[4], info.mac[5]);
    if (arguments.url != nullptr) {
        toro::print("webserver: %s\n", arguments.url);
    } else {
        toro::print("webserver: http://%s/\n", address);
    }
    if (arguments.stats_port != 0) {
        toro::print("webserver: stats on UDP port %u\n", arguments.stats_port);
    }
}

}  // namespace

int toro_main(int argc, char** argv) {
    Arguments arguments;
    if (!parse_arguments(argc, argv, &arguments)) {
        toro::print(
            "usage: webserver [--root /DIR] [--url URL] [--stats-port N] [--head-timeout S]"
            " [--send-timeout S]\n");
        return 2;
    }
    static Server server;  // outlives toro_main's threads
    server.config.root = webserver::text::of(arguments.root);
    server.config.head_timeout_ns = arguments.head_timeout_ns;
    server.config.send_timeout_ns = arguments.send_timeout_ns;
    toro::Disk* disk = toro::disk(0);
    if (disk == nullptr) {
        toro::print("webserver: no disk attached (hosted: --disk build/apps/webserver.img)\n");
        return 1;
    }
    toro::Error error = toro::mount("/", disk, toro::ext2_file_system, toro::kMountReadOnly);
    if (error != toro::Error::kOk) return fail("mount", error);
    error = net::start();
    if (error != toro::Error::kOk) return fail("no network", error);
    error = net::wait_configured(kConfigureTimeout);
    if (error != toro::Error::kOk) return fail("no address", error);
    toro::Result<int> listener = listen_on(kHttpPort);
    if (!listener.ok()) return fail("port 80", listener.error());
    server.listener = *listener;
    if (arguments.stats_port != 0) {
        error = apps::start_stats_service(arguments.stats_port);
        if (error != toro::Error::kOk) return fail("--stats-port", error);
    }
    print_listening(arguments);
    return accept_loop(&server);
}
