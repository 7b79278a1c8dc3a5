// The world a script runs in (driver.cpp runs the events, syscalls.cpp
// answers the system calls): the stack at 192.168.0.1 on a memory NIC, the
// script's peer at 192.0.2.1 behind it, a virtual clock, and what the
// script's numbers are relative to (the two ISNs and the stack's TSvals).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "driver.h"
#include "hal_posix/memory_nic.h"
#include "net/stack.h"
#include "net_frames.h"
#include "segments.h"

namespace tcp_scripts {

// packetdrill's addresses and ports: the stack is 192.168.0.1, the peer
// 192.0.2.1; a bound socket listens on 8080, a connect goes to 8080.
inline constexpr std::uint16_t kScriptPort = 8080;
inline constexpr std::uint16_t kPeerEphemeralPort = 51234;
inline constexpr std::uint32_t kPeerIsn = 0x2C000000;  // any fixed number: runs repeat exactly

// What a system call answered: a value, or -1 and an errno name.
struct Outcome {
    std::int64_t value = 0;
    std::string error;
};

// A call that blocks (on a blocking socket, or `...` timing): tried again
// whenever the clock moves, until it answers.
struct PendingCall {
    const Event* event = nullptr;
    std::function<std::optional<Outcome>()> attempt;
    std::uint64_t expected_end_ns = 0;
};

struct ScriptSocket {
    int descriptor = -1;  // the stack's
    bool nonblocking = false;
    bool listener = false;
    bool connected = false;  // connect() was called
    std::size_t receive_buffer = 0, send_buffer = 0;
    unsigned keep_idle_s = 0, keep_interval_s = 0, keep_count = 0;
    unsigned keep_init_s = 0;     // TCP_KEEPINIT
    bool error_reported = false;  // SO_ERROR reads the error once
};

class Machine {
  public:
    Machine(const Script& script, const RunOptions& options);
    ~Machine();
    RunResult run();

  private:
    // driver.cpp: the clock, the wire, the events.
    void start_stack();
    bool run_event(const Event& event);
    std::uint64_t event_time_ns(const Timing& timing, bool end);
    void advance_to(std::uint64_t when);
    void settle();
    void drain_sent();
    bool wait_for_blocked_call();
    bool expect_outbound(const Event& event, std::uint64_t start, std::uint64_t end);
    bool match_segment(const Event& event, const toro_test::Parsed& segment, std::uint64_t sent_at,
                       std::uint64_t earliest, std::uint64_t latest, std::string* why);
    bool match_options(const TcpSegment& expected, const toro_test::Parsed& segment,
                       std::string* why);
    bool inject_packet(const Event& event);
    bool inject_icmp(const Event& event);
    void inject_frame(const toro_test::Bytes& frame);
    bool run_shell(const Event& event);
    bool run_code(const Event& event);
    bool fail(const Event& event, const std::string& why);
    std::string describe(const toro_test::Parsed& segment) const;
    std::uint16_t toro_port() const;
    std::uint16_t peer_port() const;

    // syscalls.cpp
    bool run_syscall(const Event& event);
    // The call's answer now, or (with `continuation` set) what to try
    // until it answers: the call blocks.
    Outcome call(const Event& event, std::function<std::optional<Outcome>()>* continuation);
    Outcome open_socket(const Syscall& call);
    Outcome fcntl(ScriptSocket& socket, const Syscall& call);
    Outcome set_option(ScriptSocket& socket, const Syscall& call);
    Outcome get_option(ScriptSocket& socket, const Syscall& call, std::string* mismatch);
    bool check_outcome(const Event& event, const Outcome& outcome, std::uint64_t returned_at,
                       std::uint64_t expected_at);
    ScriptSocket* socket_for(const Syscall& call);
    std::size_t connection_buffer(std::size_t size) const;

    const Script& script_;
    RunOptions options_;
    HostSettings settings_;
    RunResult result_;
    std::uint64_t tolerance_ns_ = 4'000'000;  // packetdrill's default, 4 ms
    bool syscalls_fatal_ = true;

    hal_posix::MemoryNic nic_;
    void* pool_memory_ = nullptr;
    class MallocBuffers;
    std::unique_ptr<MallocBuffers> buffers_;
    std::unique_ptr<toro::net::Stack> stack_;
    std::uint64_t start_ns_ = 0;  // script time 0
    std::uint64_t now_ns_ = 0;
    std::uint64_t next_deadline_ns_ = 0;
    std::uint64_t last_event_ns_ = 0;  // the script time `+` counts from

    struct SentSegment {
        std::uint64_t at_ns;
        toro_test::Parsed segment;
    };
    std::deque<SentSegment> sent_;
    std::string malformed_;  // the first frame the stack sent that did not parse

    std::uint32_t toro_isn_ = 0;  // 0 until the stack's SYN is seen: numbers are then absolute
    bool toro_isn_known_ = false;
    TimestampMap timestamps_;
    std::map<int, ScriptSocket> sockets_;  // by the script's descriptor
    int last_fd_ = -1;
    std::uint16_t connect_port_ = 0;  // the stack's port of the connection it opened
    std::optional<PendingCall> pending_;
};

}  // namespace tcp_scripts
