// Explicit Congestion Notification (RFC 3168 §6.1): a router that would
// drop a packet of an ECN-capable connection marks it CE instead; the
// receiver echoes the mark (ECE on its ACKs) until the sender says it
// reduced its window (CWR), and the sender reduces as for a loss, once a
// window, without retransmitting.
//
// Agreed in the handshake: our SYN asks with ECE and CWR (EcnMode
// kRequest), and a SYN that asks is agreed to with ECE alone in the
// SYN-ACK (kAccept too). Only new data goes ECN-capable (ECT(0)): never
// SYNs, pure ACKs, window probes or retransmissions (§6.1.1, §6.1.4,
// §6.1.5), whose loss the sender would not see as congestion.
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

// What our SYN or SYN-ACK says of ECN; in SYN-SENT, remembered so that a
// SYN-ACK agreeing to a SYN that did not ask agrees to nothing.
std::uint8_t Connection::ecn_syn_flags() {
    if (state_ == State::kSynReceived) return ecn_ ? kEce : 0;
    ecn_asked_ = settings_->ecn == EcnMode::kRequest && retries_ <= settings_->ecn_syn_retries;
    return ecn_asked_ ? static_cast<std::uint8_t>(kEce | kCwr) : 0;
}

// The peer's SYN (`answers_ours` false: an ECN-setup SYN has ECE and CWR)
// or SYN-ACK (true: agreement is ECE without CWR, to a SYN that asked).
void Connection::ecn_take_syn(const InSegment& syn, bool answers_ours) {
    std::uint8_t flags = syn.flags & (kEce | kCwr);
    if (answers_ours) {
        ecn_ = ecn_asked_ && flags == kEce;
    } else {
        ecn_ = settings_->ecn != EcnMode::kOff && flags == (kEce | kCwr);
    }
}

// An acceptable segment in a synchronized state: CWR ends our echo, and
// a CE mark (after it: a segment may carry both) starts it again, and is
// acknowledged at once so that the sender hears of it within an RTT.
void Connection::ecn_input(const InSegment& segment) {
    if (!ecn_) return;
    if ((segment.flags & kCwr) != 0) ecn_echo_ = false;
    if (segment.ecn == kEcnCe) {
        ecn_echo_ = true;
        ack_now_ = true;
    }
}

// An ACK with ECE: the network is congested. Reduce as for a loss (RFC
// 5681's ssthresh; §6.1.2), once a window: not in fast recovery, nor
// before what was in flight at the last reduction or loss is
// acknowledged (NewReno's `recover`, shared, so that a loss and a mark in
// one window reduce once).
void Connection::ecn_on_echo(const InSegment& segment) {
    if (!ecn_ || (segment.flags & kEce) == 0 || in_recovery_ || !seq_gt(snd_una_, recover_)) return;
    std::uint32_t half = flight_size() / 2;
    ssthresh_ = half > 2u * send_mss_ ? half : 2u * send_mss_;
    cwnd_ = ssthresh_;
    recover_ = snd_max_;
    ecn_cwr_pending_ = true;
}

// New data (not a retransmission) goes ECN-capable, and the first after
// a reduction carries CWR.
void Connection::ecn_mark_new_data(OutSegment& segment) {
    if (!ecn_ || segment.payload_length == 0) return;
    segment.ecn = kEcnEct0;
    if (ecn_cwr_pending_) {
        segment.flags |= kCwr;
        ecn_cwr_pending_ = false;
    }
}

}  // namespace toro::net::tcp
