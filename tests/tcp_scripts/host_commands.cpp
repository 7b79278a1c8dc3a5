#include "host_commands.h"

#include "net/stack.h"

#include <cstdlib>
#include <string_view>

namespace tcp_scripts {

namespace {

using toro::net::tcp::SynCookies;

using Kind = CommandOutcome::Kind;
constexpr std::uint64_t kMs = 1'000'000;

// A sysctl: applied to the settings, or accepted/ignored/unsupported with
// its reason. `accepted_value`, when not negative, is the one value that
// is what the stack always does; any other is unsupported.
struct SysctlRule {
    std::string_view name;
    void (*apply)(HostSettings& settings, std::uint64_t value);
    long accepted_value;
    std::string_view reason;
};

const SysctlRule kSysctls[] = {
    {"net.inet.tcp.rexmit_initial",
     [](HostSettings& s, std::uint64_t v) { s.tcp.initial_rto_ns = v * kMs; }, -1,
     "TcpSettings::initial_rto_ns (ms)"},
    {"net.inet.tcp.rexmit_min",
     [](HostSettings& s, std::uint64_t v) { s.tcp.min_rto_ns = v * kMs; }, -1,
     "TcpSettings::min_rto_ns (ms)"},
    {"net.inet.tcp.delacktime",
     [](HostSettings& s, std::uint64_t v) { s.tcp.delayed_ack_ns = v * kMs; }, -1,
     "TcpSettings::delayed_ack_ns (ms)"},
    {"net.inet.tcp.msl", [](HostSettings& s, std::uint64_t v) { s.tcp.time_wait_ns = 2 * v * kMs; },
     -1, "TcpSettings::time_wait_ns is 2 MSL (ms)"},
    {"net.inet.tcp.recvspace", [](HostSettings& s, std::uint64_t v) { s.receive_space = v; }, -1,
     "each socket's receive buffer (SO_RCVBUF)"},
    {"net.inet.tcp.sendspace", [](HostSettings& s, std::uint64_t v) { s.send_space = v; }, -1,
     "each socket's send buffer (SO_SNDBUF)"},
    {"net.inet.tcp.keepidle", [](HostSettings& s, std::uint64_t v) { s.keep_idle_ms = v; }, -1,
     "each socket's TCP_KEEPIDLE (ms)"},
    {"net.inet.tcp.keepintvl", [](HostSettings& s, std::uint64_t v) { s.keep_interval_ms = v; }, -1,
     "each socket's TCP_KEEPINTVL (ms)"},
    {"net.inet.tcp.keepcnt",
     [](HostSettings& s, std::uint64_t v) { s.keep_count = static_cast<unsigned>(v); }, -1,
     "each socket's TCP_KEEPCNT"},
    {"net.inet.tcp.rfc1323",
     [](HostSettings& s, std::uint64_t v) { s.tcp.window_scaling_and_timestamps = v != 0; }, -1,
     "TcpSettings::window_scaling_and_timestamps (RFC 7323)"},
    {"net.inet.tcp.sack.enable", [](HostSettings& s, std::uint64_t v) { s.tcp.sack = v != 0; }, -1,
     "TcpSettings::sack (RFC 2018)"},
    {"net.inet.tcp.insecure_rst",
     [](HostSettings& s, std::uint64_t v) { s.tcp.challenge_rst = v == 0; }, -1,
     "TcpSettings::challenge_rst off: RFC 793's RSTs, not RFC 5961 §3's"},
    {"net.inet.tcp.insecure_syn",
     [](HostSettings& s, std::uint64_t v) { s.tcp.challenge_syn = v == 0; }, -1,
     "TcpSettings::challenge_syn off: RFC 793's SYNs, not RFC 5961 §4's"},
    {"net.inet.tcp.blackhole", nullptr, 0, "closed ports are always answered with a RST"},
    // 0 off, 1 asked for and agreed, 2 (the default) agreed when a peer asks.
    {"net.inet.tcp.ecn.enable",
     [](HostSettings& s, std::uint64_t v) {
         using toro::net::tcp::EcnMode;
         s.tcp.ecn = v == 0 ? EcnMode::kOff : v == 1 ? EcnMode::kRequest : EcnMode::kAccept;
     },
     -1, "TcpSettings::ecn (RFC 3168)"},
    {"net.inet.tcp.ecn.maxretries",
     [](HostSettings& s, std::uint64_t v) { s.tcp.ecn_syn_retries = static_cast<unsigned>(v); }, -1,
     "TcpSettings::ecn_syn_retries: SYN retransmissions that still ask for ECN"},
    {"net.inet.tcp.hostcache.purgenow", nullptr, -1,
     "no host cache: nothing is remembered between connections"},
    // FreeBSD offers the least scale that lets a window reach sb_max:
    // 2097152 (its default) gives the suite's 6.
    {"kern.ipc.maxsockbuf",
     [](HostSettings& s, std::uint64_t v) {
         std::uint8_t scale = 0;
         while (scale < 14 && (std::uint64_t{0xFFFF} << scale) < v) ++scale;
         s.tcp.min_window_scale = scale;
     },
     -1, "TcpSettings::min_window_scale: the least scale whose window reaches it"},
    {"net.inet.tcp.rexmit_slop",
     [](HostSettings& s, std::uint64_t v) { s.tcp.rto_slop_ns = v * kMs; }, -1,
     "TcpSettings::rto_slop_ns (ms)"},
    {"net.inet.tcp.rexmit_drop_options",
     [](HostSettings& s, std::uint64_t v) { s.tcp.syn_plain_after_retries = v != 0 ? 3 : 0; }, -1,
     "TcpSettings::syn_plain_after_retries: 3 (FreeBSD's third retransmission) when on"},
    {"net.inet.tcp.keepinit", [](HostSettings& s, std::uint64_t v) { s.keep_init_ms = v; }, -1,
     "each socket's TCP_KEEPINIT (ms)"},
    {"net.inet.tcp.drop_synfin",
     [](HostSettings& s, std::uint64_t v) { s.tcp.drop_syn_fin = v != 0; }, -1,
     "TcpSettings::drop_syn_fin: SYNs with FIN dropped in LISTEN and SYN-SENT"},
    {"net.inet.tcp.icmp_may_rst",
     [](HostSettings& s, std::uint64_t v) { s.tcp.icmp_aborts_connect = v != 0; }, -1,
     "TcpSettings::icmp_aborts_connect: ICMP hard errors end a handshake"},
    {"net.inet.tcp.syncookies",
     [](HostSettings& s, std::uint64_t v) {
         s.tcp.syn_cookies = v == 0 ? SynCookies::kOff : SynCookies::kWhenFull;
     },
     -1, "TcpSettings::syn_cookies: 1 when the backlog is full"},
    {"net.inet.tcp.syncookies_only",
     [](HostSettings& s, std::uint64_t v) {
         if (v != 0) s.tcp.syn_cookies = SynCookies::kAlways;
         else if (s.tcp.syn_cookies == SynCookies::kAlways) s.tcp.syn_cookies = SynCookies::kWhenFull;
     },
     -1, "TcpSettings::syn_cookies: 1 for every SYN"},
    {"net.inet.tcp.udp_tunneling_port", nullptr, -1, "no TCP over UDP (RFC 8719's encapsulation)"},
    {"net.inet.tcp.udp_tunneling_overhead", nullptr, -1,
     "no TCP over UDP (RFC 8719's encapsulation)"},
    {"net.inet.tcp.tolerate_missing_ts", nullptr, -1,
     "segments without an agreed TSopt are accepted (RFC 7323 §3.2)"},
};

CommandOutcome sysctl(std::string_view assignment, HostSettings* settings) {
    std::size_t equals = assignment.find('=');
    if (equals == std::string_view::npos)
        return {Kind::kIgnored, "a sysctl read, not a setting", {}, 0};
    std::string_view name = assignment.substr(0, equals);
    std::string value_text(assignment.substr(equals + 1));
    char* end = nullptr;
    std::uint64_t value = std::strtoull(value_text.c_str(), &end, 10);
    bool numeric = end != value_text.c_str() && *end == '\0';
    for (const SysctlRule& rule : kSysctls) {
        if (rule.name != name) continue;
        std::string reason(rule.reason);
        if (rule.apply != nullptr && numeric) {
            rule.apply(*settings, value);
            return {Kind::kApplied, reason, {}, 0};
        }
        if (rule.accepted_value < 0) return {Kind::kIgnored, reason, {}, 0};
        if (numeric && value == static_cast<std::uint64_t>(rule.accepted_value)) {
            return {Kind::kAccepted, reason, {}, 0};
        }
        std::string why(name);
        why += "=";
        why += value_text;
        why += ": ";
        why += reason;
        return {Kind::kUnsupported, why, {}, 0};
    }
    return {Kind::kIgnored, "unknown sysctl " + std::string(name), {}, 0};
}

// `sockstat ... | grep -c STATE | grep N`: N connections in STATE.
CommandOutcome sockstat(const std::string& command) {
    std::size_t count_at = command.find("grep -c ");
    std::size_t expect_at = command.rfind("grep ");
    if (count_at == std::string::npos || expect_at == count_at) {
        return {Kind::kIgnored, "a sockstat listing that checks nothing", {}, 0};
    }
    std::size_t state_start = count_at + 8;
    std::size_t state_end = command.find_first_of(" |", state_start);
    CommandOutcome outcome{
        Kind::kStateCheck, {}, command.substr(state_start, state_end - state_start), 0};
    outcome.count =
        static_cast<unsigned>(std::strtoul(command.c_str() + expect_at + 5, nullptr, 10));
    return outcome;
}

}  // namespace

HostSettings toro_defaults() {
    HostSettings settings;
    toro::net::StackLimits limits;
    settings.receive_space = limits.tcp_receive_buffer_bytes;
    settings.send_space = limits.tcp_send_buffer_bytes;
    toro::net::tcp::KeepaliveSettings keepalive;
    settings.keep_idle_ms = keepalive.idle_ns / kMs;
    settings.keep_interval_ms = keepalive.interval_ns / kMs;
    settings.keep_count = keepalive.probes;
    return settings;
}

HostSettings freebsd_defaults() {
    HostSettings settings;
    settings.round_receive_buffer_to_mss = true;
    settings.tcp.mss = 1460;
    settings.tcp.min_window_scale = 6;
    settings.tcp.syn_option_layout = toro::net::tcp::SynOptionLayout::kBsd;
    settings.tcp.initial_rto_ns = 1000 * kMs;  // net.inet.tcp.rexmit_initial
    settings.tcp.min_rto_ns = 30 * kMs;        // net.inet.tcp.rexmit_min
    settings.tcp.rto_slop_ns = 200 * kMs;      // net.inet.tcp.rexmit_slop
    settings.tcp.ecn = toro::net::tcp::EcnMode::kAccept;  // net.inet.tcp.ecn.enable=2
    settings.tcp.ecn_syn_retries = 1;          // net.inet.tcp.ecn.maxretries
    settings.tcp.delayed_ack_ns = 40 * kMs;    // net.inet.tcp.delacktime
    settings.tcp.time_wait_ns = 60'000 * kMs;  // 2 x net.inet.tcp.msl
    settings.keep_init_ms = 75'000;            // net.inet.tcp.keepinit
    settings.tcp.syn_retries = 10;             // 11 SYNs, as snd-syn-rtx-max-number counts them
    settings.tcp.drop_syn_fin = false;         // net.inet.tcp.drop_synfin
    settings.tcp.time_wait_ignores_rst = true;  // tcp_twcheck drops every RST
    // FreeBSD's rules where RFC 9293 says otherwise (TcpSettings explains
    // each): the suite's scripts check them around what they test.
    settings.tcp.window_is_buffer_space = true;
    settings.tcp.window_rounded_up = true;
    settings.tcp.fin_on_every_segment = true;
    settings.tcp.reset_reported_after_fin = true;
    settings.tcp.old_segments_acknowledge = true;
    settings.tcp.time_wait_drops_without_ack = true;
    settings.tcp.listener_drops_syn_ack = true;
    settings.tcp.time_exceeded_aborts_connect = true;
    return settings;
}

CommandOutcome run_host_command(const std::string& command, HostSettings* settings) {
    std::size_t start = command.find_first_not_of(" \t\n");
    if (start == std::string::npos) return {Kind::kIgnored, "an empty command", {}, 0};
    std::string_view text(command);
    text.remove_prefix(start);
    if (text.substr(0, 10) == "sysctl -w ") {
        std::string_view assignment = text.substr(10);
        std::size_t end = assignment.find_first_of(" \t\n;|");
        return sysctl(assignment.substr(0, end), settings);
    }
    if (text.substr(0, 9) == "sockstat ") return sockstat(command);
    if (text.substr(0, 8) == "tcpdrop ") {
        return {Kind::kIgnored,
                "tcpdrop: the stack has no call that drops a connection by state",
                {},
                0};
    }
    if (text.substr(0, 8) == "kldstat " || text.substr(0, 7) == "setkey ") {
        return {Kind::kIgnored,
                "FreeBSD's kernel modules and IPsec keys (TCP-MD5): no counterpart",
                {},
                0};
    }
    return {Kind::kIgnored, "a shell command: nothing here runs a shell", {}, 0};
}

}  // namespace tcp_scripts
