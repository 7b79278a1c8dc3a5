// SYN cookies (RFC 4987 §3.6, kernel/net/tcp/syn_cookies.cpp): a
// listener's SYN-ACK that keeps no state, and the ACK that brings it back.
#include "tcp_fixture.h"

namespace {

using toro::net::tcp::SynCookies;
using toro::net::tcp::TcpSettings;

class TcpSynCookies : public Tcp {
protected:
    void set_cookies(SynCookies mode) {
        TcpSettings settings = stack_->tcp_settings();
        settings.syn_cookies = mode;
        stack_->set_tcp_settings(settings);
    }
    // A Linux peer's SYN with timestamps (TSval 500, window scale 7) from
    // `peer_port` to port 80; returns the SYN-ACK and its TSval.
    Parsed syn_from(std::uint16_t peer_port, std::uint32_t* tsval = nullptr) {
        peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options_with_timestamps(500), peer_port);
        Parsed syn_ack = only_sent();
        std::uint32_t value = 0, echo = 0;
        EXPECT_TRUE(timestamps_in(syn_ack.tcp_options, &value, &echo));
        EXPECT_EQ(echo, 500u);
        if (tsval != nullptr) *tsval = value;
        return syn_ack;
    }
    // The handshake's third segment, carrying `data`, echoing `tsval`.
    void ack_cookie(std::uint16_t peer_port, const Parsed& syn_ack, std::uint32_t tsval, const Bytes& data = {},
                    std::uint32_t peer_sequence = kPeerIsn + 1) {
        peer_sends(80, peer_sequence, syn_ack.sequence + 1, kAck | (data.empty() ? 0 : kPsh), data, 1000,
                   timestamp_option(501, tsval), peer_port);
    }
};

TEST_F(TcpSynCookies, ACookieKeepsNothingUntilItsAckOpensTheConnection) {
    set_cookies(SynCookies::kAlways);
    int listener = listen(80);
    std::uint32_t tsval = 0;
    Parsed syn_ack = syn_from(kPeerPort, &tsval);
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_EQ(syn_ack.acknowledgment, kPeerIsn + 1);
    EXPECT_EQ(stack_->stats().tcp_connections, 0u);
    EXPECT_EQ(stack_->stats().tcp_syn_cookies_sent, 1u);
    ack_cookie(kPeerPort, syn_ack, tsval, Bytes{'h', 'i'});
    EXPECT_EQ(stack_->stats().tcp_syn_cookies_accepted, 1u);
    auto socket = stack_->tcp_accept(listener, nullptr, now_);
    ASSERT_TRUE(socket.ok());
    Bytes buffer(16);
    auto received = stack_->tcp_receive(*socket, buffer.data(), buffer.size(), now_);
    ASSERT_TRUE(received.ok());
    EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + static_cast<long>(*received)), (Bytes{'h', 'i'}));
    // What the cookie kept: the peer's MSS (1460, less TSopt's 12), its
    // window scale (7: 1000 << 7 lets 3 segments go), timestamps that go
    // on from the SYN-ACK's.
    Bytes data(3 * 1448, 'd');
    ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
    auto segments = sent();
    ASSERT_EQ(segments.size(), 3u);
    for (const Parsed& segment : segments) {
        EXPECT_EQ(segment.payload.size(), 1448u);
        std::uint32_t value = 0, echo = 0;
        ASSERT_TRUE(timestamps_in(segment.tcp_options, &value, &echo));
        EXPECT_GE(value, tsval);
        EXPECT_LE(value - tsval, 64u);
        EXPECT_EQ(echo, 501u);
    }
    EXPECT_EQ(segments[0].sequence, syn_ack.sequence + 1);
    EXPECT_EQ(segments[0].acknowledgment, kPeerIsn + 3);
}

// An ACK whose number, or whose sequence number, the cookie was not made
// for is a segment for no connection: a RST, and nothing kept.
TEST_F(TcpSynCookies, AForgedAckOpensNothing) {
    set_cookies(SynCookies::kAlways);
    listen(80);
    std::uint32_t tsval = 0;
    Parsed syn_ack = syn_from(kPeerPort, &tsval);
    Parsed wrong = syn_ack;
    wrong.sequence += 1;  // acknowledges ISS + 2
    ack_cookie(kPeerPort, wrong, tsval);
    EXPECT_EQ(only_sent().tcp_flags, kRst);
    ack_cookie(kPeerPort, syn_ack, tsval, {}, kPeerIsn + 7);  // another peer ISN
    EXPECT_EQ(only_sent().tcp_flags, kRst);
    ack_cookie(kPeerPort + 1, syn_ack, tsval);  // another port
    EXPECT_EQ(only_sent().tcp_flags, kRst);
    EXPECT_EQ(stack_->stats().tcp_connections, 0u);
    EXPECT_EQ(stack_->stats().tcp_syn_cookies_accepted, 0u);
}

// A cookie holds for the 64 s period it was made in and the next.
TEST_F(TcpSynCookies, ACookieIsTakenForOneToTwoPeriods) {
    set_cookies(SynCookies::kAlways);
    int listener = listen(80);
    std::uint32_t tsval = 0;
    Parsed late = syn_from(kPeerPort, &tsval);
    Parsed early = syn_from(kPeerPort + 1);
    advance(60 * kSecond);  // now_ starts at 1000 s, in period 15: this is 16
    ack_cookie(kPeerPort + 1, early, tsval);
    EXPECT_TRUE(stack_->tcp_accept(listener, nullptr, now_).ok());
    advance(70 * kSecond);  // period 17: made two periods ago
    syn_from(kPeerPort + 2);  // a cookie sent lately: the ACK's is checked, not ignored
    ack_cookie(kPeerPort, late, tsval);
    EXPECT_EQ(only_sent().tcp_flags, kRst);
    EXPECT_EQ(stack_->tcp_accept(listener, nullptr, now_).error(), Error::kWouldBlock);
}

// kWhenFull (the default): the backlog's half-open connections are kept,
// and SYNs past it get cookies; a cookie's ACK takes the place of the
// oldest half-open one (a completed handshake outranks it).
TEST_F(TcpSynCookies, AFullBacklogAnswersWithCookiesAndKeepsItsConnections) {
    int listener = listen(80, 2);
    syn_from(30000);
    syn_from(30001);
    EXPECT_EQ(stack_->stats().tcp_syn_cookies_sent, 0u);
    std::uint32_t tsval = 0;
    Parsed cookie = syn_from(30002, &tsval);
    EXPECT_EQ(stack_->stats().tcp_syn_cookies_sent, 1u);
    EXPECT_EQ(stack_->stats().tcp_connections, 2u);
    ack_cookie(30002, cookie, tsval);
    EXPECT_EQ(stack_->stats().tcp_connections, 2u);
    EXPECT_TRUE(stack_->tcp_tables_consistent());
    Endpoint from;
    auto accepted = stack_->tcp_accept(listener, &from, now_);
    ASSERT_TRUE(accepted.ok());
    EXPECT_EQ(from.port, 30002);
}

// Without timestamps there is nowhere to keep the other options: the
// SYN-ACK offers the MSS alone, and the connection has no window scaling.
TEST_F(TcpSynCookies, WithoutTimestampsACookieOffersTheMssAlone) {
    set_cookies(SynCookies::kAlways);
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_options, (Bytes{2, 4, 0x05, 0xB4}));
    peer_sends(80, kPeerIsn + 1, syn_ack.sequence + 1, kAck, {}, 2920);
    auto socket = stack_->tcp_accept(listener, nullptr, now_);
    ASSERT_TRUE(socket.ok());
    Bytes data(3000, 'd');
    ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
    auto segments = sent();
    ASSERT_EQ(segments.size(), 2u);  // 2920 bytes of window, unscaled: two segments
    EXPECT_EQ(segments[0].payload.size(), 1460u);
    EXPECT_EQ(segments[1].payload.size(), 1460u);
    EXPECT_TRUE(segments[0].tcp_options.empty());
}

// The peer's MSS is rounded down to one the cookie can say.
TEST_F(TcpSynCookies, TheCookieKeepsThePeersMssRoundedDown) {
    set_cookies(SynCookies::kAlways);
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, Bytes{2, 4, 0x05, 0x00});  // MSS 1280
    Parsed syn_ack = only_sent();
    peer_sends(80, kPeerIsn + 1, syn_ack.sequence + 1, kAck, {}, 65535);
    auto socket = stack_->tcp_accept(listener, nullptr, now_);
    ASSERT_TRUE(socket.ok());
    Bytes data(2000, 'd');
    ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
    auto segments = sent();
    ASSERT_FALSE(segments.empty());
    EXPECT_EQ(segments[0].payload.size(), 1220u);
}

}  // namespace
