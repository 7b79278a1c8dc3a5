// A packetdrill script, parsed: the options it sets (`--name=value`) and
// its timed events in order. The parser (parser.h) makes it; the driver
// (driver.h) runs it. Nothing here knows of Toro.
//
// The grammar is packetdrill's (its README and its parser's documentation
// describe it), with the extensions FreeBSD's tcp-testsuite uses: IP
// attributes before a segment (`(ttl 6)`, `(tos 0x20)`), an ECN mark
// (`[noecn]`, `[ect0]`), an absolute sequence number (`0:0(0)!`), UDP
// encapsulation (`/udp(9811 > 1)`) and C-preprocessor conditionals
// (`#ifdef NAME` ... `#else` ... `#endif`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcp_scripts {

// Where something is in its file, both counted from 1.
struct Location {
    unsigned line = 0;
    unsigned column = 0;
};

// When an event happens. `0.1` absolute, `+0.1` after the previous event,
// `*` at any time; `0.1~0.2` (a range: the event happens within it) and
// `0.1...0.2` (a blocking call: starts at the first, returns at the second).
// A backquoted command or a %{ code }% block may have no time: it is `+0`.
struct Timing {
    enum class Kind : std::uint8_t { kAbsolute, kRelative, kAny };
    Kind kind = Kind::kAbsolute;
    std::int64_t microseconds = 0;
    enum class End : std::uint8_t { kNone, kRange, kBlocking };
    End end = End::kNone;
    Kind end_kind = Kind::kAbsolute;
    std::int64_t end_microseconds = 0;
};

// A system call's argument: `...`, 65536, 0x02, SO_RCVBUF, "text",
// O_RDWR | O_NONBLOCK, [65536] (a pointer to a value), {l_onoff=1, ...},
// htons(8080) (a call: its name in `text`, its arguments in `items`).
struct Expression {
    enum class Kind : std::uint8_t {
        kEllipsis,
        kInteger,
        kName,
        kString,
        kOr,
        kList,
        kStruct,
        kCall
    };
    Kind kind = Kind::kEllipsis;
    std::int64_t integer = 0;
    std::string text;  // kName, kString, kCall
    // kOr's operands, kList's and kCall's elements, kStruct's fields.
    std::vector<Expression> items;
    std::string field;  // a kStruct field's name
    Location at;
};

struct Syscall {
    std::string name;
    std::vector<Expression> arguments;
    std::int64_t result = 0;
    std::string error;  // "EAGAIN" after `= -1`, or empty
    std::string note;   // what the parentheses after the result say
};

struct TcpOption {
    enum class Kind : std::uint8_t {
        kEol,
        kNop,
        kMss,
        kWindowScale,
        kSackPermitted,
        kSack,
        kTimestamp,
        kMd5,
        kFastOpen,
        kExperimental
    };
    Kind kind = Kind::kNop;
    std::uint32_t value = 0;  // mss, wscale
    std::uint32_t timestamp_value = 0, timestamp_echo = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sack_blocks;  // left:right
    std::string text;  // md5's "valid"/"invalid", a fast-open cookie
};

struct TcpSegment {
    // The flags as written, each of "SFRP.EWCU" once (`.` is ACK).
    std::string flags;
    bool any_sequence = false;       // `...(len)`
    bool absolute_sequence = false;  // `start:end(len)!`
    std::uint32_t start = 0, end = 0, length = 0;
    std::optional<std::uint32_t> ack;
    std::optional<std::uint32_t> window;
    // Absent: the options are not checked (outbound) or none (inbound).
    bool has_options = false;
    bool any_options = false;  // `<...>`
    std::vector<TcpOption> options;
};

struct IcmpMessage {
    std::string type;                  // unreachable, time_exceeded, source_quench, ...
    std::string code;                  // port_unreachable, code_2, ..., or empty
    std::optional<std::uint32_t> mtu;  // frag_needed's next-hop MTU
    // The TCP segment it quotes: `[start:end(len)]`.
    bool has_quoted = false;
    std::uint32_t start = 0, end = 0, length = 0;
};

// A `<` (the peer sends it) or `>` (the stack must send it) line.
struct Packet {
    bool inbound = false;  // `<`
    std::string ecn;       // noecn, ect0, ect1, ect01, ce, or empty (see ecn_bits)
    std::optional<std::uint32_t> ttl;
    std::optional<std::uint32_t> tos;
    std::optional<std::uint32_t> flow_label;
    bool is_icmp = false;
    TcpSegment tcp;
    IcmpMessage icmp;
    // `/udp(source > destination)`: encapsulated in UDP (RFC 8719's TCP over UDP).
    bool udp_encapsulated = false;
    std::uint16_t udp_source = 0, udp_destination = 0;
};

struct Event {
    enum class Kind : std::uint8_t { kSyscall, kPacket, kShell, kCode };
    Kind kind = Kind::kSyscall;
    Location at;
    Timing timing;
    Syscall syscall;
    Packet packet;
    std::string text;    // kShell: the command between backquotes; kCode: between %{ and }%
    std::string source;  // the line as written, for reports
};

// A packet's ECN mark as the IP header's ECN field (RFC 3168 §5): 0-3;
// kAnyEcn when the line has none (not checked, and Not-ECT inbound),
// kEitherEct for ect01 (ECT(0) or ECT(1); ECT(0) inbound), kUnknownEcn
// for a name packetdrill does not know.
inline constexpr int kAnyEcn = -1, kEitherEct = -2, kUnknownEcn = -3;
inline int ecn_bits(const std::string& mark) {
    if (mark.empty()) return kAnyEcn;
    if (mark == "noecn") return 0;
    if (mark == "ect1") return 1;
    if (mark == "ect0") return 2;
    if (mark == "ce") return 3;
    if (mark == "ect01") return kEitherEct;
    return kUnknownEcn;
}

struct Option {
    std::string name;   // without the leading --
    std::string value;  // what follows `=`, or empty
    Location at;
};

struct Script {
    std::string path;
    std::vector<Option> options;
    std::vector<Event> events;
};

}  // namespace tcp_scripts
