// One TCP connection (RFC 9293): a state machine that is handed each
// segment and the time, and hands back the segments to send and its next
// deadline. It never reads a clock, never allocates (its buffers are
// given to it), and never touches a device: the stack around it finds the
// connection a segment belongs to, and puts IP and TCP headers around what
// it sends. So a test drives it on a virtual clock, and a fuzz input runs
// in microseconds.
//
// Where each part lives: input.cpp is RFC 9293 §3.10.7 "SEGMENT ARRIVES",
// step by step; output.cpp decides what to send (data, FIN, ACK, window
// updates, probes); timers.cpp the retransmission timer (RFC 6298), the
// delayed ACK, the persist timer and TIME-WAIT; keepalive.cpp the
// keepalive timer (RFC 1122 §4.2.3.6); timestamps.cpp RFC 7323's
// timestamps (PAWS, TS.Recent, RTT from echoes); sack.cpp RFC 2018's
// selective acknowledgments, both ways; congestion.cpp NewReno
// (RFC 5681, RFC 6582); ecn.cpp Explicit Congestion Notification (RFC
// 3168); connection.cpp opening, the user's calls and closing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/clock.h"
#include "hal/devices.h"
#include "net/tcp/byte_ring.h"
#include "net/tcp/tcp_wire.h"
#include "toro/error.h"
#include "toro/net.h"

namespace toro::net {
struct Packet;
}

namespace toro::net::tcp {

enum class State : std::uint8_t {
    kClosed,
    kSynSent,
    kSynReceived,
    kEstablished,
    kFinWait1,
    kFinWait2,
    kCloseWait,
    kClosing,
    kLastAck,
    kTimeWait,
};
const char* state_name(State state);

// A received segment, its header read and its checksum checked. The
// payload stays in the packets it came in.
struct InSegment {
    std::uint32_t sequence = 0;
    std::uint32_t acknowledgment = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // as on the wire, unscaled
    TcpOptions options;
    const Packet* payload = nullptr;  // the datagram's chain
    std::size_t payload_skip = 0;     // bytes of the chain before the payload
    std::size_t payload_length = 0;
    std::uint8_t ecn = 0;  // the IP header's ECN field (kEcnNotEct ... kEcnCe)
};

// A segment to send: the stack adds the headers and the checksum.
struct OutSegment {
    std::uint32_t sequence = 0;
    std::uint32_t acknowledgment = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // as on the wire, scaled
    std::uint8_t options[kMaxOptions];
    std::size_t options_length = 0;
    hal::FramePiece payload[2];  // bytes of the send buffer
    std::size_t payload_count = 0;
    std::size_t payload_length = 0;
    // When the payload is longer: the bytes of each segment it is cut
    // into (TSO), the MSS less the options.
    std::size_t segment_bytes = 0;
    std::uint8_t ecn = 0;  // for the IP header: kEcnEct0 on new data when ECN is agreed
};

class Connection;

// A timer's deadline: `now` plus `ns`, saturated; 0 means "not armed",
// and no deadline computed here is 0.
inline std::uint64_t hal_deadline(std::uint64_t now, std::uint64_t ns) {
    std::uint64_t deadline = hal::saturating_deadline(now, ns);
    return deadline == 0 ? 1 : deadline;
}

// The stack a connection lives in.
class ConnectionOwner {
public:
    virtual void send_segment(Connection& connection, const OutSegment& segment) = 0;
    // Something a waiting thread may care about changed: data or space
    // arrived, the state moved, an error was set.
    virtual void connection_changed(Connection& connection) = 0;
    // Something worth counting in net_stats() happened.
    enum class Counter : std::uint8_t { kKeepaliveTimeout, kPawsDrop, kRetriesExhausted };
    virtual void count(Counter counter) = 0;
    // RFC 5961 §7: may a challenge ACK go out now? The stack's budget,
    // shared by all its connections.
    virtual bool challenge_ack_allowed(std::uint64_t now) = 0;

protected:
    ~ConnectionOwner() = default;
};

// The window scale a connection with a receive buffer of `receive_bytes`
// offers: the least that lets the whole buffer be offered, at least the
// settings' min_window_scale (RFC 7323 §2.3).
std::uint8_t offered_window_scale(std::uint8_t min_window_scale, std::size_t receive_bytes);

// RFC 3168 §6.1.1: whether our SYNs ask for ECN (ECE and CWR set) and
// whether a peer's asking is agreed to (a SYN-ACK with ECE).
enum class EcnMode : std::uint8_t {
    kOff,      // never asked, never agreed
    kAccept,   // agreed when the peer asks (Linux's and FreeBSD's default)
    kRequest,  // asked in our SYNs, and agreed
};

// RFC 4987 §3.6: when a listener answers a SYN with a cookie, keeping no
// state until the ACK brings it back.
enum class SynCookies : std::uint8_t {
    kOff,       // never: a full backlog gives up its oldest half-open connection
    kWhenFull,  // when the backlog, the socket table or TCP memory is full
    kAlways,    // for every SYN (tests; FreeBSD's syncookies_only)
};

// Timing and sizes, fixed per stack (StackLimits holds the settable ones).
struct TcpSettings {
    std::uint64_t initial_rto_ns = 1'000'000'000;     // RFC 6298 §2.1
    std::uint64_t min_rto_ns = 200'000'000;           // Linux's; RFC 6298 says 1 s (§2.4)
    std::uint64_t max_rto_ns = 60'000'000'000;        // RFC 6298 §2.5 allows a ceiling of 60 s or more
    // Added to every RTO but the first SYN's, after the backoff and before
    // the ceiling (FreeBSD's net.inet.tcp.rexmit_slop, 200 ms there): room
    // for a peer's delayed ACK when min_rto_ns is small. 0: RFC 6298's RTO.
    std::uint64_t rto_slop_ns = 0;
    std::uint64_t delayed_ack_ns = 40'000'000;        // RFC 5681 §4.2: under 500 ms
    std::uint64_t time_wait_ns = 60'000'000'000;      // 2 MSL with MSL 30 s
    std::uint64_t fin_wait2_ns = 60'000'000'000;      // an orphaned FIN-WAIT-2 is given up after this
    unsigned syn_retries = 6;                         // then kTimedOut (about 127 s at 1 s doubling)
    unsigned data_retries = 12;
    // Answers to invalid segments holding no sequence space, at most one
    // per this (Linux's tcp_invalid_ratelimit): see answer_invalid.
    std::uint64_t invalid_answer_ns = 500'000'000;
    std::uint16_t mss = 1460;                         // what we announce: the route's MTU less 40
    // Segmentation offload (TSO): the most payload one segment handed
    // down may carry, cut into segments of the MSS below; capped at what
    // the device cuts (0 when it cuts nothing). 0: one MSS a segment.
    std::size_t offload_payload = 65535;
    // The least window scale offered (RFC 7323 §2.3 lets any up to 14 be
    // offered); 0: the smallest that lets the whole buffer be offered.
    // FreeBSD offers 6 whatever the buffer, and its test suite expects it.
    std::uint8_t min_window_scale = 0;
    // Where a SYN's options go (write_syn_options): Linux's layout, or
    // BSD's, which FreeBSD's test suite checks option by option.
    SynOptionLayout syn_option_layout = SynOptionLayout::kLinux;
    // RFC 5461 §4.1: an ICMP hard error for our SYN ends the handshake.
    // Off, ICMP errors are never acted on (FreeBSD's icmp_may_rst=0).
    bool icmp_aborts_connect = true;
    // And so does Time Exceeded in transit (kHostUnreachable), as in
    // FreeBSD's tcp_ctlinput; RFC 1122 §4.2.3.9 makes it a soft error (a
    // routing loop may be transient), which ends nothing. Off by default.
    bool time_exceeded_aborts_connect = false;
    // What SYNs offer and agree to: window scaling with timestamps (RFC
    // 7323; FreeBSD's rfc1323 switch turns both off) and SACK (RFC 2018).
    bool window_scaling_and_timestamps = true;
    bool sack = true;
    // From this retransmission of our SYN on, it offers the MSS alone:
    // for a path whose middlebox drops SYNs carrying options it does not
    // know (FreeBSD's net.inet.tcp.rexmit_drop_options, which is 3). 0:
    // every SYN offers what the settings allow.
    unsigned syn_plain_after_retries = 0;
    EcnMode ecn = EcnMode::kAccept;
    // The retransmissions of our SYN that still ask for ECN (RFC 3168
    // §6.1.1.1: a SYN lost to a middlebox that drops ECN-setup SYNs is
    // sent again without; FreeBSD's net.inet.tcp.ecn.maxretries).
    unsigned ecn_syn_retries = 1;
    SynCookies syn_cookies = SynCookies::kWhenFull;
    // RFC 5961's defences against blind injection: a RST (§3.2) or SYN
    // (§4.2) inside the window but not exactly at RCV.NXT gets a challenge
    // ACK. Off, RFC 793's rules return (FreeBSD's insecure_rst and
    // insecure_syn): any RST in the window resets the connection, and a SYN
    // in the window is answered with a RST and resets it.
    bool challenge_rst = true;
    bool challenge_syn = true;
    // A SYN that also carries FIN is dropped in LISTEN and SYN-SENT, by
    // policy (FreeBSD's net.inet.tcp.drop_synfin): no stack sends one, and
    // scanners use them to fingerprint. Off, RFC 9293 handles it.
    bool drop_syn_fin = false;
    // RFC 1337 §3 (TIME-WAIT assassination): a RST in TIME-WAIT is
    // ignored, so an old duplicate cannot end the 2 MSL early (FreeBSD
    // always, Linux's tcp_rfc1337). Off, RFC 9293 §3.10.7.4 closes.
    bool time_wait_ignores_rst = false;
    // The rest are FreeBSD's own rules where they differ from RFC 9293's;
    // the stack keeps the RFC's by default, and tests/tcp_scripts' freebsd
    // profile turns them on, so that the suite checks what it was written
    // to check around them.
    //
    // The window a segment must fall in (step 1) is the receive buffer's
    // free space when that is more than the 16-bit (or scaled) field
    // could advertise, as FreeBSD's rcv_wnd is; off, the window advertised.
    bool window_is_buffer_space = false;
    // A scaled window is rounded up to the scale's unit (FreeBSD's
    // tcp_output, so that rounding never shrinks it), a few bytes past
    // the buffer; off, down to what the buffer holds (up only where less
    // would shrink the window, RFC 7323 §2.4).
    bool window_rounded_up = false;
    // While our FIN is sent and unacknowledged, every segment we send
    // carries it again at its own sequence number (BSD's tcp_output: an
    // ACK in FIN-WAIT-1 or CLOSING is F.). Off, ACKs go at SND.NXT.
    bool fin_on_every_segment = false;
    // A RST in CLOSING or LAST-ACK tells the user the connection was reset
    // (ECONNRESET, as FreeBSD's tcp_drop does); RFC 9293 just closes.
    bool reset_reported_after_fin = false;
    // A segment wholly before RCV.NXT (a duplicate) is still acknowledged,
    // but its ACK field is processed too (FreeBSD trims it to nothing and
    // goes on to step 5); RFC 9293 drops it after the acknowledgment.
    bool old_segments_acknowledge = false;
    // In TIME-WAIT a segment without ACK (nor RST or SYN) is dropped unanswered
    // before any other check (FreeBSD's tcp_twcheck); RFC 9293 answers one
    // outside the window (step 1) before it drops it (step 5).
    bool time_wait_drops_without_ack = false;
    // A SYN-ACK arriving at a listener is dropped unanswered (FreeBSD's
    // "SYN|ACK invalid"); RFC 9293 §3.10.7.2 answers any ACK in LISTEN
    // with a RST, which is also what ends a handshake someone started in
    // our name.
    bool listener_drops_syn_ack = false;
};

// SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT, as
// Linux defaults them: after two hours without a segment from the peer
// (RFC 1122 §4.2.3.6: no less by default), a probe every 75 s, and the
// connection given up (kTimedOut) when 9 went unanswered.
struct KeepaliveSettings {
    bool enabled = false;
    std::uint64_t idle_ns = 7200'000'000'000;
    std::uint64_t interval_ns = 75'000'000'000;
    unsigned probes = 9;
};

class Connection {
public:
    Connection() = default;

    // Prepares a connection between the endpoints, buffers and all; it
    // stays closed until connect() or accept_syn(). `timestamp_offset`
    // (random, from the stack) is added to the clock in the TSvals sent,
    // so they tell nothing of the machine's uptime (RFC 7323 §7.1).
    void initialize(ConnectionOwner* owner, const TcpSettings* settings, Endpoint local,
                    Endpoint remote, std::uint32_t initial_sequence,
                    std::uint32_t timestamp_offset);
    void attach_buffers(std::uint8_t* send, std::size_t send_bytes, std::uint8_t* receive,
                        std::size_t receive_bytes);
    // TIME-WAIT with no user left: nothing more is sent, delivered or
    // read, so the stack takes the buffers back (a TIME-WAIT then holds
    // only its slot). The window offered stays what was promised.
    void detach_buffers();

    // Active open: sends a SYN (SYN-SENT).
    void connect(std::uint64_t now);
    // Passive open: a listener got `syn`; answers with a SYN-ACK (SYN-RECEIVED).
    void accept_syn(const InSegment& syn, std::uint64_t now);
    // A SYN cookie came back (Stack::tcp_accept_cookie): SYN-RECEIVED as
    // accept_syn would have left it, with `syn` the options the cookie
    // kept (ISS the cookie, given to initialize) and `ecn` whether the
    // SYN-ACK agreed to ECN; then `ack` is taken as the handshake's third
    // segment.
    void accept_cookie(const TcpOptions& syn, bool ecn, const InSegment& ack, std::uint64_t now);

    // A segment for this connection (after the stack checked its checksum).
    void input(const InSegment& segment, std::uint64_t now);
    // An ICMP hard error (RFC 1122 §4.2.3.9) quoting a segment of ours
    // that started at `sequence`: a handshake in SYN-SENT is given up with
    // `error`; a synchronized connection goes on (RFC 5461 §4).
    void icmp_hard_error(Error error, std::uint32_t sequence);
    // Runs what is due; returns the next deadline (kNoDeadline if none).
    std::uint64_t poll(std::uint64_t now);
    std::uint64_t next_deadline() const;

    // The user's calls. send copies what fits into the send buffer and
    // returns how much (kWouldBlock when none fits, kBrokenPipe after
    // shutdown or a FIN sent, the connection's error once it has one).
    Result<std::size_t> send(const std::uint8_t* bytes, std::size_t length, std::uint64_t now);
    // 0 at the end of the stream; kWouldBlock when nothing is there yet.
    Result<std::size_t> receive(std::uint8_t* out, std::size_t capacity, std::uint64_t now);
    // No more sends: a FIN follows the data (shutdown(SHUT_WR), close()).
    void shutdown_send(std::uint64_t now);
    // Sends a RST (if synchronized) and closes at once.
    void abort();
    // The user closed the socket: nobody reads, so a FIN-WAIT-2 that
    // hears no FIN is given up after settings' fin_wait2_ns.
    void orphan(std::uint64_t now);
    bool orphaned() const { return orphaned_; }
    void set_no_delay(bool no_delay) { no_delay_ = no_delay; }
    // TCP_NOOPT, before connect() or accept_syn(): our SYN carries no
    // options, so none is agreed (no window scaling, timestamps or SACK,
    // RFC 7323 §2.2, §3.2, RFC 2018 §2) and the peer sends us 536-byte
    // segments (RFC 9293 §3.7.1); the peer's MSS still bounds ours.
    void set_no_options(bool no_options) { no_options_ = no_options; }
    // Takes effect at once: the idle time counts from `now` (and from each
    // segment the peer sends after).
    void set_keepalive(const KeepaliveSettings& keepalive, std::uint64_t now);
    // TCP_KEEPINIT: a handshake not done `ns` after connect() or
    // accept_syn() (or after `now`, if one is running) is given up with
    // kTimedOut, whatever syn_retries would still allow; 0: no bound.
    void set_handshake_limit(std::uint64_t ns, std::uint64_t now);

    State state() const { return state_; }
    Endpoint local() const { return local_; }
    Endpoint remote() const { return remote_; }
    Error error() const { return error_; }
    bool passive() const { return passive_; }
    // kReadable: data, the end of stream or an error; kWritable: space
    // (once established), or an error.
    unsigned readiness() const;
    std::size_t buffered_bytes() const { return send_.length() + receive_.length(); }
    std::size_t unread_bytes() const { return receive_.length(); }
    std::uint8_t* send_memory() const { return send_.memory(); }
    std::uint8_t* receive_memory() const { return receive_.memory(); }
    // For tests and reports.
    std::uint32_t congestion_window() const { return cwnd_; }
    std::uint64_t rto_ns() const { return rto_ns_; }
    std::uint32_t send_window() const { return snd_wnd_; }
    std::uint32_t receive_next() const { return rcv_nxt_; }
    unsigned duplicate_acks() const { return duplicate_acks_; }
    bool timestamps() const { return timestamps_; }
    bool sack_permitted() const { return sack_permitted_; }
    bool ecn() const { return ecn_; }
    std::uint16_t send_mss() const { return send_mss_; }

private:
    // connection.cpp
    void enter(State state);
    void close_with(Error error);  // to CLOSED, remembering why
    void take_syn_options(const TcpOptions& options);

    // ecn.cpp
    std::uint8_t ecn_syn_flags();
    void ecn_take_syn(const InSegment& syn, bool answers_ours);
    void ecn_input(const InSegment& segment);
    void ecn_on_echo(const InSegment& segment);
    void ecn_mark_new_data(OutSegment& segment);

    // input.cpp
    void input_syn_sent(const InSegment& segment, std::uint64_t now);
    void hold_syn_text(const InSegment& syn);
    void take_syn_text(std::uint64_t now);
    bool acceptable(const InSegment& segment) const;
    bool old_duplicate(const InSegment& segment) const;
    void input_old_duplicate(const InSegment& segment, std::uint64_t now);
    bool input_rst(const InSegment& segment);
    void input_syn(const InSegment& segment);
    void answer_invalid(const InSegment& segment);
    // An answer to a segment holding no sequence space, within
    // invalid_answer_ns of the last one: not sent.
    bool answer_held_back(const InSegment& segment) const;
    void challenge(const InSegment& segment);
    bool input_ack(const InSegment& segment, std::uint64_t now);
    void input_text(const InSegment& segment, std::uint32_t sequence, std::size_t skip,
                    std::size_t length, std::uint64_t now);
    void input_fin(std::uint64_t now);
    bool hold_range(std::uint32_t first, std::uint32_t end);
    void take_held_ranges();
    void update_window(const InSegment& segment);
    void acknowledge(const InSegment& segment, std::uint64_t now);

    // output.cpp
    void output(std::uint64_t now);
    // `force`: what the windows allow even if SWS avoidance or Nagle would
    // wait (the override timeout).
    bool send_data_segment(std::uint64_t now, bool force);
    void send_control(std::uint8_t flags, std::uint32_t sequence);
    // The ACK number (if the segment has ACK set) and the options of a
    // segment after the handshake.
    void finish_segment(OutSegment& segment);
    std::size_t offloaded_length(std::size_t mss, std::size_t available, std::size_t usable) const;
    // A segment without data carries SND.MAX, not SND.NXT: while earlier
    // data is being sent again, the peer may already hold what lies past
    // SND.NXT, and would drop an ACK numbered inside it (FreeBSD does the same).
    void send_ack() { send_control(kAck, snd_max_); }
    // A RST carries SND.MAX too: after a timeout SND.NXT is back at
    // SND.UNA, which may lie below what the peer received (its ACKs were
    // what was lost), and the peer drops a RST outside its window
    // (RFC 5961 §3.2).
    void send_reset() { send_control(kRst | kAck, snd_max_); }
    void send_syn();
    void retransmit_first(std::uint64_t now);
    std::uint16_t window_to_advertise();
    std::size_t unsent_bytes() const;
    std::uint32_t flight_size() const { return snd_nxt_ - snd_una_; }

    // timers.cpp
    void rtt_sample(std::uint64_t rtt_ns);
    void end_handshake_timing(std::uint64_t now);
    void arm_retransmit(std::uint64_t now);
    std::uint64_t retransmission_timeout() const;
    void on_retransmit_timeout(std::uint64_t now);
    void on_persist_timeout(std::uint64_t now);
    void schedule_ack(std::uint64_t now, bool full_segment);

    // timestamps.cpp
    std::uint32_t timestamp_now() const;
    bool paws_rejects(const InSegment& segment) const;
    void take_timestamp(const InSegment& segment);
    bool rtt_from_echo(const InSegment& segment);

    // sack.cpp
    std::size_t sack_option_length() const;
    std::size_t write_sack_option(std::uint8_t* out) const;
    bool take_sack_blocks(const InSegment& segment);
    std::uint64_t sacked_bytes() const;
    void add_sacked(std::uint32_t first, std::uint32_t end);
    void prune_sacked();
    std::uint32_t past_sacked(std::uint32_t sequence) const;
    std::uint32_t next_sacked(std::uint32_t sequence, std::uint32_t limit) const;

    // keepalive.cpp
    void heard_from_peer(std::uint64_t now);
    void on_keepalive_timeout(std::uint64_t now);

    // congestion.cpp
    void congestion_on_ack(std::uint32_t acked, std::uint64_t now);
    void congestion_on_duplicate_ack(std::uint64_t now);
    std::uint32_t limited_transmit_allowance() const;
    void congestion_on_timeout();

    ConnectionOwner* owner_ = nullptr;
    const TcpSettings* settings_ = nullptr;
    // The time of the call in progress (every entry point is handed it),
    // for what needs it deep inside: the TSval of each segment sent.
    std::uint64_t now_ = 0;
    Endpoint local_, remote_;
    State state_ = State::kClosed;
    Error error_ = Error::kOk;
    bool passive_ = false;
    bool orphaned_ = false;
    bool no_delay_ = false;       // TCP_NODELAY: no Nagle
    bool no_options_ = false;     // TCP_NOOPT: SYNs without options
    bool syn_mss_only_ = false;   // syn_plain_after_retries: our SYN offers the MSS alone
    // RFC 3168: asked for in our last SYN; agreed; a CE mark received and
    // not yet answered by the peer's CWR (every ACK carries ECE until
    // then); the window reduced for an ECE, which our next new data
    // tells with CWR.
    bool ecn_asked_ = false;
    bool ecn_ = false;
    bool ecn_echo_ = false;
    bool ecn_cwr_pending_ = false;
    bool window_scaling_ = false; // both SYNs carried the option
    std::uint64_t handshake_limit_ns_ = 0;  // TCP_KEEPINIT (0: none)

    // Send sequence space (RFC 9293 §3.3.1). The send buffer holds the
    // bytes from snd_una on; a FIN, once sent, is the sequence number
    // after them.
    std::uint32_t iss_ = 0;
    std::uint32_t snd_una_ = 0;
    std::uint32_t snd_nxt_ = 0;
    std::uint32_t snd_max_ = 0;  // the highest sequence number sent so far, plus one
    std::uint32_t snd_wnd_ = 0;  // scaled
    std::uint32_t max_snd_wnd_ = 0;
    std::uint32_t snd_wl1_ = 0, snd_wl2_ = 0;
    std::uint8_t snd_scale_ = 0;  // the peer's window scale
    std::uint16_t send_mss_ = kDefaultMss;
    bool fin_queued_ = false;     // the user will send no more
    bool fin_sent_ = false;
    ByteRing send_;

    // Receive sequence space.
    std::uint32_t irs_ = 0;
    std::uint32_t rcv_nxt_ = 0;
    std::uint32_t rcv_adv_ = 0;   // the right edge last advertised
    std::uint8_t rcv_scale_ = 0;  // ours, when the peer agreed to scaling
    std::uint8_t offered_scale_ = 0;
    bool fin_received_ = false;
    // Text a SYN without ACK carried (simultaneous open): in the receive
    // buffer at RCV.NXT, counted once ESTABLISHED (§3.10.7.3).
    std::size_t syn_text_ = 0;
    ByteRing receive_;
    // Bytes that came beyond a gap, held in the receive buffer's free
    // space past RCV.NXT: their sequence ranges, unordered, bounded.
    static constexpr unsigned kMaxHeldRanges = 8;
    // `arrival` orders them by the newest segment in each (RFC 2018 §4:
    // the SACK blocks sent start with the most recent).
    struct HeldRange {
        std::uint32_t first, end;
        std::uint64_t arrival;
    };
    HeldRange held_[kMaxHeldRanges] = {};
    unsigned held_count_ = 0;
    std::uint64_t held_arrivals_ = 0;

    // SACK (RFC 2018): both SYNs carried SACK-permitted. The scoreboard:
    // what the peer said it holds beyond SND.UNA, merged, within
    // SND.UNA..the end of the data, bounded (a block that does not fit is
    // forgotten, which costs at most a needless retransmission).
    bool sack_permitted_ = false;
    static constexpr unsigned kMaxSackedRanges = 8;
    struct SackedRange {
        std::uint32_t first, end;
    };
    SackedRange sacked_[kMaxSackedRanges] = {};
    unsigned sacked_count_ = 0;

    // Retransmission (RFC 6298), in nanoseconds.
    std::uint64_t srtt_ns_ = 0, rttvar_ns_ = 0;
    std::uint64_t rto_ns_ = 0;
    bool rtt_timing_ = false;     // Karn: one segment timed at a time, never a retransmitted one
    std::uint32_t rtt_sequence_ = 0;
    std::uint64_t rtt_started_ = 0;
    unsigned retries_ = 0;        // timeouts in a row
    std::uint64_t retransmit_at_ = 0;  // 0: not armed
    bool persisting_ = false;     // the timer probes a zero window, or overrides SWS avoidance

    // Acknowledgments.
    std::uint64_t delayed_ack_at_ = 0;
    std::uint64_t invalid_answered_at_ = 0;  // the last rate-limited answer (0: none yet)
    unsigned unacked_segments_ = 0;
    bool ack_now_ = false;

    // Timestamps (RFC 7323 §3-5): both SYNs carried TSopt. TS.Recent is the
    // peer's TSval to echo, set when ts_recent_at_; Last.ACK.sent the ACK
    // number of the last segment sent (§4.3).
    bool timestamps_ = false;
    std::uint32_t timestamp_offset_ = 0;
    std::uint32_t ts_recent_ = 0;
    std::uint64_t ts_recent_at_ = 0;
    std::uint32_t last_ack_sent_ = 0;

    // Keepalive: when the next probe (or the first) is due, and how many
    // went unanswered.
    KeepaliveSettings keepalive_;
    std::uint64_t keepalive_at_ = 0;
    unsigned keepalive_probes_ = 0;

    // The handshake's bound (TCP_KEEPINIT), TIME-WAIT, and an orphaned
    // FIN-WAIT-2.
    std::uint64_t state_deadline_ = 0;

    // NewReno.
    std::uint32_t cwnd_ = 0, ssthresh_ = 0;
    unsigned duplicate_acks_ = 0;
    bool in_recovery_ = false;
    std::uint32_t recover_ = 0;
};

}  // namespace toro::net::tcp
