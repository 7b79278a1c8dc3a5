// A UDP port that shows the stack's figures from outside, for tests that
// compare them before, during and after an attack (apps/echo on 9998, the
// webserver with --stats-port N). A datagram "stats" is answered with one
// line of toro::net::net_stats(), "key=value" pairs separated by spaces
// and ended by a newline, under 768 bytes:
//   pool_in_use=BYTES pool=BYTES sockets=N queued=BYTES reassembly=N arp=N
//   received=N sent=N dropped=N icmp_rate_limited=N tcp_sockets=N
//   tcp_connections=N tcp_time_wait=N tcp_buffers=BYTES tcp_buffer_limit=BYTES
//   tcp_segments_received=N tcp_segments_sent=N tcp_resets_sent=N
//   tcp_retry_timeouts=N tcp_keepalive_timeouts=N tcp_paws_drops=N
//   tcp_challenge_acks_limited=N tcp_syn_cookies_sent=N tcp_syn_cookies_accepted=N
// Anything else sent there is discarded: no reply, so the port never
// amplifies what it is sent.
#pragma once

#include <toro/error.h>

#include <cstddef>
#include <cstdint>

namespace apps {

// The line above, NUL-terminated, into `out`; returns its length.
std::size_t format_net_stats(char* out, std::size_t capacity);

// Answers every datagram waiting on the non-blocking UDP `socket` (a
// "stats" with the line, anything else with nothing); `buffer` holds
// `capacity` bytes to receive into. Returns when none is left.
void answer_stats_requests(int socket, std::uint8_t* buffer, std::size_t capacity);

// A non-blocking UDP socket bound to `port`, for answer_stats_requests.
toro::Result<int> open_stats_port(std::uint16_t port);

// The socket and a detached thread that answers on it, for an
// application with no loop of its own to add it to.
toro::Error start_stats_service(std::uint16_t port);

}  // namespace apps
