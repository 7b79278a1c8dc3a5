// RFC 7323's timestamps, once both SYNs carried TSopt (§3.2): each segment
// sent carries TSval (a millisecond clock, offset per connection) and
// TSecr (TS.Recent, the peer's TSval to echo); each one received may
// update TS.Recent (§4.3), give an RTT sample from its echo (§4.2), and
// is checked by PAWS (§5), which drops old duplicates whose sequence
// numbers came round again. A segment without TSopt is taken as if the
// option had not been agreed (§3.2 lets a receiver accept it; Linux does).
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

namespace {

// §5.5: after 24 days idle TSvals may have wrapped past half their space
// (at 1 ms a tick, 2^31 ticks), so TS.Recent no longer says what is old.
constexpr std::uint64_t kTimestampRecentLife = 24ull * 24 * 3600 * 1'000'000'000;

}  // namespace

std::uint32_t Connection::timestamp_now() const {
    return timestamp_clock(now_, timestamp_offset_);
}

// §5.3 R1: a TSval older than TS.Recent marks an old duplicate, unless it
// is a RST (its TSval may be stale: it is checked by its sequence number)
// or TS.Recent is too old to judge by (§5.5).
bool Connection::paws_rejects(const InSegment& segment) const {
    if (!timestamps_ || !segment.options.has_timestamps || (segment.flags & kRst) != 0) return false;
    if (now_ - ts_recent_at_ > kTimestampRecentLife) return false;
    return seq_lt(segment.options.timestamp_value, ts_recent_);
}

// §4.3: TS.Recent follows the segments that reach the left edge of the
// window (SEG.SEQ <= Last.ACK.sent), so what is echoed is the TSval of the
// earliest segment an ACK covers, and a delayed ACK's RTT counts its delay.
void Connection::take_timestamp(const InSegment& segment) {
    if (!timestamps_ || !segment.options.has_timestamps) return;
    std::uint32_t value = segment.options.timestamp_value;
    bool recent_valid = now_ - ts_recent_at_ <= kTimestampRecentLife;
    if (recent_valid && seq_lt(value, ts_recent_)) return;  // an old RST
    if (!seq_le(segment.sequence, last_ack_sent_)) return;
    ts_recent_ = value;
    ts_recent_at_ = now_;
}

// §4.2's RTTM: the time since the TSval the peer echoes. An echo of 0 is
// taken for none (Linux sends none otherwise), and one from the future or
// older than the largest RTO is not ours to trust.
bool Connection::rtt_from_echo(const InSegment& segment) {
    if (!timestamps_ || !segment.options.has_timestamps || segment.options.timestamp_echo == 0) {
        return false;
    }
    std::uint32_t ticks = timestamp_now() - segment.options.timestamp_echo;
    if (static_cast<std::int32_t>(ticks) < 0) return false;
    std::uint64_t rtt = std::uint64_t{ticks} * kTimestampTickNs;
    if (rtt > settings_->max_rto_ns) return false;
    rtt_sample(rtt);
    return true;
}

}  // namespace toro::net::tcp
