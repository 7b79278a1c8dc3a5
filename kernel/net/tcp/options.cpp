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
        } else if (kind == kOptionSack && size >= 10 && size <= 2 + 8 * kMaxSackBlocks &&
                   (size - 2) % 8 == 0) {
            // RFC 2018 §3: 2 + 8n bytes (n <= 4 fit in 40); a length
            // other than that makes the whole option suspect.
            options.sack_count = (size - 2u) / 8u;
            for (unsigned i = 0; i < options.sack_count; ++i) {
                options.sack[i] = {load32(body + 8 * i), load32(body + 8 * i + 4)};
            }
        } else if (kind == kOptionTimestamps && size == 10) {
            options.has_timestamps = true;
            options.timestamp_value = load32(body);
            options.timestamp_echo = load32(body + 4);
        }
        at += size;
    }
    return options;
}

namespace {

// MSS, NOP and window scale, SACK-permitted, timestamps (after two NOPs
// when SACK-permitted is not there to align them), NOPs to the end.
std::size_t write_bsd_syn_options(std::uint8_t* out, const SynOptions& options, std::size_t at) {
    if (options.window_scale >= 0) {
        out[at++] = kOptionNop;
        out[at++] = kOptionWindowScale;
        out[at++] = 3;
        out[at++] = static_cast<std::uint8_t>(options.window_scale);
    }
    if (options.sack_permitted) {
        out[at++] = kOptionSackPermitted;
        out[at++] = 2;
    }
    if (options.timestamps) {
        if (!options.sack_permitted) {
            out[at++] = kOptionNop;
            out[at++] = kOptionNop;
        }
        out[at++] = kOptionTimestamps;
        out[at++] = 10;
        store32(out + at, options.timestamp_value);
        store32(out + at + 4, options.timestamp_echo);
        at += 8;
    }
    while (at % 4 != 0) out[at++] = kOptionNop;
    return at;
}

}  // namespace

std::size_t write_syn_options(std::uint8_t* out, const SynOptions& options) {
    std::size_t at = 0;
    out[at++] = kOptionMss;
    out[at++] = 4;
    store16(out + at, options.mss);
    at += 2;
    if (options.layout == SynOptionLayout::kBsd) return write_bsd_syn_options(out, options, at);
    // SACK-permitted takes the place of the two NOPs before TSopt; alone,
    // it is aligned by them.
    if (options.sack_permitted != options.timestamps) {
        out[at++] = kOptionNop;
        out[at++] = kOptionNop;
    }
    if (options.sack_permitted) {
        out[at++] = kOptionSackPermitted;
        out[at++] = 2;
    }
    if (options.timestamps) {
        out[at++] = kOptionTimestamps;
        out[at++] = 10;
        store32(out + at, options.timestamp_value);
        store32(out + at + 4, options.timestamp_echo);
        at += 8;
    }
    if (options.window_scale >= 0) {
        out[at++] = kOptionNop;
        out[at++] = kOptionWindowScale;
        out[at++] = 3;
        out[at++] = static_cast<std::uint8_t>(options.window_scale);
    }
    return at;
}

std::size_t write_timestamps(std::uint8_t* out, std::uint32_t value, std::uint32_t echo) {
    out[0] = kOptionNop;
    out[1] = kOptionNop;
    out[2] = kOptionTimestamps;
    out[3] = 10;
    store32(out + 4, value);
    store32(out + 8, echo);
    return kTimestampsSpace;
}

std::size_t write_sack(std::uint8_t* out, const SackBlock* blocks, unsigned count) {
    out[0] = kOptionNop;
    out[1] = kOptionNop;
    out[2] = kOptionSack;
    out[3] = static_cast<std::uint8_t>(2 + 8 * count);
    for (unsigned i = 0; i < count; ++i) {
        store32(out + 4 + 8 * i, blocks[i].left);
        store32(out + 8 + 8 * i, blocks[i].right);
    }
    return 4 + 8 * count;
}

}  // namespace toro::net::tcp
