// What a script's backquoted commands mean here. The FreeBSD suite sets
// sysctls (`sysctl -w net.inet.tcp.NAME=VALUE`) and asks sockstat for the
// states of connections; there is no shell, so each command is looked up
// in one table (host_commands.cpp): a sysctl that has a counterpart in the
// stack's settings sets it, one whose value is the behaviour the stack
// always has is accepted, and the rest are ignored with their reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/tcp/connection.h"

namespace tcp_scripts {

// What a run fixes before its first socket: FreeBSD's defaults, which the
// suite's windows and options assume, changed by the script's sysctls.
struct HostSettings {
    toro::net::tcp::TcpSettings tcp;
    std::size_t receive_space = 65536;  // net.inet.tcp.recvspace
    std::size_t send_space = 32768;     // net.inet.tcp.sendspace
    std::uint64_t keep_idle_ms = 7200000,
                  keep_interval_ms = 75000;  // net.inet.tcp.keepidle, keepintvl
    unsigned keep_count = 8;                 // net.inet.tcp.keepcnt
    std::uint64_t keep_init_ms = 0;          // net.inet.tcp.keepinit (0: no bound)
    // FreeBSD rounds a connection's receive buffer up to a multiple of
    // the MSS (see Machine::connection_buffer).
    bool round_receive_buffer_to_mss = false;
};

// FreeBSD's (`--defaults freebsd`): receive space 65536, window scale 6,
// MSS 1460, SACK and timestamps on, an initial RTO of 1 s.
HostSettings freebsd_defaults();
// The stack's own (`--defaults toro`): TcpSettings{} and StackLimits{}, for
// scripts written for it.
HostSettings toro_defaults();

struct CommandOutcome {
    enum class Kind : std::uint8_t {
        kApplied,      // a setting of the stack changed
        kAccepted,     // it asks for what the stack always does
        kIgnored,      // no counterpart here; `reason` says why that is harmless or not
        kUnsupported,  // it asks for a behaviour the stack does not have
        kStateCheck,   // sockstat: `state` connections must number `count`
    };
    Kind kind = Kind::kIgnored;
    std::string reason;
    std::string state;  // TIME_WAIT, SYN_RCVD, CLOSED, ... as sockstat names them
    unsigned count = 0;
};

// Interprets one backquoted command, changing `settings` for a sysctl it maps.
CommandOutcome run_host_command(const std::string& command, HostSettings* settings);

}  // namespace tcp_scripts
