// Opening a connection, the user's calls, and closing it.
#include "net/tcp/connection.h"

#include "net/tcp/sequence.h"

namespace toro::net::tcp {

const char* state_name(State state) {
    switch (state) {
        case State::kClosed: return "CLOSED";
        case State::kSynSent: return "SYN-SENT";
        case State::kSynReceived: return "SYN-RECEIVED";
        case State::kEstablished: return "ESTABLISHED";
        case State::kFinWait1: return "FIN-WAIT-1";
        case State::kFinWait2: return "FIN-WAIT-2";
        case State::kCloseWait: return "CLOSE-WAIT";
        case State::kClosing: return "CLOSING";
        case State::kLastAck: return "LAST-ACK";
        case State::kTimeWait: return "TIME-WAIT";
    }
    return "?";
}

void Connection::initialize(ConnectionOwner* owner, const TcpSettings* settings, Endpoint local,
                            Endpoint remote, std::uint32_t initial_sequence,
                            std::uint32_t timestamp_offset) {
    *this = Connection{};
    owner_ = owner;
    settings_ = settings;
    local_ = local;
    remote_ = remote;
    iss_ = initial_sequence;
    timestamp_offset_ = timestamp_offset;
    snd_una_ = snd_nxt_ = snd_max_ = iss_;
    recover_ = iss_;  // RFC 6582 §3.2: "recover" starts at the ISN
    rto_ns_ = settings->initial_rto_ns;
    send_mss_ = kDefaultMss;
}

void Connection::attach_buffers(std::uint8_t* send, std::size_t send_bytes, std::uint8_t* receive,
                                std::size_t receive_bytes) {
    send_.reset(send, send_bytes);
    receive_.reset(receive, receive_bytes);
    offered_scale_ = offered_window_scale(settings_->min_window_scale, receive_bytes);
}

std::uint8_t offered_window_scale(std::uint8_t min_window_scale, std::size_t receive_bytes) {
    std::uint8_t scale = min_window_scale < kMaxWindowScale ? min_window_scale : kMaxWindowScale;
    while (scale < kMaxWindowScale && (receive_bytes >> scale) > 0xFFFF) ++scale;
    return scale;
}

void Connection::detach_buffers() {
    send_.reset(nullptr, 0);
    receive_.reset(nullptr, 0);
}

void Connection::connect(std::uint64_t now) {
    now_ = now;
    enter(State::kSynSent);
    send_syn();
    arm_retransmit(now);
    set_handshake_limit(handshake_limit_ns_, now);
}

void Connection::accept_syn(const InSegment& syn, std::uint64_t now) {
    now_ = now;
    passive_ = true;
    irs_ = syn.sequence;
    rcv_nxt_ = syn.sequence + 1;
    take_syn_options(syn.options);
    ecn_take_syn(syn, false);
    snd_wnd_ = syn.window;  // never scaled in a SYN (RFC 7323 §2.2)
    max_snd_wnd_ = snd_wnd_;
    snd_wl1_ = syn.sequence;
    snd_wl2_ = iss_;
    enter(State::kSynReceived);
    send_syn();
    arm_retransmit(now);
    set_handshake_limit(handshake_limit_ns_, now);
}

void Connection::accept_cookie(const TcpOptions& syn, bool ecn, const InSegment& ack, std::uint64_t now) {
    now_ = now;
    passive_ = true;
    irs_ = ack.sequence - 1;
    rcv_nxt_ = ack.sequence;
    // What the SYN-ACK offered: its window is never scaled.
    std::size_t offered = receive_.space() < 0xFFFF ? receive_.space() : 0xFFFF;
    rcv_adv_ = rcv_nxt_ + static_cast<std::uint32_t>(offered);
    take_syn_options(syn);
    ecn_ = ecn;
    snd_nxt_ = snd_max_ = iss_ + 1;
    snd_wl1_ = irs_;
    snd_wl2_ = iss_;
    enter(State::kSynReceived);
    input(ack, now);
}

void Connection::set_handshake_limit(std::uint64_t ns, std::uint64_t now) {
    handshake_limit_ns_ = ns;
    if (state_ == State::kSynSent || state_ == State::kSynReceived)
        state_deadline_ = ns == 0 ? 0 : hal_deadline(now, ns);
}

// The peer's SYN options fix the MSS we send, whether windows scale and
// whether segments carry timestamps (we offer both in every SYN, unless
// the settings turn them off).
void Connection::take_syn_options(const TcpOptions& options) {
    std::uint16_t peer_mss = options.has_mss ? options.mss : kDefaultMss;
    send_mss_ = peer_mss < settings_->mss ? peer_mss : settings_->mss;
    bool offered = !no_options_ && !syn_mss_only_;
    bool rfc7323 = settings_->window_scaling_and_timestamps && offered;
    timestamps_ = rfc7323 && options.has_timestamps;              // RFC 7323 §3.2
    sack_permitted_ = settings_->sack && offered && options.sack_permitted;  // RFC 2018 §2
    if (timestamps_) {
        ts_recent_ = options.timestamp_value;
        ts_recent_at_ = now_;
        // The MSS counts no options (RFC 6691 §3): TSopt in every segment
        // takes its 12 bytes from the payload, or frames would outgrow the MTU.
        send_mss_ = static_cast<std::uint16_t>(send_mss_ - kTimestampsSpace);
    }
    window_scaling_ = rfc7323 && options.has_window_scale;
    if (window_scaling_) {
        snd_scale_ = options.window_scale;
        rcv_scale_ = offered_scale_;
    } else {
        snd_scale_ = rcv_scale_ = 0;  // both or neither (RFC 7323 §2.2)
    }
    // RFC 6928's initial window: 10 segments, at most 14,600 bytes unless
    // two segments are more.
    std::uint32_t two = 2u * send_mss_;
    std::uint32_t ten = 10u * send_mss_;
    cwnd_ = ten < (two > 14600 ? two : 14600) ? ten : (two > 14600 ? two : 14600);
    ssthresh_ = 0xFFFFFFFF;
}

void Connection::enter(State state) {
    // The handshake is done in time: its bound (TCP_KEEPINIT) is lifted.
    if (state == State::kEstablished) state_deadline_ = 0;
    state_ = state;
    owner_->connection_changed(*this);
}

void Connection::close_with(Error error) {
    if (error_ == Error::kOk) error_ = error;
    retransmit_at_ = delayed_ack_at_ = state_deadline_ = keepalive_at_ = 0;
    enter(State::kClosed);
}

Result<std::size_t> Connection::send(const std::uint8_t* bytes, std::size_t length,
                                     std::uint64_t now) {
    now_ = now;
    if (error_ != Error::kOk) return error_;
    if (fin_queued_) return Error::kBrokenPipe;
    if (state_ == State::kSynSent || state_ == State::kSynReceived) return Error::kWouldBlock;
    if (state_ != State::kEstablished && state_ != State::kCloseWait) return Error::kNotConnected;
    if (length == 0) return std::size_t{0};
    std::size_t taken = send_.append(bytes, length);
    if (taken == 0) return Error::kWouldBlock;
    output(now);
    return taken;
}

Result<std::size_t> Connection::receive(std::uint8_t* out, std::size_t capacity,
                                        std::uint64_t now) {
    now_ = now;
    if (receive_.length() == 0) {
        if (fin_received_) return std::size_t{0};
        if (error_ != Error::kOk) return error_;
        if (state_ == State::kClosed) return Error::kNotConnected;
        return Error::kWouldBlock;
    }
    std::size_t copied = receive_.peek(0, out, capacity);
    receive_.consume(copied);
    // RFC 9293 §3.8.6.2.2 (receiver's SWS avoidance): tell the peer about
    // the space once it is worth a segment or half the buffer.
    std::uint32_t edge = rcv_nxt_ + static_cast<std::uint32_t>(receive_.space());
    std::size_t worth = receive_.capacity() / 2 < send_mss_ ? receive_.capacity() / 2 : send_mss_;
    if (seq_ge(edge, rcv_adv_ + static_cast<std::uint32_t>(worth)) &&
        state_ != State::kClosed && state_ != State::kSynSent && state_ != State::kSynReceived) {
        ack_now_ = true;
        output(now);
    }
    return copied;
}

void Connection::shutdown_send(std::uint64_t now) {
    now_ = now;
    if (fin_queued_) return;
    switch (state_) {
        case State::kSynSent: close_with(Error::kNotConnected); return;  // nothing to finish
        case State::kSynReceived:
        case State::kEstablished:
        case State::kCloseWait:
            fin_queued_ = true;
            output(now);
            return;
        default: return;
    }
}

void Connection::abort() {
    bool synchronized = state_ != State::kClosed && state_ != State::kSynSent &&
                        state_ != State::kTimeWait;
    if (synchronized) send_reset();
    close_with(Error::kConnectionAborted);
}

void Connection::orphan(std::uint64_t now) {
    now_ = now;
    orphaned_ = true;
    if (state_ == State::kFinWait2) state_deadline_ = hal_deadline(now, settings_->fin_wait2_ns);
}

unsigned Connection::readiness() const {
    unsigned ready = 0;
    if (receive_.length() > 0 || fin_received_ || error_ != Error::kOk) ready |= kReadable;
    bool sending = state_ == State::kEstablished || state_ == State::kCloseWait;
    if (error_ != Error::kOk || (sending && !fin_queued_ && send_.space() > 0)) ready |= kWritable;
    return ready;
}

}  // namespace toro::net::tcp
