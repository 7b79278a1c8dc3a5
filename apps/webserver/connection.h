// One client connection: requests read, parsed and answered in order until
// either side ends it or it times out.
#pragma once

#include <cstdint>
#include <string_view>

namespace webserver {

// A client that stops mid-request gets 408 after this long of silence,
// and one that trickles a head for longer than kHeadTimeoutNs in all too.
inline constexpr std::uint64_t kRequestTimeoutNs = 10'000'000'000;
inline constexpr std::uint64_t kHeadTimeoutNs = 30'000'000'000;
// A keep-alive connection with no request begun is closed after this.
inline constexpr std::uint64_t kIdleTimeoutNs = 5'000'000'000;
// A client that takes none of our bytes for this long is reset.
inline constexpr std::uint64_t kSendTimeoutNs = 30'000'000'000;
// Bytes of a file read and sent per step: never the whole file at once.
inline constexpr std::size_t kFileChunk = 32 * 1024;

struct ServerConfig {
    std::string_view root;  // the document root: "/" or "/www"
    // --head-timeout and --send-timeout: the defaults above, shorter for
    // tests that wait them out.
    std::uint64_t head_timeout_ns = kHeadTimeoutNs;
    std::uint64_t send_timeout_ns = kSendTimeoutNs;
};

// Serves `socket` (an accepted TCP connection) and closes it. Blocks the
// calling thread for the connection's life.
void serve_connection(int socket, const ServerConfig& config);

}  // namespace webserver
