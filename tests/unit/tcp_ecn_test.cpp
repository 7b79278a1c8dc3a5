// ECN (RFC 3168 §6.1) in TCP: agreed in the handshake, new data sent
// ECN-capable, a CE mark echoed until CWR, and an echo answered by a
// reduction once a window.
#include "tcp_fixture.h"

namespace {

using toro::net::tcp::EcnMode;
using toro::net::tcp::TcpSettings;

constexpr std::uint8_t kEce = 0x40, kCwr = 0x80;
constexpr std::uint8_t kNotEct = 0, kEct0 = 2, kCe = 3;

class TcpEcn : public Tcp {
protected:
    void set_ecn(EcnMode mode) {
        TcpSettings settings = stack_->tcp_settings();
        settings.ecn = mode;
        stack_->set_tcp_settings(settings);
    }
    // A peer that asks for ECN connects to port 80; returns the accepted
    // socket, the SYN-ACK in syn_ack_.
    int ecn_established() {
        int listener = listen(80);
        peer_sends(80, kPeerIsn, 0, kSyn | kEce | kCwr, {}, 65535, linux_syn_options());
        syn_ack_ = only_sent();
        toro_isn_ = syn_ack_.sequence;
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
        auto accepted = stack_->tcp_accept(listener, nullptr, now_);
        EXPECT_TRUE(accepted.ok());
        sent();
        return accepted.ok() ? *accepted : -1;
    }
    // `count` full segments of new data from Toro.
    std::vector<Parsed> send_segments(int socket, std::size_t count) {
        Bytes data(count * 1460, 'e');
        EXPECT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
        return sent();
    }
    Parsed syn_ack_;
};

std::uint8_t ecn_of(const Parsed& segment) { return segment.type_of_service & 3; }

TEST_F(TcpEcn, AnEcnSetupSynIsAgreedWithEceAloneAndNewDataGoesEct0) {
    int socket = ecn_established();
    EXPECT_EQ(syn_ack_.tcp_flags, kSyn | kAck | kEce);
    EXPECT_EQ(ecn_of(syn_ack_), kNotEct);  // §6.1.1: never a SYN-ACK
    auto data = send_segments(socket, 2);
    ASSERT_EQ(data.size(), 2u);
    for (const Parsed& segment : data) {
        EXPECT_EQ(ecn_of(segment), kEct0);
        EXPECT_EQ(segment.tcp_flags & (kEce | kCwr), 0);
    }
    // A pure ACK is not ECN-capable (§6.1.4).
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck | kPsh, Bytes(1460, 'p'));
    peer_sends(80, kPeerIsn + 1461, toro_isn_ + 1, kAck | kPsh, Bytes(1460, 'p'));
    Parsed ack = only_sent();
    EXPECT_EQ(ack.payload.size(), 0u);
    EXPECT_EQ(ecn_of(ack), kNotEct);
}

TEST_F(TcpEcn, APeerThatDoesNotAskGetsNoEcn) {
    int socket = established();
    auto data = send_segments(socket, 1);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(ecn_of(data[0]), kNotEct);
    // ECE alone is no ECN-setup SYN (it needs CWR too).
    int listener = listen(81);
    peer_sends(81, kPeerIsn, 0, kSyn | kEce, {}, 65535, linux_syn_options());
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);
    (void)listener;
}

TEST_F(TcpEcn, WithEcnOffAnEcnSetupSynIsNotAgreed) {
    set_ecn(EcnMode::kOff);
    int socket = ecn_established();
    EXPECT_EQ(syn_ack_.tcp_flags, kSyn | kAck);
    auto data = send_segments(socket, 1);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(ecn_of(data[0]), kNotEct);
}

// kRequest: the SYN asks (ECE and CWR), its first retransmission too
// (ecn_syn_retries, 1), then no more (§6.1.1.1); a SYN-ACK with ECE alone
// agrees.
TEST_F(TcpEcn, ARequestingSynAsksUntilItsRetriesRunOut) {
    set_ecn(EcnMode::kRequest);
    auto socket = stack_->tcp_open();
    ASSERT_TRUE(socket.ok());
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    EXPECT_EQ(syn.tcp_flags, kSyn | kEce | kCwr);
    advance(kSecond);
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kEce | kCwr);
    advance(2 * kSecond);
    EXPECT_EQ(only_sent().tcp_flags, kSyn);
}

TEST_F(TcpEcn, ASynAckWithEceAloneAgreesToARequestingSyn) {
    set_ecn(EcnMode::kRequest);
    for (std::uint8_t answer : {std::uint8_t{kEce}, std::uint8_t{kEce | kCwr}}) {
        auto socket = stack_->tcp_open();
        ASSERT_TRUE(socket.ok());
        ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
        Parsed syn = only_sent();
        peer_sends(syn.source_port, 7000, syn.sequence + 1, kSyn | kAck | answer, {}, 29200,
                   linux_syn_options(), 8080);
        sent();
        Bytes data(100, 'd');
        ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
        Parsed segment = only_sent();
        // ECE and CWR together in a SYN-ACK is no agreement (§6.1.1).
        EXPECT_EQ(ecn_of(segment), answer == kEce ? kEct0 : kNotEct) << int{answer};
    }
}

// §6.1.3: a CE mark is echoed in an immediate ACK, and in every ACK after
// until the peer's CWR; a mark arriving with the CWR is echoed anew.
TEST_F(TcpEcn, ACeMarkIsEchoedUntilTheSendersCwr) {
    ecn_established();
    std::uint32_t sequence = kPeerIsn + 1;
    auto peer_data = [&](std::uint8_t ecn, std::uint8_t flags) {
        peer_ecn_ = ecn;
        peer_sends(80, sequence, toro_isn_ + 1, kAck | flags, Bytes(100, 'c'));
        sequence += 100;
        peer_ecn_ = kNotEct;
        advance(kSecond);  // past the delayed ACK
        return only_sent();
    };
    EXPECT_EQ(peer_data(kEct0, 0).tcp_flags, kAck);
    peer_ecn_ = kCe;
    peer_sends(80, sequence, toro_isn_ + 1, kAck, Bytes(100, 'c'));
    sequence += 100;
    peer_ecn_ = kNotEct;
    Parsed echo = only_sent();  // at once, not delayed
    EXPECT_EQ(echo.tcp_flags, kAck | kEce);
    EXPECT_EQ(peer_data(kEct0, 0).tcp_flags, kAck | kEce);
    EXPECT_EQ(peer_data(kEct0, kCwr).tcp_flags, kAck);
    EXPECT_EQ(peer_data(kEct0, 0).tcp_flags, kAck);
    EXPECT_EQ(peer_data(kCe, kCwr).tcp_flags, kAck | kEce);
}

// §6.1.2: an ECE halves the window (ssthresh from the flight, cwnd to
// it), once a window: an ECE for data sent before the reduction changes
// nothing. The first new data after carries CWR; it and all new data are
// ECT(0).
TEST_F(TcpEcn, AnEchoReducesTheWindowOnceAWindowAndNewDataCarriesCwr) {
    int socket = ecn_established();
    auto first = send_segments(socket, 20);
    ASSERT_EQ(first.size(), 10u);  // RFC 6928's initial window
    std::uint32_t base = toro_isn_ + 1;
    // Two segments acknowledged with ECE: 8 in flight, ssthresh and cwnd
    // 4 segments (5840 bytes): nothing new may go.
    peer_sends(80, kPeerIsn + 1, base + 2 * 1460, kAck | kEce);
    EXPECT_TRUE(sent().empty());
    // The rest, ECE still set (the peer has not seen CWR): no second
    // reduction, which would leave 2 segments (2 x MSS, the floor).
    peer_sends(80, kPeerIsn + 1, base + 10 * 1460, kAck | kEce);
    auto after = sent();
    ASSERT_EQ(after.size(), 4u);
    EXPECT_EQ(after[0].sequence, base + 10 * 1460);
    EXPECT_EQ(after[0].tcp_flags & kCwr, kCwr);
    for (std::size_t i = 0; i < after.size(); ++i) {
        EXPECT_EQ(ecn_of(after[i]), kEct0);
        if (i > 0) EXPECT_EQ(after[i].tcp_flags & kCwr, 0) << i;
    }
}

// §6.1.5: a retransmission is not ECN-capable (its loss is not the
// network's congestion signal to the receiver).
TEST_F(TcpEcn, ARetransmissionIsNotEct) {
    int socket = ecn_established();
    auto data = send_segments(socket, 1);
    ASSERT_EQ(data.size(), 1u);
    EXPECT_EQ(ecn_of(data[0]), kEct0);
    advance(kSecond);
    Parsed again = only_sent();
    EXPECT_EQ(again.sequence, data[0].sequence);
    EXPECT_EQ(ecn_of(again), kNotEct);
}

}  // namespace
