// The script's packets as bytes and back: TCP flags and options of a
// script line written out for a frame the peer sends, options of a frame
// the stack sent read into the script's terms, and a sent segment
// written as a script line for reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net_frames.h"
#include "script.h"

namespace tcp_scripts {

inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                              kUrg = 0x20, kEce = 0x40, kCwr = 0x80;

// "S." -> SYN|ACK. `E` is ECE, `W` CWR, `U` URG.
std::uint8_t flag_bits(const std::string& flags);
// SYN|ACK -> "S.", in the order packetdrill writes them.
std::string flag_letters(std::uint8_t bits);

// How the numbers of a script's options map to the wire: the TSecr the
// peer echoes, written as the script's TSval, becomes the stack's.
struct TimestampMap {
    bool known = false;
    std::uint32_t offset = 0;  // the stack's TSval less the script's
    std::uint32_t last = 0;    // the last TSval the stack sent
    std::uint64_t tick_ns = 0;  // --tcp_ts_tick_usecs: TSvals checked at this tick (0: not)
};

// The options bytes of an inbound segment (not padded).
toro_test::Bytes encode_options(const std::vector<TcpOption>& options,
                                const TimestampMap& timestamps);
// The options in `bytes`, or false (with `why`) when they do not parse.
bool decode_options(const toro_test::Bytes& bytes, std::vector<TcpOption>* out, std::string* why);

// A segment the stack sent, as a script line would write it, its numbers
// relative to the ISNs (`toro_isn`, `peer_isn`).
std::string describe_segment(const toro_test::Parsed& segment, std::uint32_t toro_isn,
                             std::uint32_t peer_isn, const TimestampMap& timestamps);
std::string describe_options(const std::vector<TcpOption>& options);

}  // namespace tcp_scripts
