// TCP's header (RFC 9293 §3.1) and the options the stack speaks: MSS
// (RFC 9293 §3.7.1), window scale (RFC 7323 §2), timestamps (RFC 7323
// §3), SACK-permitted and SACK (RFC 2018). Every parser checks each length
// against the bytes it was given.
#pragma once

#include <cstddef>
#include <cstdint>

namespace toro::net::tcp {

struct TcpHeader {
    std::uint8_t source_port[2];
    std::uint8_t destination_port[2];
    std::uint8_t sequence[4];
    std::uint8_t acknowledgment[4];
    std::uint8_t data_offset;  // header length in 32-bit words, in the high nibble
    std::uint8_t flags;
    std::uint8_t window[2];
    std::uint8_t checksum[2];
    std::uint8_t urgent[2];
};
static_assert(sizeof(TcpHeader) == 20);
inline constexpr std::size_t kMaxTcpHeader = 60;
inline constexpr std::size_t kMaxOptions = kMaxTcpHeader - sizeof(TcpHeader);

inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;  // ECN-Echo (RFC 3168 §6.1)
inline constexpr std::uint8_t kCwr = 0x80;  // Congestion Window Reduced

// The IP header's ECN field, the low two bits of its TOS byte (RFC 3168 §5).
inline constexpr std::uint8_t kEcnNotEct = 0;
inline constexpr std::uint8_t kEcnEct1 = 1;
inline constexpr std::uint8_t kEcnEct0 = 2;
inline constexpr std::uint8_t kEcnCe = 3;

inline constexpr std::uint8_t kOptionEnd = 0;
inline constexpr std::uint8_t kOptionNop = 1;
inline constexpr std::uint8_t kOptionMss = 2;
inline constexpr std::uint8_t kOptionWindowScale = 3;
inline constexpr std::uint8_t kOptionSackPermitted = 4;
inline constexpr std::uint8_t kOptionSack = 5;
inline constexpr std::uint8_t kOptionTimestamps = 8;
// What TSopt takes in every segment once agreed: two NOPs and its 10
// bytes, so the 32-bit words stay aligned (RFC 7323 Appendix A).
inline constexpr std::uint16_t kTimestampsSpace = 12;

inline constexpr std::uint8_t kMaxWindowScale = 14;  // RFC 7323 §2.3
// The smallest MSS taken from a peer: an MSS of 0 (or 1) would make every
// segment a byte, and a sender loop without end. Linux's floor.
inline constexpr std::uint16_t kMinMss = 88;
inline constexpr std::uint16_t kDefaultMss = 536;  // RFC 9293 §3.7.1, when none is sent

// A SACK block (RFC 2018 §3): the bytes [left, right) arrived.
struct SackBlock {
    std::uint32_t left = 0, right = 0;
};
inline constexpr unsigned kMaxSackBlocks = 4;  // what 40 bytes hold: 2 + 4 * 8

struct TcpOptions {
    bool has_mss = false;
    std::uint16_t mss = 0;  // clamped to kMinMss and above
    bool has_window_scale = false;
    std::uint8_t window_scale = 0;  // clamped to kMaxWindowScale
    bool sack_permitted = false;
    bool has_timestamps = false;  // only with its length right (10)
    std::uint32_t timestamp_value = 0, timestamp_echo = 0;  // TSval, TSecr
    // Only from an option of length 2 + 8n; their contents unchecked here.
    unsigned sack_count = 0;
    SackBlock sack[kMaxSackBlocks];
};

// Reads the options of one segment. An option whose length is 0, 1 or
// runs past the end stops the reading (what came before it stands); an
// option the stack does not know is skipped by its length.
TcpOptions parse_options(const std::uint8_t* bytes, std::size_t length);

// The two orders stacks write a SYN's options in: Linux's (MSS, SACK-
// permitted, timestamps, NOP, window scale) and BSD's (MSS, NOP, window
// scale, SACK-permitted, timestamps). Both are 20 bytes with all four.
enum class SynOptionLayout : std::uint8_t { kLinux, kBsd };

// What a SYN or SYN-ACK offers.
struct SynOptions {
    std::uint16_t mss = kDefaultMss;
    int window_scale = -1;  // none when negative
    bool sack_permitted = false;
    bool timestamps = false;
    std::uint32_t timestamp_value = 0, timestamp_echo = 0;
    SynOptionLayout layout = SynOptionLayout::kLinux;
};
// Writes them in Linux's order by default, which middleboxes know: MSS,
// SACK-permitted, timestamps (NOPs where one of the two is missing), NOP
// and window scale; or in BSD's. At most 20 bytes. Returns the length (a
// multiple of 4).
std::size_t write_syn_options(std::uint8_t* out, const SynOptions& options);
// NOP, NOP, TSopt: kTimestampsSpace bytes.
std::size_t write_timestamps(std::uint8_t* out, std::uint32_t value, std::uint32_t echo);

// TSval's clock (RFC 7323 §5.4 wants 1 ms to 1 s a tick): the time in
// ticks plus a connection's offset. A connection's TSvals and the SYN
// cookie's SYN-ACK that opens one (syn_cookies.cpp) both read it.
inline constexpr std::uint64_t kTimestampTickNs = 1'000'000;
inline std::uint32_t timestamp_clock(std::uint64_t now, std::uint32_t offset) {
    return static_cast<std::uint32_t>(now / kTimestampTickNs) + offset;
}
// NOP, NOP, SACK with `count` (1 to 4) blocks: 4 + 8 * count bytes.
std::size_t write_sack(std::uint8_t* out, const SackBlock* blocks, unsigned count);

}  // namespace toro::net::tcp
