// RFC 9293 §3.10.7 "SEGMENT ARRIVES", for a connection that exists (the
// stack answers segments for CLOSED and LISTEN). The steps keep the RFC's
// numbers; RFC 5961 hardens steps 2, 4 and 5 against blind injection, and
// RFC 7323 §5.3 puts PAWS before step 1.
#include "net/packet.h"
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

namespace {

std::uint32_t segment_length(const InSegment& segment) {
    return static_cast<std::uint32_t>(segment.payload_length) + ((segment.flags & kSyn) != 0) +
           ((segment.flags & kFin) != 0);
}

}  // namespace

// An invalid segment (outside the window, failing PAWS, an ACK of data
// never sent, a RST or SYN that gets a challenge) is answered with an
// ACK saying where we are. Two ends that disagree on that (after a forged
// or corrupted segment got through its checksum) would answer each
// other's answers without end, an ACK storm; so, as Linux does, an
// answer to a segment holding no sequence space goes out at most once
// per invalid_answer_ns (RFC 5961 §7 asks the same of challenge ACKs).
// Old data and FINs are always answered: the peer's recovery needs it.
void Connection::answer_invalid(const InSegment& segment) {
    if (answer_held_back(segment)) return;
    if (segment_length(segment) == 0) invalid_answered_at_ = now_;
    send_ack();
}

bool Connection::answer_held_back(const InSegment& segment) const {
    return segment_length(segment) == 0 && invalid_answered_at_ != 0 &&
           now_ - invalid_answered_at_ < settings_->invalid_answer_ns;
}

// RFC 5961's challenge ACKs (an in-window RST or SYN, an ACK outside the
// acceptable range) are also counted against the stack's budget per
// second (§7): a flood of SYNs holds sequence space, so answer_invalid
// would answer every one, and each answer is a packet an attacker made
// us send. The connection's own limit is asked first, as Linux's
// tcp_send_challenge_ack does: an answer it holds back takes nothing from
// the budget, or a blind flood at one connection would use up the
// challenge ACKs every other connection's peer may need.
void Connection::challenge(const InSegment& segment) {
    if (answer_held_back(segment)) return;
    if (!owner_->challenge_ack_allowed(now_)) return;
    answer_invalid(segment);
}

void Connection::input(const InSegment& segment, std::uint64_t now) {
    now_ = now;
    if (state_ == State::kClosed) return;
    if (state_ == State::kSynSent) return input_syn_sent(segment, now);
    // RFC 7323 §5.3 R1: a segment older than the last one taken (an old
    // duplicate from a wrapped sequence space) is answered and dropped.
    if (state_ == State::kTimeWait && settings_->time_wait_drops_without_ack &&
        (segment.flags & (kAck | kRst | kSyn)) == 0) {
        return;
    }
    if (paws_rejects(segment)) {
        owner_->count(ConnectionOwner::Counter::kPawsDrop);
        answer_invalid(segment);
        return;
    }
    // Step 1: is it in the window? If not, say where we are (unless it is
    // a RST). A SYN is challenged wherever it lies (RFC 5961 §4.2), so it
    // draws on the budget whose absence would answer a flood SYN for SYN.
    if (!acceptable(segment)) {
        if ((segment.flags & kRst) != 0) return;
        if ((segment.flags & kSyn) != 0) return challenge(segment);
        if (state_ == State::kTimeWait && (segment.flags & kFin) != 0) {
            state_deadline_ = hal_deadline(now, settings_->time_wait_ns);  // §3.10.7.4 step 8
        }
        if (settings_->old_segments_acknowledge && old_duplicate(segment)) {
            input_old_duplicate(segment, now);
            return;
        }
        answer_invalid(segment);
        return;
    }
    heard_from_peer(now);
    take_timestamp(segment);
    // Step 2: RST.
    if ((segment.flags & kRst) != 0) {
        input_rst(segment);
        return;
    }
    // Step 4: a SYN in a synchronized state. RFC 5961 §4.2: a challenge
    // ACK, whatever its sequence number; a peer that really restarted
    // answers it with a RST that the exact check of step 2 accepts
    // (input_syn has RFC 793's rule, for when challenge_syn is off).
    if ((segment.flags & kSyn) != 0) {
        input_syn(segment);
        return;
    }
    ecn_input(segment);
    // Step 5: ACK.
    if ((segment.flags & kAck) == 0) return;
    if (!input_ack(segment, now)) return;
    ecn_on_echo(segment);
    if (state_ == State::kClosed) return;  // LAST-ACK ended
    // Step 5 in TIME-WAIT: what arrives is taken for a retransmission of
    // the peer's FIN, acknowledged, and the 2 MSL restarted. A bare
    // duplicate of its last ACK, at RCV.NXT, asks nothing and is not
    // answered (FreeBSD's tcp-testsuite, rcv-ack-time-wait-*, checks both).
    if (state_ == State::kTimeWait) {
        if ((segment.flags & kFin) != 0 || segment.sequence != rcv_nxt_ ||
            segment.payload_length > 0) {
            state_deadline_ = hal_deadline(now, settings_->time_wait_ns);
            answer_invalid(segment);
        }
        return;
    }
    // Step 7: text, trimmed to what is new.
    std::uint32_t sequence = segment.sequence;
    std::size_t skip = 0;
    std::size_t length = segment.payload_length;
    if (seq_lt(sequence, rcv_nxt_)) {
        std::uint32_t old = rcv_nxt_ - sequence;
        skip = old < length ? old : length;
        length -= skip;
        sequence += static_cast<std::uint32_t>(skip);
    }
    bool receiving = state_ == State::kEstablished || state_ == State::kFinWait1 ||
                     state_ == State::kFinWait2;
    if (length > 0 && receiving) input_text(segment, sequence, skip, length, now);
    // Step 8: FIN, once every byte before it is in.
    std::uint32_t fin_sequence = segment.sequence + static_cast<std::uint32_t>(segment.payload_length);
    if ((segment.flags & kFin) != 0 && fin_sequence == rcv_nxt_ && !fin_received_) input_fin(now);
    output(now);
}

void Connection::icmp_hard_error(Error error, std::uint32_t sequence) {
    // RFC 5927 §4.1: it must quote a sequence number in flight, which an
    // off-path attacker has to guess.
    if (state_ != State::kSynSent || !settings_->icmp_aborts_connect) return;
    if (seq_lt(sequence, snd_una_) || !seq_lt(sequence, snd_nxt_)) return;
    close_with(error);
}

// §3.10.7.3: text in a SYN without ACK is queued for processing once
// ESTABLISHED. It is written where it belongs, at RCV.NXT, within the
// window our SYN offered (never scaled), and counted by take_syn_text; the
// SYN-ACK acknowledges the SYN alone. A FIN in it is not held: the peer
// sends it again, unacknowledged (FreeBSD drops it too).
void Connection::hold_syn_text(const InSegment& syn) {
    std::size_t space = receive_.space() < 0xFFFF ? receive_.space() : 0xFFFF;
    std::size_t length = syn.payload_length < space ? syn.payload_length : space;
    ByteRing::Span spans[2];
    std::size_t count = receive_.free_spans(0, length, spans);
    std::size_t copied = 0;
    for (std::size_t i = 0; i < count; ++i) {
        copy_from_chain(syn.payload, syn.payload_skip + copied, spans[i].bytes, spans[i].length);
        copied += spans[i].length;
    }
    syn_text_ = copied;
}

void Connection::take_syn_text(std::uint64_t now) {
    receive_.commit(syn_text_);
    rcv_nxt_ += static_cast<std::uint32_t>(syn_text_);
    schedule_ack(now, syn_text_ >= send_mss_);  // as in-order text is (input_text)
    syn_text_ = 0;
    owner_->connection_changed(*this);  // readable
}

void Connection::input_syn_sent(const InSegment& segment, std::uint64_t now) {
    bool has_ack = (segment.flags & kAck) != 0;
    if (has_ack && (seq_le(segment.acknowledgment, iss_) || seq_gt(segment.acknowledgment, snd_max_))) {
        if ((segment.flags & kRst) == 0) send_control(kRst, segment.acknowledgment);
        return;
    }
    if ((segment.flags & kRst) != 0) {
        if (has_ack) close_with(Error::kConnectionRefused);  // it acknowledged our SYN
        return;
    }
    if ((segment.flags & kSyn) == 0) return;
    if ((segment.flags & kFin) != 0 && settings_->drop_syn_fin) return;
    irs_ = segment.sequence;
    rcv_nxt_ = segment.sequence + 1;
    rcv_adv_ = rcv_nxt_;  // window_to_advertise() moves it to the window's edge
    take_syn_options(segment.options);
    ecn_take_syn(segment, has_ack);
    snd_wl1_ = segment.sequence;
    if (!has_ack) {  // simultaneous open (§3.5, figure 8)
        snd_wnd_ = segment.window;
        max_snd_wnd_ = snd_wnd_;
        snd_wl2_ = iss_;
        enter(State::kSynReceived);
        hold_syn_text(segment);
        send_syn();
        return;
    }
    snd_una_ = iss_ + 1;
    snd_wnd_ = segment.window;  // a SYN's window is never scaled (RFC 7323 §2.2)
    max_snd_wnd_ = snd_wnd_;
    snd_wl2_ = segment.acknowledgment;
    end_handshake_timing(now);
    enter(State::kEstablished);
    heard_from_peer(now);
    ack_now_ = true;  // the handshake's third segment; data sent now carries it
    // §3.10.7.3: text and a FIN in the SYN-ACK are processed as in
    // ESTABLISHED (step 6 on), within the window our SYN offered, which
    // was never scaled (RFC 7323 §2.2).
    if (segment.payload_length > 0 || (segment.flags & kFin) != 0) {
        std::size_t space = receive_.space();
        rcv_adv_ = rcv_nxt_ + static_cast<std::uint32_t>(space > 0xFFFF ? 0xFFFF : space);
        if (segment.payload_length > 0)
            input_text(segment, rcv_nxt_, 0, segment.payload_length, now);
        std::uint32_t fin_sequence =
            segment.sequence + 1 + static_cast<std::uint32_t>(segment.payload_length);
        if ((segment.flags & kFin) != 0 && fin_sequence == rcv_nxt_ && !fin_received_)
            input_fin(now);
    }
    output(now);
}

// §3.10.7.4 step 1: the four cases of the acceptability test, against the
// window we advertised (or, with window_is_buffer_space, the buffer).
bool Connection::acceptable(const InSegment& segment) const {
    std::uint32_t window = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    // FreeBSD's half-open (syncache) and TIME-WAIT entries keep no buffer:
    // their window is the one advertised.
    bool full_entry = state_ != State::kTimeWait && !(state_ == State::kSynReceived && passive_);
    if (settings_->window_is_buffer_space && full_entry && receive_.space() > window) {
        window = static_cast<std::uint32_t>(receive_.space());
    }
    std::uint32_t length = segment_length(segment);
    std::uint32_t first = segment.sequence;
    if (length == 0) {
        // A pure ACK may sit at the window's right edge: a peer that filled
        // the window sends them there while a segment before is lost, and
        // dropping them loses its ACKs (Linux and FreeBSD take them too).
        // A RST may not: RFC 5961 §3.2 drops one outside the window
        // unanswered (FreeBSD's tcp-testsuite, rcv-rst-*-outside-right).
        bool pure_ack = (segment.flags & kRst) == 0;
        return window == 0 ? first == rcv_nxt_
                           : seq_in(first, rcv_nxt_, pure_ack ? window + 1 : window);
    }
    if (window == 0) return first == rcv_nxt_;  // its ACK and RST count; its text is trimmed off
    std::uint32_t last = first + length - 1;
    return seq_in(first, rcv_nxt_, window) || seq_in(last, rcv_nxt_, window);
}

// Wholly before RCV.NXT: a duplicate, or a keep-alive probe.
bool Connection::old_duplicate(const InSegment& segment) const {
    std::uint32_t end = segment.sequence + segment_length(segment);
    return seq_lt(segment.sequence, rcv_nxt_) && seq_le(end, rcv_nxt_);
}

// old_segments_acknowledge (FreeBSD's rule): a duplicate's ACK field is
// taken before it is answered, and then what it let go is sent (data, a
// FIN; the timers armed, as after any ACK). An ACK of our FIN that ends
// LAST-ACK or CLOSING is not answered: FreeBSD's connection is gone, or a
// TIME-WAIT entry that sends nothing unasked.
void Connection::input_old_duplicate(const InSegment& segment, std::uint64_t now) {
    State before = state_;
    bool takes_ack = state_ != State::kSynReceived && state_ != State::kTimeWait && (segment.flags & kAck) != 0;
    if (takes_ack) {
        if (!input_ack(segment, now) || state_ == State::kClosed) return;
        if (state_ == State::kTimeWait && before != State::kTimeWait) return;
    }
    answer_invalid(segment);
    if (takes_ack) output(now);
}

// Step 2, with RFC 5961 §3.2: only a RST at exactly RCV.NXT resets; one
// elsewhere in the window gets a challenge ACK. Without challenge_rst,
// RFC 793's rule: any RST in the window (step 1 checked it) resets.
bool Connection::input_rst(const InSegment& segment) {
    if (state_ == State::kTimeWait && settings_->time_wait_ignores_rst) return false;  // RFC 1337 §3
    if (segment.sequence != rcv_nxt_ && settings_->challenge_rst) {
        challenge(segment);
        return false;
    }
    switch (state_) {
        case State::kSynReceived:
            close_with(passive_ ? Error::kConnectionReset : Error::kConnectionRefused);
            break;
        case State::kEstablished:
        case State::kFinWait1:
        case State::kFinWait2:
        case State::kCloseWait: close_with(Error::kConnectionReset); break;
        case State::kTimeWait: close_with(Error::kOk); break;
        default:  // CLOSING, LAST-ACK
            close_with(settings_->reset_reported_after_fin ? Error::kConnectionReset : Error::kOk);
            break;
    }
    return true;
}

// Step 4. Without challenge_syn, RFC 793's rule: a SYN in the window is
// an error, answered with a RST, and the user is told the connection was
// reset. Step 1 let the segment in if any of it is in the window; a SYN
// before RCV.NXT (only its FIN, say, is new) is an old one, trimmed off
// there, and is only acknowledged.
void Connection::input_syn(const InSegment& segment) {
    if (settings_->challenge_syn || seq_lt(segment.sequence, rcv_nxt_)) {
        challenge(segment);
        return;
    }
    send_reset();
    close_with(Error::kConnectionReset);
}

// Step 5. False when the segment is to be dropped here.
bool Connection::input_ack(const InSegment& segment, std::uint64_t now) {
    std::uint32_t ack = segment.acknowledgment;
    if (state_ == State::kSynReceived) {
        if (!seq_gt(ack, snd_una_) || seq_gt(ack, snd_max_)) {
            send_control(kRst, ack);
            return false;
        }
        snd_una_ = iss_ + 1;  // our SYN is acknowledged
        end_handshake_timing(now);
        snd_wl1_ = segment.sequence - 1;  // so that this segment's window is taken
        enter(State::kEstablished);
        if (syn_text_ > 0) take_syn_text(now);
    }
    // RFC 5961 §5.2: an ACK for data never sent is answered and dropped;
    // one older than the largest window the peer ever offered gets a
    // challenge ACK.
    if (seq_gt(ack, snd_max_) || seq_lt(ack, snd_una_ - max_snd_wnd_)) {
        challenge(segment);
        return false;
    }
    std::uint32_t window_before = snd_wnd_;
    if (persisting_) retries_ = 0;  // the peer answers our probes
    bool sacked_new = take_sack_blocks(segment);  // before a fast retransmit may use them
    // A duplicate: RFC 5681 §2's definition, or, with SACK, RFC 6675 §2's
    // (it SACKs new bytes), whatever its window says: Linux's receiver
    // opens its window a little in nearly every ACK, and the strict rule
    // then counted no duplicate at all, leaving every loss to the RTO.
    bool same_window = (std::uint32_t{segment.window} << snd_scale_) == window_before;
    if (seq_gt(ack, snd_una_)) {
        acknowledge(segment, now);
    } else if (ack == snd_una_ && segment.payload_length == 0 &&
               (segment.flags & (kSyn | kFin)) == 0 && (same_window || sacked_new) && flight_size() > 0) {
        congestion_on_duplicate_ack(now);
    }
    update_window(segment);
    bool fin_acked = fin_queued_ && fin_sent_ && snd_una_ == snd_max_;
    switch (state_) {
        case State::kFinWait1:
            if (fin_acked) {
                enter(State::kFinWait2);
                if (orphaned_) state_deadline_ = hal_deadline(now, settings_->fin_wait2_ns);
            }
            break;
        case State::kClosing:
            if (fin_acked) {
                enter(State::kTimeWait);
                state_deadline_ = hal_deadline(now, settings_->time_wait_ns);
            }
            break;
        case State::kLastAck:
            if (fin_acked) {
                close_with(Error::kOk);
                return false;
            }
            break;
        default: break;
    }
    return true;
}

// New data acknowledged: free it, time it, grow the window.
void Connection::acknowledge(const InSegment& segment, std::uint64_t now) {
    std::uint32_t ack = segment.acknowledgment;
    std::uint32_t acked = ack - snd_una_;
    std::size_t data = acked < send_.length() ? acked : send_.length();
    send_.consume(data);
    snd_una_ = ack;
    prune_sacked();
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;  // acknowledged past a go-back
    // The timed segment gives the finer sample (the clock's nanoseconds,
    // not TSopt's milliseconds); when Karn allows none, the echo does
    // (RFC 7323 §4.2: an ACK that moves SND.UNA).
    if (rtt_timing_ && seq_ge(ack, rtt_sequence_)) {
        rtt_sample(now - rtt_started_);
        rtt_timing_ = false;
    } else if (!rtt_timing_) {
        rtt_from_echo(segment);
    }
    retries_ = 0;
    congestion_on_ack(acked, now);
    // RFC 6298 §5.2, §5.3: stop the timer when all is acknowledged,
    // otherwise restart it.
    if (flight_size() == 0) {
        if (!persisting_) retransmit_at_ = 0;
    } else {
        persisting_ = false;
        arm_retransmit(now);
    }
    owner_->connection_changed(*this);  // space in the send buffer
}

// §3.10.7.4 step 5's window update: only from a segment newer than the
// one that set the window last.
void Connection::update_window(const InSegment& segment) {
    bool newer = seq_lt(snd_wl1_, segment.sequence) ||
                 (snd_wl1_ == segment.sequence && seq_le(snd_wl2_, segment.acknowledgment));
    if (!newer) return;
    snd_wnd_ = std::uint32_t{segment.window} << snd_scale_;
    if (snd_wnd_ > max_snd_wnd_) max_snd_wnd_ = snd_wnd_;
    snd_wl1_ = segment.sequence;
    snd_wl2_ = segment.acknowledgment;
}

// Step 7: bytes go into the receive buffer at their place after RCV.NXT,
// as many as the window and the buffer hold. Bytes beyond a gap are held
// there too (their range noted), and an immediate duplicate ACK asks for
// what is missing (RFC 5681 §4.2); when the gap fills, RCV.NXT moves past
// all that is contiguous and the ACK goes at once (§4.2 again).
void Connection::input_text(const InSegment& segment, std::uint32_t sequence, std::size_t skip,
                            std::size_t length, std::uint64_t now) {
    std::size_t offset = sequence - rcv_nxt_;
    std::size_t window = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    std::size_t room = window < receive_.space() ? window : receive_.space();
    if (offset >= room) {
        ack_now_ = true;  // all of it beyond the window
        return;
    }
    if (length > room - offset) length = room - offset;
    bool in_order = offset == 0;
    if (!in_order && !hold_range(sequence, sequence + static_cast<std::uint32_t>(length))) {
        ack_now_ = true;  // no room to note another range: the peer sends it again
        return;
    }
    ByteRing::Span spans[2];
    std::size_t count = receive_.free_spans(offset, length, spans);
    std::size_t copied = 0;
    for (std::size_t i = 0; i < count; ++i) {
        copy_from_chain(segment.payload, segment.payload_skip + skip + copied, spans[i].bytes, spans[i].length);
        copied += spans[i].length;
    }
    if (length < segment.payload_length - skip) ack_now_ = true;  // some fell outside the window
    if (!in_order) {
        ack_now_ = true;
        return;
    }
    receive_.commit(length);
    rcv_nxt_ += static_cast<std::uint32_t>(length);
    if (held_count_ > 0) {
        take_held_ranges();
        ack_now_ = true;
    }
    if (length > 0) {
        schedule_ack(now, length >= send_mss_);
        owner_->connection_changed(*this);
    }
}

// Notes [first, end) as held, merged with the ranges it touches; false if
// it would be one range too many.
bool Connection::hold_range(std::uint32_t first, std::uint32_t end) {
    for (unsigned i = 0; i < held_count_;) {
        HeldRange& range = held_[i];
        bool touches = seq_le(range.first, end) && seq_le(first, range.end);
        if (!touches) {
            ++i;
            continue;
        }
        if (seq_lt(range.first, first)) first = range.first;
        if (seq_gt(range.end, end)) end = range.end;
        held_[i] = held_[--held_count_];  // merged in: look at the rest again
    }
    if (held_count_ == kMaxHeldRanges) return false;
    held_[held_count_++] = {first, end, ++held_arrivals_};
    return true;
}

// RCV.NXT moved: the held ranges it reached become in-order data.
void Connection::take_held_ranges() {
    for (bool moved = true; moved;) {
        moved = false;
        for (unsigned i = 0; i < held_count_; ++i) {
            HeldRange range = held_[i];
            if (seq_gt(range.first, rcv_nxt_)) continue;
            if (seq_gt(range.end, rcv_nxt_)) {
                receive_.commit(range.end - rcv_nxt_);
                rcv_nxt_ = range.end;
            }
            held_[i] = held_[--held_count_];
            moved = true;
            break;
        }
    }
}

// Step 8.
void Connection::input_fin(std::uint64_t now) {
    fin_received_ = true;
    rcv_nxt_ += 1;
    ack_now_ = true;
    bool fin_acked = fin_queued_ && fin_sent_ && snd_una_ == snd_max_;
    switch (state_) {
        case State::kSynReceived:
        case State::kEstablished: enter(State::kCloseWait); break;
        case State::kFinWait1:
            if (!fin_acked) {
                enter(State::kClosing);
                break;
            }
            [[fallthrough]];
        case State::kFinWait2:
            enter(State::kTimeWait);
            state_deadline_ = hal_deadline(now, settings_->time_wait_ns);
            break;
        default: owner_->connection_changed(*this); break;
    }
}

}  // namespace toro::net::tcp
