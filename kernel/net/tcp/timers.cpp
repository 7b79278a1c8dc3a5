// The connection's timers: retransmission (RFC 6298), the persist timer
// that probes a zero window (RFC 9293 §3.8.6.1), the delayed ACK (RFC
// 5681 §4.2), TIME-WAIT and an orphaned FIN-WAIT-2; keepalive.cpp runs
// the keepalive timer.
#include "net/tcp/connection.h"

namespace toro::net::tcp {

namespace {

// RFC 6298 §5.7: the RTO data starts with after a handshake that lost a segment.
constexpr std::uint64_t kSynLostRto = 3'000'000'000;

std::uint64_t earliest(std::uint64_t a, std::uint64_t b) {
    if (a == 0) return b;
    if (b == 0) return a;
    return a < b ? a : b;
}

}  // namespace

std::uint64_t Connection::next_deadline() const {
    std::uint64_t next = earliest(earliest(retransmit_at_, delayed_ack_at_),
                                  earliest(state_deadline_, keepalive_at_));
    return next == 0 ? ~std::uint64_t{0} : next;
}

std::uint64_t Connection::poll(std::uint64_t now) {
    now_ = now;
    if (state_deadline_ != 0 && now >= state_deadline_) {
        state_deadline_ = 0;
        if (state_ == State::kTimeWait || state_ == State::kFinWait2) close_with(Error::kOk);
        if (state_ == State::kSynReceived) send_reset();  // the peer may hold its half
        if (state_ == State::kSynSent || state_ == State::kSynReceived)
            close_with(Error::kTimedOut);
    }
    if (retransmit_at_ != 0 && now >= retransmit_at_) {
        retransmit_at_ = 0;
        if (persisting_) {
            on_persist_timeout(now);
        } else {
            on_retransmit_timeout(now);
        }
    }
    if (keepalive_at_ != 0 && now >= keepalive_at_) {
        keepalive_at_ = 0;
        on_keepalive_timeout(now);
    }
    if (delayed_ack_at_ != 0 && now >= delayed_ack_at_) {
        delayed_ack_at_ = 0;
        ack_now_ = true;
        output(now);
    }
    return next_deadline();
}

// RFC 6298 §2.2, §2.3, with §2.4's floor and a ceiling.
void Connection::rtt_sample(std::uint64_t rtt_ns) {
    if (srtt_ns_ == 0) {
        srtt_ns_ = rtt_ns == 0 ? 1 : rtt_ns;
        rttvar_ns_ = rtt_ns / 2;
    } else {
        std::uint64_t difference = srtt_ns_ > rtt_ns ? srtt_ns_ - rtt_ns : rtt_ns - srtt_ns_;
        rttvar_ns_ = (3 * rttvar_ns_ + difference) / 4;
        srtt_ns_ = (7 * srtt_ns_ + rtt_ns) / 8;
    }
    std::uint64_t variance = 4 * rttvar_ns_;
    constexpr std::uint64_t kClockGranularity = 1'000'000;  // G: 1 ms
    rto_ns_ = srtt_ns_ + (variance > kClockGranularity ? variance : kClockGranularity);
    if (rto_ns_ < settings_->min_rto_ns) rto_ns_ = settings_->min_rto_ns;
    if (rto_ns_ > settings_->max_rto_ns) rto_ns_ = settings_->max_rto_ns;
}

// Our SYN (or SYN-ACK) is acknowledged. A handshake that took no
// retransmission gives the first RTT sample. One that did gives none
// (Karn) and leaves the RTO backed off, up to the 60 s ceiling, so the
// first lost data segment would wait that long: RFC 6298 §5.7 starts data
// at 3 s instead, and RFC 5681 §3.1 at a window of one segment, since
// the path just lost a segment.
void Connection::end_handshake_timing(std::uint64_t now) {
    if (rtt_timing_ && retries_ == 0) rtt_sample(now - rtt_started_);
    if (retries_ > 0 && srtt_ns_ == 0) {
        rto_ns_ = settings_->initial_rto_ns > kSynLostRto ? settings_->initial_rto_ns : kSynLostRto;
        cwnd_ = send_mss_;
    }
    rtt_timing_ = false;
    retries_ = 0;
    retransmit_at_ = 0;
}

// The RTO and the slop (TcpSettings::rto_slop_ns), which the first SYN,
// timed by no sample and no backoff yet, goes without.
std::uint64_t Connection::retransmission_timeout() const {
    if (srtt_ns_ == 0 && retries_ == 0) return rto_ns_;
    std::uint64_t timeout = rto_ns_ + settings_->rto_slop_ns;
    return timeout < settings_->max_rto_ns ? timeout : settings_->max_rto_ns;
}

void Connection::arm_retransmit(std::uint64_t now) {
    retransmit_at_ = hal_deadline(now, retransmission_timeout());
}

// RFC 6298 §5.4-5.7: back off, and send again from the first byte not
// acknowledged, in a window of one segment (RFC 5681 §3.1).
void Connection::on_retransmit_timeout(std::uint64_t now) {
    ++retries_;
    bool opening = state_ == State::kSynSent || state_ == State::kSynReceived;
    if (retries_ > (opening ? settings_->syn_retries : settings_->data_retries)) {
        if (!opening) send_reset();
        owner_->count(ConnectionOwner::Counter::kRetriesExhausted);
        close_with(Error::kTimedOut);
        return;
    }
    rto_ns_ = rto_ns_ * 2 > settings_->max_rto_ns ? settings_->max_rto_ns : rto_ns_ * 2;
    rtt_timing_ = false;  // Karn: no sample from a retransmitted segment
    if (opening) {
        unsigned plain_after = settings_->syn_plain_after_retries;
        if (state_ == State::kSynSent && plain_after != 0 && retries_ >= plain_after) syn_mss_only_ = true;
        send_syn();  // a lost SYN or SYN-ACK is sent again (IncludeOS #542)
        arm_retransmit(now);
        return;
    }
    if (snd_una_ == snd_max_) return;  // nothing outstanding
    congestion_on_timeout();
    snd_nxt_ = snd_una_;
    sacked_count_ = 0;  // RFC 2018 §8: the peer may have reneged
    if (snd_wnd_ == 0) {
        // The peer shut its window on data in flight: probe it until it
        // opens, rather than send into it.
        persisting_ = true;
        retransmit_at_ = hal_deadline(now, rto_ns_);
        return;
    }
    if (!send_data_segment(now, true)) retransmit_first(now);
    arm_retransmit(now);
}

// Data waits with nothing in flight. A window too small for SWS avoidance
// gets what fits. A shut one gets an ACK one below SND.UNA makes the peer
// answer with its window (RFC 9293 §3.8.6.1 allows any probe; this one
// carries no data, so nothing is sent outside the window). The probes
// back off as retransmissions do, and never give up while answered.
void Connection::on_persist_timeout(std::uint64_t now) {
    if (unsent_bytes() == 0 || snd_wnd_ != 0) {
        // SWS avoidance's override: send what fits now (or the FIN that
        // is all that is left).
        persisting_ = false;
        send_data_segment(now, true);
        output(now);
        return;
    }
    // Unanswered probes are given up as retransmissions are (an answer,
    // even one keeping the window shut, starts the count again).
    if (++retries_ > settings_->data_retries) {
        send_reset();
        owner_->count(ConnectionOwner::Counter::kRetriesExhausted);
        close_with(Error::kTimedOut);
        return;
    }
    send_control(kAck, snd_una_ - 1);
    rto_ns_ = rto_ns_ * 2 > settings_->max_rto_ns ? settings_->max_rto_ns : rto_ns_ * 2;
    retransmit_at_ = hal_deadline(now, rto_ns_);
}

// RFC 5681 §4.2: an ACK at least every second full-sized segment, and
// none delayed beyond the delayed-ACK time.
void Connection::schedule_ack(std::uint64_t now, bool full_segment) {
    if (full_segment && ++unacked_segments_ >= 2) {
        ack_now_ = true;
        return;
    }
    if (delayed_ack_at_ == 0) delayed_ack_at_ = hal_deadline(now, settings_->delayed_ack_ns);
}

}  // namespace toro::net::tcp
