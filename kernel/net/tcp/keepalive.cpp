// Keepalive (RFC 1122 §4.2.3.6, RFC 9293 §3.8.4): a connection idle for
// the idle time sends a probe, an ACK numbered SND.NXT - 1 carrying no
// data, which a live peer must answer (the byte is old: step 1 of SEGMENT
// ARRIVES answers with an ACK) and a rebooted one answers with a RST.
// Unanswered, probes follow at the interval, and after the last one the
// connection is given up with kTimedOut, as Linux does (with a RST).
#include "net/tcp/connection.h"

namespace toro::net::tcp {

namespace {

// Where a probe makes sense: synchronized, and nothing in flight or
// waiting (the retransmission and persist timers watch the peer then, and
// give up on their own).
bool keepalive_state(State state) {
    return state == State::kEstablished || state == State::kCloseWait || state == State::kFinWait2;
}

}  // namespace

void Connection::set_keepalive(const KeepaliveSettings& keepalive, std::uint64_t now) {
    now_ = now;
    keepalive_ = keepalive;
    keepalive_probes_ = 0;
    keepalive_at_ = keepalive_.enabled ? hal_deadline(now, keepalive_.idle_ns) : 0;
}

// Any acceptable segment shows the peer alive: the idle time starts again.
void Connection::heard_from_peer(std::uint64_t now) {
    keepalive_probes_ = 0;
    if (keepalive_.enabled) keepalive_at_ = hal_deadline(now, keepalive_.idle_ns);
}

void Connection::on_keepalive_timeout(std::uint64_t now) {
    if (!keepalive_.enabled || !keepalive_state(state_)) return;
    if (flight_size() > 0 || unsent_bytes() > 0) {
        keepalive_probes_ = 0;
        keepalive_at_ = hal_deadline(now, keepalive_.idle_ns);
        return;
    }
    if (keepalive_probes_ >= keepalive_.probes) {
        send_reset();
        owner_->count(ConnectionOwner::Counter::kKeepaliveTimeout);
        close_with(Error::kTimedOut);
        return;
    }
    send_control(kAck, snd_nxt_ - 1);
    ++keepalive_probes_;
    keepalive_at_ = hal_deadline(now, keepalive_.interval_ns);
}

}  // namespace toro::net::tcp
