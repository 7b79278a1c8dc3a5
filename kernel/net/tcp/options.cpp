// TCP options in and out (see tcp_wire.h).
#include "net/tcp/tcp_wire.h"

#include "net/wire.h"

namespace toro::net::tcp {

TcpOptions parse_options(const std::uint8_t* bytes, std::size_t length) {
    TcpOptions options;
    std::size_t at = 0;
    while (at < length) {
        std::uint8_t kind = bytes[at];
        if (kind == kOptionEnd) break;
        if (kind == kOptionNop) {
            ++at;
            continue;
        }
        if (length - at < 2) break;
        std::uint8_t size = bytes[at + 1];
        if (size < 2 || size > length - at) break;  // a lying length ends the list
        const std::uint8_t* body = bytes + at + 2;
        if (kind == kOptionMss && size == 4) {
            options.has_mss = true;
            std::uint16_t mss = load16(body);
            options.mss = mss < kMinMss ? kMinMss : mss;
        } else if (kind == kOptionWindowScale && size == 3) {
            options.has_window_scale = true;
            options.window_scale = body[0] > kMaxWindowScale ? kMaxWindowScale : body[0];
        } else if (kind == kOptionSackPermitted && size == 2) {
            options.sack_permitted = true;
        }
        at += size;
    }
    return options;
}

std::size_t write_syn_options(std::uint8_t* out, std::uint16_t mss, int window_scale) {
    out[0] = kOptionMss;
    out[1] = 4;
    store16(out + 2, mss);
    if (window_scale < 0) return 4;
    out[4] = kOptionNop;
    out[5] = kOptionWindowScale;
    out[6] = 3;
    out[7] = static_cast<std::uint8_t>(window_scale);
    return 8;
}

}  // namespace toro::net::tcp
