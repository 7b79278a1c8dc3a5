// SYN cookies (RFC 4987 §3.6): under a SYN flood, a listener answers with
// a SYN-ACK whose ISS encodes what the connection needs, keeping nothing;
// the peer's ACK (acknowledging ISS + 1) brings it back, and only then is
// a connection made. So spoofed SYNs cost a segment each, never a slot or
// a buffer, and real clients still get in.
//
// The ISS, 32 bits:
//   31-27  the period the cookie was made in (64 s periods, modulo 32);
//          one made in this period or the last is taken
//   26-25  the peer's MSS, rounded down to one of kCookieMss
//   24-0   a MAC: SipHash-2-4, under a key drawn at initialize, of both
//          endpoints, the peer's ISN, the whole period number and the MSS
//          index (an off-path forger guesses it one time in 2^25)
// The other SYN options ride in the SYN-ACK's TSval, whose low 6 bits
// the ACK's TSecr echoes (only when the SYN had timestamps: without,
// the cookie's connection has no window scaling and no SACK, as a SYN-ACK
// without them offers none):
//   3-0    the peer's window scale (15: it offered none)
//   4      SACK permitted
//   5      ECN agreed (the SYN asked, and the SYN-ACK said ECE)
// Its connection's timestamp offset is a keyed hash of the endpoints, so
// the TSvals it sends continue the SYN-ACK's (the SYN-ACK's TSval is
// rounded down, never up, to take the bits: PAWS at the peer must not see
// time go back).
#include "net/siphash.h"
#include "net/stack.h"
#include "net/tcp/sequence.h"

namespace toro::net {

namespace {

constexpr std::uint64_t kCookiePeriodNs = 64'000'000'000;
constexpr std::uint16_t kCookieMss[4] = {536, 1220, 1440, 1460};
constexpr std::uint32_t kMacMask = (1u << 25) - 1;
constexpr std::uint32_t kOptionBits = 0x3F;
constexpr std::uint32_t kNoWindowScale = 15, kSackBit = 16, kEcnBit = 32;

// The timestamp offset of a cookie's connection, the same for its SYN-ACK
// and, when the ACK comes, for the connection.
std::uint32_t cookie_timestamp_offset(const std::uint64_t key[2], Endpoint local, Endpoint remote) {
    return static_cast<std::uint32_t>(siphash_endpoints(key, local, remote));
}

unsigned mss_index_for(std::uint16_t mss) {
    unsigned index = 0;
    while (index + 1 < 4 && kCookieMss[index + 1] <= mss) ++index;
    return index;
}

}  // namespace

std::uint32_t Stack::tcp_cookie_mac(Endpoint local, Endpoint remote, std::uint32_t peer_sequence,
                                    std::uint64_t period, unsigned mss_index) const {
    SipHash hash(cookie_key_);
    hash.absorb(std::uint64_t{local.address.value} << 32 | remote.address.value);
    hash.absorb(std::uint64_t{local.port} << 48 | std::uint64_t{remote.port} << 32 | peer_sequence);
    hash.absorb(period << 2 | mss_index);
    hash.absorb(std::uint64_t{24} << 56);  // the message's length
    return static_cast<std::uint32_t>(hash.finish()) & kMacMask;
}

void Stack::tcp_send_cookie(const TcpSocket& listener, Endpoint local, Endpoint remote,
                            const tcp::InSegment& syn, std::uint64_t now) {
    const tcp::TcpSettings& settings = tcp_settings_;
    std::uint16_t peer_mss = syn.options.has_mss ? syn.options.mss : tcp::kDefaultMss;
    unsigned mss_index = mss_index_for(peer_mss);
    std::uint64_t period = now / kCookiePeriodNs;
    std::uint32_t cookie = static_cast<std::uint32_t>(period & 31) << 27 | mss_index << 25 |
                           tcp_cookie_mac(local, remote, syn.sequence, period, mss_index);
    bool ecn = settings.ecn != tcp::EcnMode::kOff && (syn.flags & (tcp::kEce | tcp::kCwr)) == (tcp::kEce | tcp::kCwr);
    bool timestamps = !listener.no_options && settings.window_scaling_and_timestamps &&
                      syn.options.has_timestamps;
    tcp::OutSegment segment;
    segment.sequence = cookie;
    segment.acknowledgment = syn.sequence + 1;
    segment.window = static_cast<std::uint16_t>(listener.receive_bytes < 0xFFFF ? listener.receive_bytes : 0xFFFF);
    tcp::SynOptions options;
    options.mss = settings.mss;
    options.layout = settings.syn_option_layout;
    if (timestamps) {
        std::uint32_t bits = syn.options.has_window_scale ? syn.options.window_scale : kNoWindowScale;
        if (settings.sack && syn.options.sack_permitted) bits |= kSackBit;
        if (ecn) bits |= kEcnBit;
        std::uint32_t clock =
            tcp::timestamp_clock(now, cookie_timestamp_offset(cookie_timestamp_key_, local, remote));
        std::uint32_t value = (clock & ~kOptionBits) | bits;
        if (tcp::seq_gt(value, clock)) value -= kOptionBits + 1;
        options.timestamps = true;
        options.timestamp_value = value;
        options.timestamp_echo = syn.options.timestamp_value;
        options.sack_permitted = (bits & kSackBit) != 0;
        if (syn.options.has_window_scale) {
            options.window_scale = tcp::offered_window_scale(settings.min_window_scale, listener.receive_bytes);
        }
    }
    segment.flags = static_cast<std::uint8_t>(tcp::kSyn | tcp::kAck | (timestamps && ecn ? tcp::kEce : 0));
    segment.options_length = listener.no_options ? 0 : tcp::write_syn_options(segment.options, options);
    tcp_cookie_sent_at_ = now == 0 ? 1 : now;
    ++tcp_cookies_sent_;
    tcp_transmit(local, remote, segment, listener.ip_marking);
}

bool Stack::tcp_accept_cookie(TcpSocket& listener, Endpoint local, Endpoint remote,
                              const tcp::InSegment& ack, std::uint64_t now) {
    if ((ack.flags & (tcp::kSyn | tcp::kRst | tcp::kAck)) != tcp::kAck || tcp_cookie_sent_at_ == 0 ||
        now - tcp_cookie_sent_at_ >= 2 * kCookiePeriodNs) {
        return false;
    }
    std::uint32_t cookie = ack.acknowledgment - 1;
    std::uint32_t peer_sequence = ack.sequence - 1;
    unsigned mss_index = cookie >> 25 & 3;
    std::uint64_t period = now / kCookiePeriodNs;
    bool valid = false;
    for (std::uint64_t back = 0; back < 2 && back <= period; ++back) {  // this period, or the last
        std::uint64_t made = period - back;
        valid |= (made & 31) == cookie >> 27 &&
                 tcp_cookie_mac(local, remote, peer_sequence, made, mss_index) == (cookie & kMacMask);
    }
    if (!valid) return false;
    tcp::TcpOptions syn;
    syn.has_mss = true;
    syn.mss = kCookieMss[mss_index];
    bool ecn = false;
    if (ack.options.has_timestamps && !listener.no_options) {
        std::uint32_t bits = ack.options.timestamp_echo & kOptionBits;
        std::uint32_t scale = bits & kNoWindowScale;
        syn.has_window_scale = scale != kNoWindowScale;
        syn.window_scale = static_cast<std::uint8_t>(scale > tcp::kMaxWindowScale ? tcp::kMaxWindowScale : scale);
        syn.sack_permitted = (bits & kSackBit) != 0;
        syn.has_timestamps = true;
        syn.timestamp_value = ack.options.timestamp_value;
        ecn = (bits & kEcnBit) != 0;
    }
    // A completed handshake outranks a half-open one; a full accept queue
    // takes nothing (the peer sends again, and its cookie still holds).
    if (listener.ready >= listener.backlog) return true;
    if (listener.queued >= listener.backlog) {
        if (TcpSocket* oldest = tcp_oldest_half_open(listener)) tcp_free(*oldest);
    }
    TcpSocket* child = tcp_new_child(listener, local, remote, cookie,
                                     cookie_timestamp_offset(cookie_timestamp_key_, local, remote), now);
    if (child == nullptr) return true;
    ++tcp_cookies_accepted_;
    child->connection.accept_cookie(syn, ecn, ack, now);
    tcp_settle(*child, now);
    return true;
}

}  // namespace toro::net
