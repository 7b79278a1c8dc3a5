// TcpSettings' FreeBSD rules (connection.h): drop_syn_fin, RFC 1337's
// time_wait_ignores_rst, and the rules where FreeBSD departs from RFC 9293
// that tests/tcp_scripts' freebsd profile turns on. Each test shows the
// rule's effect against the RFC's behaviour, which the defaults keep.
#include "tcp_fixture.h"

namespace {

using toro::net::tcp::TcpSettings;

class TcpFreebsdRules : public Tcp {
protected:
    template <typename Change>
    void with_settings(Change change) {
        TcpSettings settings = stack_->tcp_settings();
        change(settings);
        stack_->set_tcp_settings(settings);
    }
    // Toro closes first, the peer's FIN crosses ours: CLOSING. Returns
    // the socket; our FIN is at toro_isn_ + 1, the peer's at kPeerIsn + 1;
    // the answer to the peer's FIN is left unread.
    int closing() {
        int socket = established();
        EXPECT_EQ(stack_->tcp_shutdown(socket, now_), Error::kOk);
        EXPECT_EQ(only_sent().tcp_flags, kFin | kAck);
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kFin | kAck);  // not acknowledging ours
        EXPECT_EQ(stack_->tcp_state(socket).value(), State::kClosing);
        return socket;
    }
    // The peer closes first, then Toro: LAST-ACK.
    int last_ack() {
        int socket = established();
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kFin | kAck);
        sent();
        EXPECT_EQ(stack_->tcp_shutdown(socket, now_), Error::kOk);
        EXPECT_EQ(only_sent().tcp_flags, kFin | kAck);
        EXPECT_EQ(stack_->tcp_state(socket).value(), State::kLastAck);
        return socket;
    }
    // Toro closes first and the peer answers: TIME-WAIT.
    int time_wait() {
        int socket = established();
        EXPECT_EQ(stack_->tcp_shutdown(socket, now_), Error::kOk);
        sent();
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 2, kFin | kAck);
        EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 2);
        EXPECT_EQ(stack_->tcp_state(socket).value(), State::kTimeWait);
        return socket;
    }
    Error error_of(int socket) {
        Bytes buffer(8);
        auto received = stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_);
        return received.ok() ? Error::kOk : received.error();
    }
};

TEST_F(TcpFreebsdRules, DropSynFinDropsItAtAListenerAndInSynSent) {
    listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn | kFin, {}, 65535, linux_syn_options());
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);  // RFC 9293: a SYN, its FIN aside
    with_settings([](TcpSettings& s) { s.drop_syn_fin = true; });
    peer_sends(80, kPeerIsn, 0, kSyn | kFin, {}, 65535, linux_syn_options(), kPeerPort + 1);
    EXPECT_TRUE(sent().empty());
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    peer_sends(syn.source_port, 7000, 0, kSyn | kFin, {}, 29200, linux_syn_options(), 8080);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->tcp_state(*socket).value(), State::kSynSent);
}

TEST_F(TcpFreebsdRules, TimeWaitIgnoresRstsWithRfc1337) {
    int socket = time_wait();
    with_settings([](TcpSettings& s) { s.time_wait_ignores_rst = true; });
    peer_sends(80, kPeerIsn + 2, 0, kRst);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kTimeWait);
    with_settings([](TcpSettings& s) { s.time_wait_ignores_rst = false; });
    peer_sends(80, kPeerIsn + 2, 0, kRst);  // RFC 9293 §3.10.7.4: it closes
    EXPECT_NE(stack_->tcp_state(socket).value(), State::kTimeWait);
}

// No window scaling (the peer offers none) and a 100000-byte buffer: 65535
// is advertised, the buffer's space is the window with the rule on.
TEST_F(TcpFreebsdRules, WindowIsBufferSpaceTakesARstPastTheAdvertisedEdge) {
    StackLimits limits;
    limits.tcp_receive_buffer_bytes = 100000;
    stack_ = std::make_unique<Stack>();
    start(limits);
    with_settings([](TcpSettings& s) { s.challenge_rst = false; });
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, {2, 4, 0x05, 0xB4});
    toro_isn_ = only_sent().sequence;
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    int socket = *stack_->tcp_accept(listener, nullptr, now_);
    peer_sends(80, kPeerIsn + 1 + 70000, 0, kRst);  // past 65535: dropped
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    with_settings([](TcpSettings& s) {
        s.challenge_rst = false;
        s.window_is_buffer_space = true;
    });
    peer_sends(80, kPeerIsn + 1 + 100000, 0, kRst);  // past the buffer: still dropped
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    peer_sends(80, kPeerIsn + 1 + 70000, 0, kRst);  // in the buffer: resets
    EXPECT_EQ(error_of(socket), Error::kConnectionReset);
}

TEST_F(TcpFreebsdRules, FinOnEverySegmentSendsTheFinAtItsOwnNumber) {
    int socket = established();
    with_settings([](TcpSettings& s) { s.fin_on_every_segment = true; });
    ASSERT_EQ(stack_->tcp_shutdown(socket, now_), Error::kOk);
    sent();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kFin | kAck);
    Parsed answer = only_sent();
    EXPECT_EQ(answer.tcp_flags, kFin | kAck);
    EXPECT_EQ(answer.sequence, toro_isn_ + 1);  // not SND.NXT (toro_isn_ + 2)
    EXPECT_EQ(answer.acknowledgment, kPeerIsn + 2);
    peer_sends(80, kPeerIsn + 2, toro_isn_ + 2, kAck);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kTimeWait);
}

TEST_F(TcpFreebsdRules, WithoutTheRuleAFinInFinWait1IsAcknowledgedAtSndNxt) {
    closing();
    Parsed answer = only_sent();
    EXPECT_EQ(answer.tcp_flags, kAck);
    EXPECT_EQ(answer.sequence, toro_isn_ + 2);
}

TEST_F(TcpFreebsdRules, ARstInClosingEndsItWithoutAResetSignal) {  // RFC 9293 §3.10.7.4
    int socket = closing();
    peer_sends(80, kPeerIsn + 2, 0, kRst);
    EXPECT_EQ(stack_->tcp_connect_status(socket), Error::kNotConnected);
}

TEST_F(TcpFreebsdRules, ResetReportedAfterFinTellsTheUserOfARstInLastAck) {
    with_settings([](TcpSettings& s) { s.reset_reported_after_fin = true; });
    int socket = last_ack();
    peer_sends(80, kPeerIsn + 2, 0, kRst);
    EXPECT_EQ(stack_->tcp_connect_status(socket), Error::kConnectionReset);
}

// The peer's ACK of our FIN reuses its own FIN's number (1:1, RCV.NXT 2).
TEST_F(TcpFreebsdRules, OldSegmentsAcknowledgeTakesTheAckOfADuplicate) {
    int rfc = last_ack();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 2, kAck);
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 2);  // unacceptable: answered, dropped
    EXPECT_EQ(stack_->tcp_state(rfc).value(), State::kLastAck);
    with_settings([](TcpSettings& s) { s.old_segments_acknowledge = true; });
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 2, kAck, {}, 65535, {}, kPeerPort);
    EXPECT_TRUE(sent().empty());  // LAST-ACK ended, silently
    EXPECT_EQ(stack_->stats().tcp_connections, 0u);
}

TEST_F(TcpFreebsdRules, OldSegmentsAcknowledgeStillAnswersInEstablished) {
    with_settings([](TcpSettings& s) { s.old_segments_acknowledge = true; });
    int socket = established();
    Bytes data(100, 'x');
    ASSERT_EQ(stack_->tcp_send(socket, data.data(), data.size(), now_).value(), data.size());
    sent();
    peer_sends(80, kPeerIsn, toro_isn_ + 101, kAck);  // a keep-alive's number, acknowledging the data
    Parsed answer = only_sent();
    EXPECT_EQ(answer.tcp_flags, kAck);
    EXPECT_EQ(answer.acknowledgment, kPeerIsn + 1);
    advance(10 * kSecond);  // nothing to retransmit: the data was acknowledged
    EXPECT_TRUE(sent().empty());
}

// Found by tcp_connection_fuzz: what the duplicate's ACK let go (window-
// limited data, all in flight acknowledged) must still be sent; nothing
// else would send it, as no timer was left running.
TEST_F(TcpFreebsdRules, OldSegmentsAcknowledgeSendsWhatTheAckLetGo) {
    with_settings([](TcpSettings& s) { s.old_segments_acknowledge = true; });
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 12);  // 12 << 7: one segment and a bit
    Bytes data(3000, 'x');
    ASSERT_EQ(stack_->tcp_send(socket, data.data(), data.size(), now_).value(), data.size());
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].payload.size(), 1460u);
    peer_sends(80, kPeerIsn, toro_isn_ + 1 + 1460, kAck, {}, 12);  // old: its ACK is taken
    auto after = sent();
    ASSERT_EQ(after.size(), 2u);
    EXPECT_TRUE(after[0].payload.empty());  // the answer to the duplicate
    EXPECT_EQ(after[1].sequence, toro_isn_ + 1 + 1460);
    EXPECT_EQ(after[1].payload.size(), 1460u);
}

TEST_F(TcpFreebsdRules, TimeWaitDropsWithoutAckDropsAFinWithoutAck) {
    time_wait();
    peer_sends(80, kPeerIsn + 1 + 70000, 0, kFin);  // outside: RFC 9293 answers
    EXPECT_EQ(only_sent().tcp_flags, kAck);
    advance(kSecond);  // past the rate limit on answers
    with_settings([](TcpSettings& s) { s.time_wait_drops_without_ack = true; });
    peer_sends(80, kPeerIsn + 1 + 70000, 0, kFin);
    EXPECT_TRUE(sent().empty());
}

TEST_F(TcpFreebsdRules, TimeExceededAbortsConnectEndsAHandshakeOnTtlExceeded) {
    constexpr std::uint8_t kTimeExceeded = 11;
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    icmp_error_for(syn, kTimeExceeded, 0, syn.sequence);  // RFC 1122: soft
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    with_settings([](TcpSettings& s) { s.time_exceeded_aborts_connect = true; });
    icmp_error_for(syn, kTimeExceeded, 1, syn.sequence);  // reassembly time exceeded: not this rule
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    icmp_error_for(syn, kTimeExceeded, 0, syn.sequence + 1);  // not a number in flight
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    icmp_error_for(syn, kTimeExceeded, 0, syn.sequence);
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kHostUnreachable);
}

// A 65700-byte buffer (FreeBSD's 45 segments) at window scale 6: 65690
// bytes free after 10 are in is 1026.4 units.
TEST_F(TcpFreebsdRules, WindowRoundedUpOffersTheLastPartialUnit) {
    StackLimits limits;
    limits.tcp_receive_buffer_bytes = 65700;
    auto window_after_ten_bytes = [&](bool rounded_up) {
        stack_ = std::make_unique<Stack>();
        start(limits);
        with_settings([&](TcpSettings& s) {
            s.min_window_scale = 6;
            s.window_rounded_up = rounded_up;
        });
        established();
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck | kPsh, Bytes(10, 'x'));
        advance(100 * kMs);  // the delayed ACK
        return only_sent().window;
    };
    EXPECT_EQ(window_after_ten_bytes(false), 1026);  // never more than the buffer holds
    EXPECT_EQ(window_after_ten_bytes(true), 1027);
}

TEST_F(TcpFreebsdRules, ListenerDropsSynAckLeavesASynAckAtAListenerUnanswered) {
    listen(80);
    peer_sends(80, kPeerIsn, 5000, kSyn | kAck, {}, 65535, linux_syn_options());
    Parsed reset = only_sent();  // RFC 9293 §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>
    EXPECT_EQ(reset.tcp_flags, kRst);
    EXPECT_EQ(reset.sequence, 5000u);
    with_settings([](TcpSettings& s) { s.listener_drops_syn_ack = true; });
    peer_sends(80, kPeerIsn, 5000, kSyn | kAck, {}, 65535, linux_syn_options());
    EXPECT_TRUE(sent().empty());
    peer_sends(80, kPeerIsn, 5000, kAck);  // a plain ACK still gets its RST
    EXPECT_EQ(only_sent().tcp_flags, kRst);
}

}  // namespace
