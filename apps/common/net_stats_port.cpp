#include "net_stats_port.h"

#include <toro/net.h>
#include <toro/toro.h>

namespace apps {

namespace net = toro::net;

std::size_t format_net_stats(char* out, std::size_t capacity) {
    net::NetStats stats = net::net_stats();
    auto count = [](std::uint64_t value) { return static_cast<unsigned long long>(value); };
    std::size_t written = toro::format(
        out, capacity,
        "pool_in_use=%zu pool=%zu sockets=%zu queued=%zu reassembly=%zu arp=%zu received=%llu"
        " sent=%llu dropped=%llu icmp_rate_limited=%llu tcp_sockets=%zu tcp_connections=%zu"
        " tcp_time_wait=%zu tcp_buffers=%zu tcp_buffer_limit=%zu tcp_segments_received=%llu"
        " tcp_segments_sent=%llu tcp_resets_sent=%llu tcp_retry_timeouts=%llu"
        " tcp_keepalive_timeouts=%llu tcp_paws_drops=%llu tcp_challenge_acks_limited=%llu"
        " tcp_syn_cookies_sent=%llu tcp_syn_cookies_accepted=%llu\n",
        stats.pool_bytes_in_use, stats.pool_bytes, stats.sockets_open, stats.socket_queued_bytes,
        stats.reassembly_in_progress, stats.arp_entries, count(stats.frames_received),
        count(stats.frames_sent), count(stats.frames_dropped), count(stats.icmp_rate_limited),
        stats.tcp_sockets, stats.tcp_connections, stats.tcp_time_wait, stats.tcp_buffer_bytes,
        stats.tcp_buffer_limit, count(stats.tcp_segments_received), count(stats.tcp_segments_sent),
        count(stats.tcp_resets_sent), count(stats.tcp_retry_timeouts),
        count(stats.tcp_keepalive_timeouts), count(stats.tcp_paws_drops),
        count(stats.tcp_challenge_acks_limited), count(stats.tcp_syn_cookies_sent),
        count(stats.tcp_syn_cookies_accepted));
    return written < capacity ? written : capacity - 1;
}

void answer_stats_requests(int socket, std::uint8_t* buffer, std::size_t capacity) {
    static constexpr char kRequest[] = "stats";
    constexpr std::size_t kRequestLength = sizeof kRequest - 1;
    for (;;) {
        net::Endpoint from;
        toro::Result<std::size_t> length = net::receive_from(socket, buffer, capacity, &from);
        if (!length.ok()) return;  // kWouldBlock: drained
        bool asked = *length == kRequestLength && capacity >= kRequestLength &&
                     __builtin_memcmp(buffer, kRequest, kRequestLength) == 0;
        if (!asked) continue;
        char line[768];
        std::size_t written = format_net_stats(line, sizeof line);
        (void)net::send_to(socket, line, written, &from);
    }
}

toro::Result<int> open_stats_port(std::uint16_t port) {
    toro::Result<int> socket = net::socket(net::SocketType::kDatagram);
    if (!socket.ok()) return socket;
    TORO_TRY(net::bind(*socket, {net::kAnyAddress, port}));
    TORO_TRY(net::set_nonblocking(*socket, true));
    return socket;
}

toro::Error start_stats_service(std::uint16_t port) {
    toro::Result<int> socket = open_stats_port(port);
    if (!socket.ok()) return socket.error();
    toro::ThreadOptions options;
    options.name = "stats";
    options.detached = true;
    int stats = *socket;
    auto serve = [stats] {
        // A request is 5 bytes; a longer datagram is cut here and discarded whole.
        std::uint8_t buffer[64];
        for (;;) {
            net::WaitEntry entry{stats, net::kReadable, 0};
            if (!net::wait(&entry, 1, ~std::uint64_t{0}).ok()) return 1;
            answer_stats_requests(stats, buffer, sizeof buffer);
        }
    };
    if (toro::spawn(serve, options) == nullptr) {
        (void)net::close(stats);
        return toro::Error::kNoMemory;
    }
    return toro::Error::kOk;
}

}  // namespace apps
