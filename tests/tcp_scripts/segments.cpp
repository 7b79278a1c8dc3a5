#include "segments.h"

namespace tcp_scripts {

namespace {

// RFC 9293 §3.1's option kinds, RFC 7323's, RFC 2018's, RFC 2385's, RFC 7413's.
constexpr std::uint8_t kOptionEol = 0, kOptionNop = 1, kOptionMss = 2, kOptionWindowScale = 3,
                       kOptionSackPermitted = 4, kOptionSack = 5, kOptionTimestamp = 8,
                       kOptionMd5 = 19, kOptionFastOpen = 34, kOptionExperimental = 254;

void put16(toro_test::Bytes& out, std::uint32_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}
void put32(toro_test::Bytes& out, std::uint32_t value) {
    put16(out, value >> 16);
    put16(out, value);
}
std::uint32_t get32(const toro_test::Bytes& bytes, std::size_t at) {
    return std::uint32_t{bytes[at]} << 24 | std::uint32_t{bytes[at + 1]} << 16 |
           std::uint32_t{bytes[at + 2]} << 8 | bytes[at + 3];
}

struct FlagLetter {
    char letter;
    std::uint8_t bit;
};
// packetdrill's order of writing them.
constexpr FlagLetter kFlagLetters[] = {{'S', kSyn}, {'F', kFin}, {'R', kRst}, {'P', kPsh},
                                       {'.', kAck}, {'U', kUrg}, {'E', kEce}, {'W', kCwr}};

}  // namespace

std::uint8_t flag_bits(const std::string& flags) {
    std::uint8_t bits = 0;
    for (char c : flags) {
        for (const FlagLetter& flag : kFlagLetters) {
            if (flag.letter == c) bits |= flag.bit;
        }
        if (c == 'C') bits |= kCwr;  // some scripts write CWR as C
    }
    return bits;
}

std::string flag_letters(std::uint8_t bits) {
    std::string letters;
    for (const FlagLetter& flag : kFlagLetters) {
        if (bits & flag.bit) letters.push_back(flag.letter);
    }
    return letters;
}

toro_test::Bytes encode_options(const std::vector<TcpOption>& options,
                                const TimestampMap& timestamps) {
    toro_test::Bytes out;
    for (const TcpOption& option : options) {
        switch (option.kind) {
            case TcpOption::Kind::kEol:
                out.push_back(kOptionEol);
                break;
            case TcpOption::Kind::kNop:
                out.push_back(kOptionNop);
                break;
            case TcpOption::Kind::kMss:
                out.insert(out.end(), {kOptionMss, 4});
                put16(out, option.value);
                break;
            case TcpOption::Kind::kWindowScale:
                out.insert(out.end(),
                           {kOptionWindowScale, 3, static_cast<std::uint8_t>(option.value)});
                break;
            case TcpOption::Kind::kSackPermitted:
                out.insert(out.end(), {kOptionSackPermitted, 2});
                break;
            case TcpOption::Kind::kSack:
                out.push_back(kOptionSack);
                out.push_back(static_cast<std::uint8_t>(2 + 8 * option.sack_blocks.size()));
                // The blocks are the stack's sequence numbers: the caller
                // has already mapped them (see Driver::inbound_options).
                for (auto [left, right] : option.sack_blocks) put32(out, left), put32(out, right);
                break;
            case TcpOption::Kind::kTimestamp:
                out.insert(out.end(), {kOptionTimestamp, 10});
                put32(out, option.timestamp_value);
                // The peer echoes what the stack sent: the script writes
                // it as the script's TSval.
                put32(out, option.timestamp_echo == 0 || !timestamps.known
                               ? option.timestamp_echo
                               : option.timestamp_echo + timestamps.offset);
                break;
            case TcpOption::Kind::kMd5:
                // A digest we do not compute (no TCP-MD5 here): zeros, so
                // a stack that checks drops it, as it should.
                out.insert(out.end(), {kOptionMd5, 18});
                out.insert(out.end(), 16, 0);
                break;
            case TcpOption::Kind::kFastOpen:
            case TcpOption::Kind::kExperimental: {
                toro_test::Bytes cookie;
                for (std::size_t i = 0; i + 1 < option.text.size(); i += 2) {
                    cookie.push_back(static_cast<std::uint8_t>(
                        std::stoul(option.text.substr(i, 2), nullptr, 16)));
                }
                if (option.kind == TcpOption::Kind::kFastOpen) {
                    out.push_back(kOptionFastOpen);
                    out.push_back(static_cast<std::uint8_t>(2 + cookie.size()));
                } else {
                    out.push_back(kOptionExperimental);
                    out.push_back(static_cast<std::uint8_t>(4 + cookie.size()));
                    put16(out, 0xF989);  // RFC 7413 §6's experimental magic
                }
                out.insert(out.end(), cookie.begin(), cookie.end());
                break;
            }
        }
    }
    return out;
}

bool decode_options(const toro_test::Bytes& bytes, std::vector<TcpOption>* out, std::string* why) {
    out->clear();
    for (std::size_t at = 0; at < bytes.size();) {
        TcpOption option;
        std::uint8_t kind = bytes[at];
        if (kind == kOptionEol || kind == kOptionNop) {
            option.kind = kind == kOptionEol ? TcpOption::Kind::kEol : TcpOption::Kind::kNop;
            out->push_back(option);
            ++at;
            continue;
        }
        if (at + 1 >= bytes.size() || bytes[at + 1] < 2 || at + bytes[at + 1] > bytes.size()) {
            *why = "option " + std::to_string(kind) + " at byte " + std::to_string(at) +
                   " overruns the header";
            return false;
        }
        std::size_t length = bytes[at + 1];
        const std::size_t body = at + 2;
        switch (kind) {
            case kOptionMss:
                if (length != 4)
                    return *why = "MSS option of length " + std::to_string(length), false;
                option.kind = TcpOption::Kind::kMss;
                option.value = std::uint32_t{bytes[body]} << 8 | bytes[body + 1];
                break;
            case kOptionWindowScale:
                if (length != 3)
                    return *why = "window scale option of length " + std::to_string(length), false;
                option.kind = TcpOption::Kind::kWindowScale;
                option.value = bytes[body];
                break;
            case kOptionSackPermitted:
                if (length != 2)
                    return *why = "SACK-permitted option of length " + std::to_string(length),
                           false;
                option.kind = TcpOption::Kind::kSackPermitted;
                break;
            case kOptionSack:
                if ((length - 2) % 8 != 0 || length < 10) {
                    return *why = "SACK option of length " + std::to_string(length), false;
                }
                option.kind = TcpOption::Kind::kSack;
                for (std::size_t b = body; b < at + length; b += 8) {
                    option.sack_blocks.emplace_back(get32(bytes, b), get32(bytes, b + 4));
                }
                break;
            case kOptionTimestamp:
                if (length != 10)
                    return *why = "timestamp option of length " + std::to_string(length), false;
                option.kind = TcpOption::Kind::kTimestamp;
                option.timestamp_value = get32(bytes, body);
                option.timestamp_echo = get32(bytes, body + 4);
                break;
            case kOptionMd5:
                option.kind = TcpOption::Kind::kMd5;
                option.text = "valid";
                break;
            default:
                *why = "unknown option kind " + std::to_string(kind);
                return false;
        }
        out->push_back(std::move(option));
        at += length;
    }
    return true;
}

std::string describe_options(const std::vector<TcpOption>& options) {
    std::string text = "<";
    for (std::size_t i = 0; i < options.size(); ++i) {
        const TcpOption& option = options[i];
        if (i > 0) text += ",";
        switch (option.kind) {
            case TcpOption::Kind::kEol:
                text += "eol";
                break;
            case TcpOption::Kind::kNop:
                text += "nop";
                break;
            case TcpOption::Kind::kMss:
                text += "mss " + std::to_string(option.value);
                break;
            case TcpOption::Kind::kWindowScale:
                text += "wscale " + std::to_string(option.value);
                break;
            case TcpOption::Kind::kSackPermitted:
                text += "sackOK";
                break;
            case TcpOption::Kind::kSack:
                text += "sack";
                for (auto [left, right] : option.sack_blocks) {
                    text += " " + std::to_string(left) + ":" + std::to_string(right);
                }
                break;
            case TcpOption::Kind::kTimestamp:
                text += "TS val " + std::to_string(option.timestamp_value) + " ecr " +
                        std::to_string(option.timestamp_echo);
                break;
            case TcpOption::Kind::kMd5:
                text += "md5 " + option.text;
                break;
            case TcpOption::Kind::kFastOpen:
                text += "FO " + option.text;
                break;
            case TcpOption::Kind::kExperimental:
                text += "exp-FO " + option.text;
                break;
        }
    }
    return text + ">";
}

std::string describe_segment(const toro_test::Parsed& segment, std::uint32_t toro_isn,
                             std::uint32_t peer_isn, const TimestampMap& timestamps) {
    std::uint32_t start = segment.sequence - toro_isn;
    std::uint32_t length = static_cast<std::uint32_t>(segment.payload.size());
    std::string text = flag_letters(segment.tcp_flags) + " " + std::to_string(start) + ":" +
                       std::to_string(start + length) + "(" + std::to_string(length) + ")";
    if (segment.tcp_flags & kAck)
        text += " ack " + std::to_string(segment.acknowledgment - peer_isn);
    text += " win " + std::to_string(segment.window);
    std::vector<TcpOption> options;
    std::string why;
    if (!decode_options(segment.tcp_options, &options, &why)) return text + " <" + why + ">";
    for (TcpOption& option : options) {
        if (option.kind == TcpOption::Kind::kTimestamp && timestamps.known) {
            option.timestamp_value -= timestamps.offset;
        }
        if (option.kind == TcpOption::Kind::kSack) {
            for (auto& [left, right] : option.sack_blocks) left -= peer_isn, right -= peer_isn;
        }
    }
    if (!options.empty()) text += " " + describe_options(options);
    return text;
}

}  // namespace tcp_scripts
