// Congestion control: slow start and congestion avoidance (RFC 5681 §3.1),
// fast retransmit and fast recovery as NewReno does them (RFC 6582), with
// limited transmit (RFC 3042).
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

namespace {

// Duplicate ACKs are counted up to here and no further (smoltcp #224: a
// counter that wrapped started a second fast retransmit).
constexpr unsigned kMaxDuplicateAcks = 0xFFFF;

}  // namespace

void Connection::congestion_on_ack(std::uint32_t acked, std::uint64_t now) {
    duplicate_acks_ = 0;
    if (in_recovery_) {
        if (seq_ge(snd_una_, recover_)) {
            // A full acknowledgment ends recovery (RFC 6582 §3.2 step 3):
            // cwnd min(ssthresh, max(FlightSize, SMSS) + SMSS).
            std::uint32_t flight = flight_size() > send_mss_ ? flight_size() : send_mss_;
            std::uint32_t deflated = flight + send_mss_;
            cwnd_ = ssthresh_ < deflated ? ssthresh_ : deflated;
            in_recovery_ = false;
            return;
        }
        // A partial one: the next hole is lost too (step 4).
        retransmit_first(now);
        cwnd_ = acked < cwnd_ ? cwnd_ - acked : 0;
        if (acked >= send_mss_) cwnd_ += send_mss_;
        if (cwnd_ < send_mss_) cwnd_ = send_mss_;
        return;
    }
    if (cwnd_ < ssthresh_) {
        cwnd_ += acked < send_mss_ ? acked : send_mss_;  // slow start, at most one SMSS an ACK
    } else {
        std::uint32_t increase = static_cast<std::uint32_t>(std::uint64_t{send_mss_} * send_mss_ / cwnd_);
        cwnd_ += increase > 0 ? increase : 1;
    }
}

void Connection::congestion_on_duplicate_ack(std::uint64_t now) {
    if (duplicate_acks_ < kMaxDuplicateAcks) ++duplicate_acks_;
    if (in_recovery_) {
        cwnd_ += send_mss_;  // each one is a segment that left the network
        output(now);
        return;
    }
    // RFC 6582 §3.2 step 1: only for losses after the last recovery's,
    // whose "recover" is the highest byte sent then, one before recover_:
    // an ACK that reaches recover_ covers more than it.
    // Before the third, the input's output() does limited transmit.
    if (duplicate_acks_ != 3 || !seq_ge(snd_una_, recover_)) return;
    std::uint32_t half = flight_size() / 2;
    ssthresh_ = half > 2u * send_mss_ ? half : 2u * send_mss_;
    recover_ = snd_max_;
    in_recovery_ = true;
    retransmit_first(now);
    cwnd_ = ssthresh_ + 3u * send_mss_;
}

// Limited transmit (RFC 3042): the first two duplicates each let one new
// segment go beyond cwnd, so that a window of a few segments still makes
// the three duplicates a fast retransmit needs (else its loss waits out
// the RTO). cwnd itself is not changed.
std::uint32_t Connection::limited_transmit_allowance() const {
    if (in_recovery_ || duplicate_acks_ == 0 || duplicate_acks_ >= 3) return 0;
    return duplicate_acks_ * std::uint32_t{send_mss_};
}

void Connection::congestion_on_timeout() {
    std::uint32_t half = flight_size() / 2;
    ssthresh_ = half > 2u * send_mss_ ? half : 2u * send_mss_;
    cwnd_ = send_mss_;
    in_recovery_ = false;
    duplicate_acks_ = 0;
    recover_ = snd_max_;
}

}  // namespace toro::net::tcp
