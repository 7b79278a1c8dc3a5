// The clock, the wire and the events. Time is virtual: the clock jumps to
// the script's next event, stopping at every deadline the stack gives on
// the way (its timers then fire at their exact time), so a retransmission
// due at 1.0 s is sent at 1.0 s however loaded the host is.
#include <cstdlib>
#include <cstring>

#include "hal_posix/machine.h"
#include "machine.h"

namespace tcp_scripts {

namespace {

using toro_test::Bytes;
using toro_test::Parsed;

const toro_test::Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
const toro_test::Mac kPeerMac{0x02, 0, 0, 0, 0, 0x02};
const std::uint32_t kToroIp = toro_test::ip("192.168.0.1");
const std::uint32_t kPeerIp = toro_test::ip("192.0.2.1");
const std::uint32_t kGatewayIp = toro_test::ip("192.168.0.2");
constexpr std::size_t kPoolBytes = 8 << 20;
constexpr std::uint64_t kUs = 1000, kMs = 1000 * kUs, kSecond = 1000 * kMs;
// How long a `*` line waits for its segment: longer than any backoff.
constexpr std::uint64_t kAnyTimeLimit = 600 * kSecond;

std::string seconds(std::uint64_t ns, std::uint64_t start) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6f s",
                  static_cast<double>(static_cast<std::int64_t>(ns - start)) / 1e9);
    return text;
}

// "FIN-WAIT-1" -> "FIN_WAIT_1", as tcp_info and sockstat spell states.
std::string state_word(toro::net::tcp::State state) {
    std::string word = toro::net::tcp::state_name(state);
    for (char& c : word) c = c == '-' ? '_' : c;
    return word;
}

bool is_padding(const TcpOption& option) {
    return option.kind == TcpOption::Kind::kNop || option.kind == TcpOption::Kind::kEol;
}

struct IcmpCode {
    const char* type_name;
    std::uint8_t type;
    const char* code_name;
    std::uint8_t code;
};
// RFC 792 and RFC 1812 §5.2.7.1's codes, as packetdrill names them.
constexpr IcmpCode kIcmpCodes[] = {
    {"unreachable", 3, "net_unreachable", 0},
    {"unreachable", 3, "host_unreachable", 1},
    {"unreachable", 3, "protocol_unreachable", 2},
    {"unreachable", 3, "port_unreachable", 3},
    {"unreachable", 3, "frag_needed", 4},
    {"unreachable", 3, "source_route_failed", 5},
    {"unreachable", 3, "net_unknown", 6},
    {"unreachable", 3, "host_unknown", 7},
    {"unreachable", 3, "source_host_isolated", 8},
    {"unreachable", 3, "net_prohibited", 9},
    {"unreachable", 3, "host_prohibited", 10},
    {"unreachable", 3, "net_unreachable_for_tos", 11},
    {"unreachable", 3, "host_unreachable_for_tos", 12},
    {"unreachable", 3, "packet_filtered", 13},
    {"unreachable", 3, "precedence_violation", 14},
    {"unreachable", 3, "precedence_cutoff", 15},
    {"source_quench", 4, "", 0},
    {"redirect", 5, "", 0},
    {"time_exceeded", 11, "ttl_exceeded_in_transit", 0},
    {"time_exceeded", 11, "frag_reass_exceeded", 1},
    {"parameter_problem", 12, "", 0},
};
constexpr const char* kIcmpTypes[][2] = {{"unreachable", "3"},        {"source_quench", "4"},
                                         {"redirect", "5"},           {"time_exceeded", "11"},
                                         {"parameter_problem", "12"}, {"echo_reply", "0"},
                                         {"echo_request", "8"}};

}  // namespace

class Machine::MallocBuffers final : public toro::net::BufferAllocator {
  public:
    void* allocate(std::size_t bytes) override { return std::malloc(bytes); }
    void release(void* memory, std::size_t) override { std::free(memory); }
};

Machine::Machine(const Script& script, const RunOptions& options)
    : script_(script),
      options_(options),
      settings_(options.defaults),
      nic_(kToroMac.data()),
      pool_memory_(std::aligned_alloc(4096, kPoolBytes)),
      buffers_(std::make_unique<MallocBuffers>()) {
    start_ns_ = now_ns_ = last_event_ns_ = 1000 * kSecond;
}

Machine::~Machine() {
    stack_.reset();  // gives its buffers back before the pool goes
    std::free(pool_memory_);
}

RunResult Machine::run() {
    for (const Option& option : script_.options) {
        if (option.name == "tolerance_usecs") {
            tolerance_ns_ = std::strtoull(option.value.c_str(), nullptr, 10) * kUs;
        } else if (option.name == "non_fatal") {
            if (option.value.find("syscall") != std::string::npos) syscalls_fatal_ = false;
        } else if (option.name == "tcp_ts_tick_usecs") {
            timestamps_.tick_ns = std::strtoull(option.value.c_str(), nullptr, 10) * kUs;
        } else if (option.name == "mtu") {
            nic_.set_max_frame_size(std::strtoull(option.value.c_str(), nullptr, 10) + 14);
        }
        // --ip_version=ipv4 is the only one there is here; the others
        // (--tcp_md5_secret, --udp_encapsulation) name features absent.
    }
    for (const Event& event : script_.events) {
        if (!run_event(event) || !result_.failure.empty()) break;
    }
    if (result_.failure.empty()) (void)wait_for_blocked_call();
    if (result_.failure.empty() && !malformed_.empty()) result_.failure = malformed_;
    result_.passed = result_.failure.empty();
    return result_;
}

bool Machine::fail(const Event& event, const std::string& why) {
    if (result_.failure.empty()) {
        result_.failure =
            "line " + std::to_string(event.at.line) + ": `" + event.source + "`: " + why;
    }
    return false;
}

void Machine::start_stack() {
    hal_posix::set_unbooted_random_seed(1);
    stack_ = std::make_unique<toro::net::Stack>();
    toro::net::StackLimits limits;
    limits.tcp_receive_buffer_bytes = connection_buffer(settings_.receive_space);
    limits.tcp_send_buffer_bytes = settings_.send_space;
    stack_->set_buffer_allocator(buffers_.get());
    toro::net::InterfaceConfig config{{kToroIp}, 24, {kGatewayIp}};
    stack_->initialize(&nic_, pool_memory_, kPoolBytes, config, limits, now_ns_);
    stack_->set_tcp_settings(settings_.tcp);
    settle();
}

std::uint64_t Machine::event_time_ns(const Timing& timing, bool end) {
    Timing::Kind kind = end ? timing.end_kind : timing.kind;
    std::uint64_t offset =
        static_cast<std::uint64_t>(end ? timing.end_microseconds : timing.microseconds) * kUs;
    switch (kind) {
        case Timing::Kind::kAny:
            return now_ns_;
        case Timing::Kind::kAbsolute:
            return start_ns_ + offset;
        case Timing::Kind::kRelative:
            break;
    }
    // An end counts from its own start; a start from the event before.
    return (end ? event_time_ns(timing, false) : last_event_ns_) + offset;
}

bool Machine::run_event(const Event& event) {
    std::uint64_t start = event_time_ns(event.timing, false);
    std::uint64_t end =
        event.timing.end == Timing::End::kNone ? start : event_time_ns(event.timing, true);
    if (event.kind == Event::Kind::kShell) {
        if (stack_) advance_to(start);
        last_event_ns_ = start;
        return run_shell(event);
    }
    if (!stack_) {
        now_ns_ = std::max(now_ns_, start);
        start_stack();
    }
    if (event.kind == Event::Kind::kPacket && !event.packet.inbound) {
        return expect_outbound(event, start, end);
    }
    advance_to(start);
    if (!result_.failure.empty()) return false;
    // One call at a time: this one waits for the one blocked.
    if (event.kind == Event::Kind::kSyscall && !wait_for_blocked_call()) return false;
    if (!sent_.empty()) {
        return fail(event, "the stack sent `" + describe(sent_.front().segment) + "` at " +
                               seconds(sent_.front().at_ns, start_ns_) +
                               ", which no line expects before this one");
    }
    // A line after a blocking call counts from the call's start, as
    // packetdrill's do: the segments it sends while it blocks come after
    // it (snd-syn-rtx-keepinit: `1.00...6.00 connect`, then `+0.00 > S`).
    last_event_ns_ = event.timing.kind == Timing::Kind::kAny ? now_ns_ : start;
    switch (event.kind) {
        case Event::Kind::kSyscall:
            return run_syscall(event);
        case Event::Kind::kPacket:
            return inject_packet(event);
        case Event::Kind::kCode:
            return run_code(event);
        case Event::Kind::kShell:
            break;
    }
    return true;
}

// Runs the clock until the blocked call returns, or fails it once the
// time its line gave (with the tolerance) has passed.
bool Machine::wait_for_blocked_call() {
    if (!pending_) return true;
    const Event& blocked = *pending_->event;
    std::uint64_t limit = pending_->expected_end_ns + tolerance_ns_;
    while (pending_ && result_.failure.empty()) {
        if (now_ns_ >= limit) {
            return fail(blocked, "the call had not returned by " + seconds(limit, start_ns_));
        }
        advance_to(std::min(next_deadline_ns_, limit));
    }
    return result_.failure.empty();
}

void Machine::settle() {
    next_deadline_ns_ = stack_->poll(now_ns_);
    drain_sent();
    if (pending_ && pending_->attempt) {
        // Taken out first: the attempt polls the stack, which may settle again.
        PendingCall call = std::move(*pending_);
        pending_.reset();
        std::optional<Outcome> outcome = call.attempt();
        if (outcome) {
            check_outcome(*call.event, *outcome, now_ns_, call.expected_end_ns);
        } else {
            pending_ = std::move(call);
        }
        next_deadline_ns_ = stack_->poll(now_ns_);
        drain_sent();
    }
}

void Machine::advance_to(std::uint64_t when) {
    if (when < now_ns_) when = now_ns_;
    unsigned same_time = 0;
    while (next_deadline_ns_ <= when && same_time < 1000) {
        if (next_deadline_ns_ <= now_ns_) {
            ++same_time;
        } else {
            now_ns_ = next_deadline_ns_;
            same_time = 0;
        }
        settle();
    }
    now_ns_ = when;
    settle();
}

void Machine::drain_sent() {
    hal_posix::Frame frame;
    while (nic_.take_sent(&frame)) {
        std::string why;
        std::optional<Parsed> parsed = toro_test::parse(frame, &why);
        if (!parsed) {
            if (malformed_.empty()) malformed_ = "the stack sent a malformed frame: " + why;
            continue;
        }
        if (parsed->ether_type == 0x0806) {
            // The peer (or its router) answers every ARP question.
            if (parsed->arp_operation == 1) {
                inject_frame(toro_test::ethernet(kToroMac, kPeerMac, 0x0806,
                                                 toro_test::arp(2, kPeerMac, parsed->arp_target_ip,
                                                                kToroMac, parsed->arp_sender_ip)));
            }
            continue;
        }
        if (parsed->ether_type == 0x0800 && parsed->protocol == 6)
            sent_.push_back({now_ns_, *parsed});
    }
}

void Machine::inject_frame(const Bytes& frame) {
    toro::net::Packet* packet = stack_->pool().acquire();
    if (packet == nullptr || frame.size() > toro::net::kPacketCapacity) {
        if (packet != nullptr) stack_->pool().release_chain(packet);
        return;
    }
    std::memcpy(packet->data, frame.data(), frame.size());
    packet->length = static_cast<std::uint16_t>(frame.size());
    stack_->input(packet, now_ns_);
}

std::uint16_t Machine::toro_port() const {
    return connect_port_ != 0 ? connect_port_ : kScriptPort;
}
std::uint16_t Machine::peer_port() const {
    return connect_port_ != 0 ? kScriptPort : kPeerEphemeralPort;
}

std::string Machine::describe(const Parsed& segment) const {
    // A SYN before the ISN is known is its own base: it reads as 0:0(0).
    bool own_base = (segment.tcp_flags & kSyn) != 0 && !toro_isn_known_;
    return describe_segment(segment, own_base ? segment.sequence : toro_isn_, kPeerIsn,
                            timestamps_);
}

// --- segments the stack must send --------------------------------------

bool Machine::expect_outbound(const Event& event, std::uint64_t start, std::uint64_t end) {
    if (event.packet.is_icmp)
        return fail(event, "ICMP messages from the stack are not checked here");
    std::uint64_t earliest = start >= tolerance_ns_ ? start - tolerance_ns_ : 0;
    std::uint64_t latest = end + tolerance_ns_;
    bool any_time = event.timing.kind == Timing::Kind::kAny;
    if (any_time) earliest = 0, latest = now_ns_ + kAnyTimeLimit;
    while (sent_.empty()) {
        if (!result_.failure.empty()) return false;
        if (now_ns_ >= latest) {
            return fail(event, "sent none by " + seconds(latest, start_ns_) + " (expected at " +
                                   seconds(start, start_ns_) + ")");
        }
        advance_to(std::min(next_deadline_ns_, latest));
    }
    SentSegment sent = sent_.front();
    sent_.pop_front();
    last_event_ns_ = any_time ? sent.at_ns : start;
    std::string why;
    if (!match_segment(event, sent.segment, sent.at_ns, earliest, latest, &why)) {
        return fail(event, "sent `" + describe(sent.segment) + "` at " +
                               seconds(sent.at_ns, start_ns_) + ": " + why);
    }
    return true;
}

bool Machine::match_segment(const Event& event, const Parsed& segment, std::uint64_t sent_at,
                            std::uint64_t earliest, std::uint64_t latest, std::string* why) {
    const TcpSegment& expected = event.packet.tcp;
    if (event.packet.udp_encapsulated)
        return *why = "TCP over UDP (RFC 8719) is not supported", false;
    std::uint8_t flags = flag_bits(expected.flags);
    // The stack's SYN gives its ISN: the script's numbers count from it.
    if ((segment.tcp_flags & kSyn) && (flags & kSyn) && !expected.any_sequence &&
        !expected.absolute_sequence) {
        toro_isn_ = segment.sequence - expected.start;
        toro_isn_known_ = true;
    }
    if (segment.tcp_flags != flags) return *why = "the flags differ", false;
    // `(ttl 4)`, `(tos 0x20)`: the IP header's, when the line gives them.
    if (event.packet.ttl && segment.time_to_live != *event.packet.ttl)
        return *why = "the TTL is " + std::to_string(segment.time_to_live), false;
    if (event.packet.tos && segment.type_of_service != *event.packet.tos)
        return *why = "the TOS is " + std::to_string(segment.type_of_service), false;
    // `[ect0]`: the ECN field; a line without one does not check it.
    int ecn = ecn_bits(event.packet.ecn), sent_ecn = segment.type_of_service & 3;
    bool ecn_differs = ecn == kEitherEct ? (sent_ecn != 1 && sent_ecn != 2) : (ecn >= 0 && sent_ecn != ecn);
    if (ecn_differs) return *why = "the ECN field is " + std::to_string(sent_ecn), false;
    if (!expected.any_sequence) {
        std::uint32_t sequence =
            expected.absolute_sequence ? expected.start : toro_isn_ + expected.start;
        if (segment.sequence != sequence) return *why = "the sequence number differs", false;
    }
    if (segment.payload.size() != expected.length)
        return *why = "the payload length differs", false;
    if (expected.ack && segment.acknowledgment != kPeerIsn + *expected.ack) {
        return *why = "the acknowledgment number differs", false;
    }
    if (expected.window && segment.window != *expected.window)
        return *why = "the window differs", false;
    if (!match_options(expected, segment, why)) return false;
    if (sent_at < earliest || sent_at > latest) {
        return *why = "outside the time expected (" + seconds(earliest, start_ns_) + " to " +
                      seconds(latest, start_ns_) + ")",
               false;
    }
    return true;
}

bool Machine::match_options(const TcpSegment& expected, const Parsed& segment, std::string* why) {
    std::vector<TcpOption> sent;
    if (!decode_options(segment.tcp_options, &sent, why)) return false;
    if (expected.any_options) return true;
    std::vector<TcpOption> wanted = expected.options;
    if (!options_.strict_padding) {
        std::erase_if(sent, is_padding);
        std::erase_if(wanted, is_padding);
    }
    if (sent.size() != wanted.size()) return *why = "the options differ", false;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        const TcpOption& actual = sent[i];
        const TcpOption& option = wanted[i];
        if (actual.kind != option.kind) return *why = "the options differ", false;
        switch (option.kind) {
            case TcpOption::Kind::kMss:
            case TcpOption::Kind::kWindowScale:
                if (actual.value != option.value) return *why = "the options differ", false;
                break;
            case TcpOption::Kind::kSack:
                if (actual.sack_blocks.size() != option.sack_blocks.size())
                    return *why = "the SACK blocks differ", false;
                for (std::size_t b = 0; b < option.sack_blocks.size(); ++b) {
                    if (actual.sack_blocks[b].first - kPeerIsn != option.sack_blocks[b].first ||
                        actual.sack_blocks[b].second - kPeerIsn != option.sack_blocks[b].second) {
                        return *why = "the SACK blocks differ", false;
                    }
                }
                break;
            case TcpOption::Kind::kTimestamp: {
                // The first TSval the stack sends fixes its offset from
                // the script's. As in packetdrill, later ones are held to
                // the script's only with --tcp_ts_tick_usecs (they must
                // have moved with the clock at that tick, within the
                // tolerance); without it, only never to go back (RFC 7323
                // §5.4), which no correct stack fails.
                if (!timestamps_.known) {
                    timestamps_.known = true;
                    timestamps_.offset = actual.timestamp_value - option.timestamp_value;
                    timestamps_.last = actual.timestamp_value;
                }
                if (static_cast<std::int32_t>(actual.timestamp_value - timestamps_.last) < 0)
                    return *why = "the TSval went back", false;
                timestamps_.last = actual.timestamp_value;
                if (timestamps_.tick_ns != 0) {
                    std::int64_t drift = static_cast<std::int32_t>(
                        actual.timestamp_value - timestamps_.offset - option.timestamp_value);
                    auto tick = static_cast<std::int64_t>(timestamps_.tick_ns);
                    if (std::llabs(drift) * tick > static_cast<std::int64_t>(tolerance_ns_) + tick) {
                        return *why = "the TSval differs", false;
                    }
                }
                if (actual.timestamp_echo != option.timestamp_echo)
                    return *why = "the TSecr differs", false;
                break;
            }
            default:
                break;
        }
    }
    return true;
}

// --- segments and messages the peer sends -------------------------------

bool Machine::inject_packet(const Event& event) {
    const Packet& packet = event.packet;
    if (packet.is_icmp) return inject_icmp(event);
    if (packet.udp_encapsulated) return fail(event, "TCP over UDP (RFC 8719) is not supported");
    const TcpSegment& segment = packet.tcp;
    toro_test::TcpFields fields;
    fields.source_port = peer_port();
    fields.destination_port = toro_port();
    fields.sequence = segment.absolute_sequence ? segment.start : kPeerIsn + segment.start;
    fields.acknowledgment = segment.ack ? toro_isn_ + *segment.ack : 0;
    fields.flags = flag_bits(segment.flags);
    fields.window = static_cast<std::uint16_t>(segment.window.value_or(65535));
    std::vector<TcpOption> options = segment.options;
    for (TcpOption& option : options) {
        for (auto& [left, right] : option.sack_blocks) left += toro_isn_, right += toro_isn_;
    }
    fields.options = encode_options(options, timestamps_);
    toro_test::IpFields ip;
    ip.source = kPeerIp;
    ip.destination = kToroIp;
    ip.protocol = 6;
    ip.ttl = static_cast<std::uint8_t>(packet.ttl.value_or(64));
    int ecn = ecn_bits(packet.ecn);
    if (ecn == kEitherEct) ecn = 2;
    ip.type_of_service = static_cast<std::uint8_t>((packet.tos.value_or(0) & 0xFC) | (ecn > 0 ? ecn : 0));
    Bytes payload = toro_test::pattern(segment.length, segment.start);
    inject_frame(toro_test::ethernet(
        kToroMac, kPeerMac, 0x0800,
        toro_test::ipv4(ip, toro_test::tcp(kPeerIp, kToroIp, fields, payload))));
    settle();
    return true;
}

bool Machine::inject_icmp(const Event& event) {
    const IcmpMessage& icmp = event.packet.icmp;
    int type = -1, code = -1;
    for (const IcmpCode& known : kIcmpCodes) {
        if (icmp.type == known.type_name && icmp.code == known.code_name)
            type = known.type, code = known.code;
    }
    if (type < 0) {
        for (const auto& known : kIcmpTypes) {
            if (icmp.type == known[0]) type = std::atoi(known[1]);
        }
        if (icmp.code.empty()) code = 0;
        if (icmp.code.rfind("code_", 0) == 0) code = std::atoi(icmp.code.c_str() + 5);
    }
    if (type < 0 || code < 0) return fail(event, "unknown ICMP type or code");
    // The datagram it quotes: the IP header and the first 8 bytes of a
    // segment the stack sent (RFC 792), its sequence number the script's.
    toro_test::TcpFields quoted_tcp;
    quoted_tcp.source_port = toro_port();
    quoted_tcp.destination_port = peer_port();
    quoted_tcp.sequence = toro_isn_ + icmp.start;
    quoted_tcp.acknowledgment = 0;
    toro_test::IpFields quoted_ip;
    quoted_ip.source = kToroIp;
    quoted_ip.destination = kPeerIp;
    quoted_ip.protocol = 6;
    Bytes quoted = toro_test::ipv4(quoted_ip, toro_test::tcp(kToroIp, kPeerIp, quoted_tcp,
                                                             toro_test::pattern(icmp.length, 0)));
    quoted.resize(28);
    Bytes message{
        static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), 0, 0, 0, 0, 0, 0};
    if (icmp.mtu) {
        message[6] = static_cast<std::uint8_t>(*icmp.mtu >> 8);
        message[7] = static_cast<std::uint8_t>(*icmp.mtu);
    }
    message.insert(message.end(), quoted.begin(), quoted.end());
    std::uint16_t sum = toro_test::checksum(message.data(), message.size());
    message[2] = static_cast<std::uint8_t>(sum >> 8);
    message[3] = static_cast<std::uint8_t>(sum);
    toro_test::IpFields ip;
    ip.source = kPeerIp;
    ip.destination = kToroIp;
    ip.protocol = 1;
    inject_frame(toro_test::ethernet(kToroMac, kPeerMac, 0x0800, toro_test::ipv4(ip, message)));
    settle();
    return true;
}

// --- commands and code --------------------------------------------------

bool Machine::run_shell(const Event& event) {
    CommandOutcome outcome = run_host_command(event.text, &settings_);
    switch (outcome.kind) {
        case CommandOutcome::Kind::kApplied:
            if (stack_) stack_->set_tcp_settings(settings_.tcp);
            break;
        case CommandOutcome::Kind::kUnsupported:
            result_.unsupported.push_back(outcome.reason);
            break;
        case CommandOutcome::Kind::kStateCheck: {
            if (!stack_) break;
            if (outcome.state == "SYN_RCVD")
                break;  // connections not yet accepted have no descriptor to ask
            std::size_t count = 0;
            if (outcome.state == "TIME_WAIT") {
                count = stack_->stats().tcp_time_wait;
            } else {
                for (const auto& [fd, socket] : sockets_) {
                    auto state = stack_->tcp_state(socket.descriptor);
                    if (!state.ok() || socket.listener) continue;
                    std::string name = state_word(*state);
                    if (name == "SYN_RECEIVED") name = "SYN_RCVD";
                    if (name == outcome.state) ++count;
                }
            }
            if (count != outcome.count) {
                return fail(event, std::to_string(count) + " connections are in " + outcome.state);
            }
            break;
        }
        case CommandOutcome::Kind::kAccepted:
        case CommandOutcome::Kind::kIgnored:
            break;
    }
    return true;
}

// `%{ assert tcpi_state == TCPI_NAME }%` about the last socket named; other
// Python (packetdrill runs it with tcp_info's fields) is not run.
bool Machine::run_code(const Event& event) {
    std::size_t at = event.text.find("tcpi_state");
    std::size_t name_at = event.text.find("TCPI_");
    if (at == std::string::npos || name_at == std::string::npos) return true;
    std::size_t name_end = name_at;
    while (name_end < event.text.size() &&
           (std::isalnum(static_cast<unsigned char>(event.text[name_end])) ||
            event.text[name_end] == '_')) {
        ++name_end;
    }
    std::string expected = event.text.substr(name_at + 5, name_end - name_at - 5);
    auto socket = sockets_.find(last_fd_);
    if (socket == sockets_.end()) return fail(event, "no socket to ask");
    std::string actual = "CLOSED";
    if (socket->second.listener) {
        actual = "LISTEN";
    } else if (auto state = stack_->tcp_state(socket->second.descriptor); state.ok()) {
        actual = state_word(*state);
    }
    if (actual != expected) return fail(event, "the state is " + actual);
    return true;
}

RunResult run_script(const Script& script, const RunOptions& options) {
    return Machine(script, options).run();
}

}  // namespace tcp_scripts
