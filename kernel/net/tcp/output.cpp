// What a connection sends, and when: data as the windows allow (RFC 9293
// §3.8.6, Nagle's algorithm of RFC 896 and sender-side SWS avoidance),
// the FIN after the last byte, and ACKs that no data segment carried.
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

namespace {

bool can_send_data(State state) {
    switch (state) {
        case State::kEstablished:
        case State::kCloseWait:
        case State::kFinWait1:   // retransmissions, and the FIN
        case State::kClosing:
        case State::kLastAck: return true;
        default: return false;
    }
}

}  // namespace

void Connection::output(std::uint64_t now) {
    bool sent = false;
    if (can_send_data(state_)) {
        while (send_data_segment(now, false)) sent = true;
        // Data waiting and nothing in flight, so no ACK will come to send
        // it: the window is shut (the persist timer's probes will learn
        // when it opens), or too small for SWS avoidance to use (its
        // override timeout then sends what fits, RFC 9293 §3.8.6.2.1).
        if (unsent_bytes() > 0 && flight_size() == 0 && retransmit_at_ == 0) {
            persisting_ = true;
            retransmit_at_ = hal_deadline(now, rto_ns_);
        }
    }
    if (!sent && ack_now_ && state_ != State::kClosed && state_ != State::kSynSent) {
        bool fin_unacknowledged = fin_sent_ && seq_lt(snd_una_, snd_max_);
        if (settings_->fin_on_every_segment && fin_unacknowledged) {
            send_control(kAck | kFin, snd_max_ - 1);  // BSD: the ACK is the FIN again
        } else {
            send_ack();
        }
    }
}

std::size_t Connection::unsent_bytes() const {
    std::uint32_t offset = snd_nxt_ - snd_una_;
    return offset < send_.length() ? send_.length() - offset : 0;
}

// Sends the next segment of data (and the FIN after the last byte) if the
// windows and Nagle allow; true if it sent one.
bool Connection::send_data_segment(std::uint64_t now, bool force) {
    bool resending = seq_lt(snd_nxt_, snd_max_);
    if (resending) snd_nxt_ = past_sacked(snd_nxt_);  // what the peer holds is not sent again
    std::uint32_t offset = snd_nxt_ - snd_una_;
    std::size_t available = unsent_bytes();
    std::uint32_t congestion_window = cwnd_ + (resending ? 0 : limited_transmit_allowance());
    std::uint32_t window = snd_wnd_ < congestion_window ? snd_wnd_ : congestion_window;
    std::uint32_t in_flight = flight_size();
    std::size_t usable = window > in_flight ? window - in_flight : 0;
    // SACK blocks riding on the segment take their bytes from the payload.
    std::size_t mss = send_mss_ - sack_option_length();
    std::size_t length = available < mss ? available : mss;
    if (length > usable) length = usable;
    if (!resending && length == mss) length = offloaded_length(mss, available, usable);
    bool cut_at_sacked = false;
    if (resending) {
        std::uint32_t end = snd_nxt_ + static_cast<std::uint32_t>(length);
        std::uint32_t cut = next_sacked(snd_nxt_, end);
        cut_at_sacked = cut != end;
        length = cut - snd_nxt_;
    }
    bool fin = fin_queued_ && offset <= send_.length() && offset + length == send_.length();
    if (length == 0 && !fin) return false;
    if (length < mss && !fin && !force && !cut_at_sacked) {
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a short segment only
        // when it is all there is, or the window allows no more and is at
        // least half the largest one the peer offered.
        bool all = length == available;
        bool window_limited = length < available;
        if (window_limited && length < max_snd_wnd_ / 2) return false;
        if (all && in_flight > 0 && !no_delay_) return false;  // Nagle
    }
    OutSegment segment;
    segment.sequence = snd_nxt_;
    segment.flags = static_cast<std::uint8_t>(kAck | (fin ? kFin : 0) |
                                              (length > 0 && length == available ? kPsh : 0));
    segment.payload_count = send_.pieces(offset, length, segment.payload);
    segment.payload_length = length;
    segment.segment_bytes = length > mss ? mss : 0;
    bool new_data = snd_nxt_ == snd_max_;
    snd_nxt_ += static_cast<std::uint32_t>(length) + (fin ? 1 : 0);
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    if (fin && state_ == State::kEstablished) enter(State::kFinWait1);
    if (fin && state_ == State::kCloseWait) enter(State::kLastAck);
    if (fin) fin_sent_ = true;
    if (new_data && !rtt_timing_) {
        rtt_timing_ = true;
        rtt_sequence_ = snd_nxt_;
        rtt_started_ = now;
    }
    segment.window = window_to_advertise();
    if (new_data) ecn_mark_new_data(segment);
    finish_segment(segment);
    owner_->send_segment(*this, segment);
    ack_now_ = false;
    delayed_ack_at_ = 0;
    unacked_segments_ = 0;
    if (retransmit_at_ == 0 || persisting_) {
        persisting_ = false;
        arm_retransmit(now);
    }
    return true;
}

// With segmentation offload, new data goes as several MSS-sized segments
// in one (the device cuts it), as many as the windows, the data and the
// offload allow. The same segments are sent as one at a time would be: a
// short last one only if it would go alone (TCP_NODELAY; Nagle would hold
// it behind the others, and a window-limited one waits for SWS
// avoidance's own rule on the next call).
std::size_t Connection::offloaded_length(std::size_t mss, std::size_t available,
                                         std::size_t usable) const {
    std::size_t most = settings_->offload_payload;
    if (mss == 0 || most < 2 * mss) return mss;
    std::size_t length = available < usable ? available : usable;
    if (length > most) length = most / mss * mss;
    bool short_last = length % mss != 0;
    if (short_last && (length < available || !no_delay_)) length -= length % mss;
    return length;
}

// A segment without data: ACKs, RSTs, window probes.
void Connection::send_control(std::uint8_t flags, std::uint32_t sequence) {
    OutSegment segment;
    segment.sequence = sequence;
    segment.flags = flags;
    if ((flags & kRst) == 0) segment.window = window_to_advertise();
    finish_segment(segment);
    owner_->send_segment(*this, segment);
    if ((flags & kAck) != 0) {
        ack_now_ = false;
        delayed_ack_at_ = 0;
        unacked_segments_ = 0;
    }
}

// RFC 7323 §3.2: once agreed, TSopt goes in every segment (a RST too,
// which §3.2 recommends), echoing TS.Recent. RFC 2018 §4: SACK blocks go
// in every ACK while bytes beyond a gap are held. RFC 3168 §6.1.3: ECE
// in every ACK while a CE mark is not answered by CWR.
void Connection::finish_segment(OutSegment& segment) {
    if (ecn_echo_ && (segment.flags & (kAck | kRst)) == kAck) segment.flags |= kEce;
    std::size_t length = 0;
    if (timestamps_) length += write_timestamps(segment.options, timestamp_now(), ts_recent_);
    if ((segment.flags & kAck) != 0) {
        segment.acknowledgment = rcv_nxt_;
        last_ack_sent_ = rcv_nxt_;
        if ((segment.flags & kRst) == 0) length += write_sack_option(segment.options + length);
    }
    segment.options_length = length;
}

// Our SYN, or SYN-ACK in SYN-RECEIVED: its window unscaled, its options
// our MSS and (offered first, or answering the peer's) our window scale
// and timestamps.
void Connection::send_syn() {
    OutSegment segment;
    segment.sequence = iss_;
    bool answering = state_ == State::kSynReceived;
    segment.flags = static_cast<std::uint8_t>(kSyn | ecn_syn_flags());
    if (answering) {
        segment.flags |= kAck;
        segment.acknowledgment = rcv_nxt_;
    }
    SynOptions options;
    options.mss = settings_->mss;
    bool rfc7323 = settings_->window_scaling_and_timestamps && !syn_mss_only_;
    options.window_scale = rfc7323 && (!answering || window_scaling_) ? offered_scale_ : -1;
    options.timestamps = rfc7323 && (!answering || timestamps_);
    options.sack_permitted = settings_->sack && !syn_mss_only_ && (!answering || sack_permitted_);
    options.timestamp_value = timestamp_now();
    options.timestamp_echo = answering ? ts_recent_ : 0;  // RFC 7323 §3.2: 0 when nothing to echo
    options.layout = settings_->syn_option_layout;
    segment.options_length = no_options_ ? 0 : write_syn_options(segment.options, options);
    if (answering) last_ack_sent_ = rcv_nxt_;
    std::size_t space = receive_.space();
    segment.window = static_cast<std::uint16_t>(space > 0xFFFF ? 0xFFFF : space);
    if (answering) rcv_adv_ = rcv_nxt_ + segment.window;  // in SYN-SENT, RCV.NXT is not known yet
    snd_nxt_ = iss_ + 1;
    if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
    owner_->send_segment(*this, segment);
}

// Fast retransmit and NewReno's partial ACKs: the first unacknowledged
// segment again (short of what the peer SACKed), without moving SND.NXT.
// Only bytes sent before, below SND.MAX: a byte past it would reach the
// peer uncounted (beyond the window it offered, too), and its ACK would
// be refused as one for data never sent.
void Connection::retransmit_first(std::uint64_t now) {
    (void)now;
    std::size_t mss = send_mss_ - sack_option_length();
    std::uint32_t sent = snd_max_ - snd_una_;
    if (fin_sent_ && sent > 0) --sent;  // the FIN's number is no byte
    std::size_t length = sent < mss ? sent : mss;
    // Up to the first byte the peer SACKed, which it need not get again.
    length = next_sacked(snd_una_, snd_una_ + static_cast<std::uint32_t>(length)) - snd_una_;
    bool fin = fin_sent_ && length == send_.length();
    if (length == 0 && !fin) return;
    OutSegment segment;
    segment.sequence = snd_una_;
    segment.flags = static_cast<std::uint8_t>(kAck | (fin ? kFin : 0));
    segment.payload_count = send_.pieces(0, length, segment.payload);
    segment.payload_length = length;
    segment.window = window_to_advertise();
    finish_segment(segment);
    if (rtt_timing_ && seq_le(rtt_sequence_, snd_una_ + static_cast<std::uint32_t>(length) + fin)) {
        rtt_timing_ = false;  // Karn: its ACK could be for either copy
    }
    owner_->send_segment(*this, segment);
    ack_now_ = false;
    delayed_ack_at_ = 0;
    unacked_segments_ = 0;
}

// The receive window, scaled, never moving its right edge left (RFC 9293
// §3.8.6.2.2: a window is not shrunk).
std::uint16_t Connection::window_to_advertise() {
    std::uint32_t space = static_cast<std::uint32_t>(receive_.space());
    std::uint32_t unit = (1u << rcv_scale_) - 1;
    std::uint32_t scaled = (settings_->window_rounded_up ? space + unit : space) >> rcv_scale_;
    if (scaled > 0xFFFF) scaled = 0xFFFF;
    std::uint32_t edge = rcv_nxt_ + (scaled << rcv_scale_);
    if (seq_lt(edge, rcv_adv_)) {
        std::uint32_t promised = rcv_adv_ - rcv_nxt_;
        scaled = (promised + unit) >> rcv_scale_;
        if (scaled > 0xFFFF) scaled = 0xFFFF;
        edge = rcv_nxt_ + (scaled << rcv_scale_);
    }
    if (seq_gt(edge, rcv_adv_)) rcv_adv_ = edge;
    return static_cast<std::uint16_t>(scaled);
}

}  // namespace toro::net::tcp
