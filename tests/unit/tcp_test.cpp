// TCP, driven as a peer would drive it: segments in through Stack::input
// on a virtual clock, segments out read from a MemoryNic with
// tests/support/net_frames (an independent reading of RFC 9293). No
// machine is booted and nothing sleeps. One behaviour a test, named after
// it; the bugs other stacks shipped are tests too, named by their issue.
#include "tcp_fixture.h"

namespace {

TEST_F(Tcp, AnswersASynToAClosedPortWithRst) {
    peer_sends(81, kPeerIsn, 0, kSyn);
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags, kRst | kAck);
    EXPECT_EQ(reset.sequence, 0u);
    EXPECT_EQ(reset.acknowledgment, kPeerIsn + 1);
    peer_sends(81, kPeerIsn, 5555, kAck);  // an ACK: the RST takes its number
    reset = only_sent();
    EXPECT_EQ(reset.tcp_flags, kRst);
    EXPECT_EQ(reset.sequence, 5555u);
    peer_sends(81, kPeerIsn, 0, kRst);  // never a RST for a RST
    EXPECT_TRUE(sent().empty());
}

TEST_F(Tcp, CompletesAPassiveOpenWithTheSynAckOptions) {
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_EQ(syn_ack.acknowledgment, kPeerIsn + 1);
    // MSS 1460, NOPs and SACK-permitted (the peer offered it; no
    // timestamps), then NOP and window scale (64 KiB buffer: scale 1).
    EXPECT_EQ(syn_ack.tcp_options, (Bytes{2, 4, 0x05, 0xB4, 1, 1, 4, 2, 1, 3, 3, 1}));
    EXPECT_EQ(stack_->tcp_accept(listener, nullptr, now_).error(), Error::kWouldBlock);
    peer_sends(80, kPeerIsn + 1, syn_ack.sequence + 1, kAck);
    Endpoint peer;
    auto accepted = stack_->tcp_accept(listener, &peer, now_);
    ASSERT_TRUE(accepted.ok());
    EXPECT_EQ(peer.address.value, kPeer);
    EXPECT_EQ(peer.port, kPeerPort);
    EXPECT_EQ(*stack_->tcp_state(*accepted), State::kEstablished);
}

TEST_F(Tcp, AnswersNoWindowScaleToAPeerThatOffersNone) {
    listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, {2, 4, 0x05, 0xB4});
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_options, (Bytes{2, 4, 0x05, 0xB4}));
}

TEST_F(Tcp, CompletesAnActiveOpen) {
    auto socket = stack_->tcp_open();
    ASSERT_TRUE(socket.ok());
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    EXPECT_EQ(syn.tcp_flags, kSyn);
    EXPECT_EQ(syn.destination_port, 8080);
    EXPECT_GE(syn.source_port, 49152);
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    TcpFields answer;
    peer_sends(syn.source_port, 7000, syn.sequence + 1, kSyn | kAck, {}, 29200, linux_syn_options(), 8080);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_EQ(ack.sequence, syn.sequence + 1);
    EXPECT_EQ(ack.acknowledgment, 7001u);
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kOk);
}

// TCP_NOOPT: a SYN without options agrees to none of the peer's (its
// timestamps go unechoed, its window unscaled), and a listener's
// connections answer with a bare SYN-ACK too.
TEST_F(Tcp, WithoutOptionsTheSynOffersNoneAndNoneIsAgreed) {
    auto socket = stack_->tcp_open();
    ASSERT_TRUE(socket.ok());
    ASSERT_EQ(stack_->tcp_set_no_options(*socket, true), Error::kOk);
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    EXPECT_EQ(syn.tcp_flags, kSyn);
    EXPECT_TRUE(syn.tcp_options.empty());
    peer_sends(syn.source_port, 7000, syn.sequence + 1, kSyn | kAck, {}, 29200,
               linux_syn_options_with_timestamps(500), 8080);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_TRUE(ack.tcp_options.empty());  // no TSopt: timestamps were not agreed
    Bytes data(100, 'x');
    ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
    Parsed segment = only_sent();
    EXPECT_EQ(segment.payload.size(), 100u);
    EXPECT_TRUE(segment.tcp_options.empty());

    int listener = listen(80);
    ASSERT_EQ(stack_->tcp_set_no_options(listener, true), Error::kOk);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options_with_timestamps(500));
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_TRUE(syn_ack.tcp_options.empty());
}

// IP_TTL and IP_TOS mark every segment a socket sends from when they are
// set, a listener's connections and the RSTs its port answers with too;
// the TOS byte's ECN bits stay TCP's (RFC 3168 §5).
TEST_F(Tcp, IpTtlAndTosMarkTheSegmentsASocketSends) {
    int socket = established();
    Bytes data(10, 'x');
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    Parsed before = only_sent();
    EXPECT_EQ(before.time_to_live, 64);
    EXPECT_EQ(before.type_of_service, 0);
    EXPECT_EQ(stack_->tcp_set_ip_option(socket, SocketOption::kTimeToLive, 0), Error::kInvalid);
    ASSERT_EQ(stack_->tcp_set_ip_option(socket, SocketOption::kTimeToLive, 5), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_ip_option(socket, SocketOption::kTypeOfService, 0x23), Error::kOk);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    advance(kSecond);  // past Nagle's wait: the first 10 bytes are unacknowledged
    Parsed after = sent().back();
    EXPECT_EQ(after.time_to_live, 5);
    EXPECT_EQ(after.type_of_service, 0x20);

    auto bound = stack_->tcp_open();
    ASSERT_TRUE(bound.ok());
    ASSERT_EQ(stack_->tcp_bind(*bound, {{0}, 81}), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_ip_option(*bound, SocketOption::kTimeToLive, 4), Error::kOk);
    peer_sends(81, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags, kRst | kAck);
    EXPECT_EQ(reset.time_to_live, 4);
    ASSERT_EQ(stack_->tcp_listen(*bound, 0), Error::kOk);
    peer_sends(81, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_EQ(syn_ack.time_to_live, 4);
}

TEST_F(Tcp, AConnectionToAClosedPortIsRefused) {
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    peer_sends(syn.source_port, 0, syn.sequence + 1, kRst | kAck, {}, 0, {}, 8080);
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kConnectionRefused);
}

// RFC 9293 §3.10.7.3: text in the SYN-ACK is taken as in ESTABLISHED
// (FreeBSD's tcp-testsuite, rcv-syn-ack-with-data-syn-sent, found it dropped).
TEST_F(Tcp, TakesTheDataOfASynAck) {
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    Bytes data = pattern(3, 9);
    peer_sends(syn.source_port, kPeerIsn, syn.sequence + 1, kSyn | kAck, data, 32767,
               {2, 4, 0x05, 0xB4}, 8080);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 1 + 3);
    Bytes received(16);
    auto got = stack_->tcp_receive(*socket, received.data(), received.size(), now_);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, 3u);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), received.begin()));
}

// §3.10.7.3: text in a SYN crossing ours (simultaneous open) waits for
// ESTABLISHED; the SYN-ACK acknowledges the SYN alone (FreeBSD's
// tcp-testsuite, rcv-syn-with-data-syn-sent, found it dropped).
TEST_F(Tcp, HoldsTheDataOfACrossingSynUntilEstablished) {
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    Bytes data = pattern(3, 4);
    peer_sends(syn.source_port, kPeerIsn, 0, kSyn, data, 32767, {2, 4, 0x05, 0xB4}, 8080);
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_EQ(syn_ack.acknowledgment, kPeerIsn + 1);
    Bytes received(16);
    EXPECT_EQ(stack_->tcp_receive(*socket, received.data(), received.size(), now_).error(),
              Error::kWouldBlock);
    peer_sends(syn.source_port, kPeerIsn + 1 + 3, syn.sequence + 1, kAck, {}, 32767, {}, 8080);
    auto got = stack_->tcp_receive(*socket, received.data(), received.size(), now_);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, 3u);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), received.begin()));
}

// RFC 1122 §4.2.3.9 and RFC 5461 §4.1: a hard ICMP error for our SYN ends
// the handshake; it must quote the SYN's sequence number (RFC 5927 §4.1),
// and a soft one (host unreachable) changes nothing.
TEST_F(Tcp, AnIcmpPortUnreachableForTheSynRefusesTheConnection) {
    auto socket = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    auto icmp_error = [&](std::uint8_t code, std::uint32_t sequence) {
        icmp_error_for(syn, 3, code, sequence);
    };
    icmp_error(3, syn.sequence + 1);  // not a sequence number in flight
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    icmp_error(1, syn.sequence);  // host unreachable: soft
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kWouldBlock);
    icmp_error(3, syn.sequence);  // port unreachable: hard
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kConnectionRefused);
}

TEST_F(Tcp, DeliversDataInOrderAndAcknowledgesEverySecondFullSegment) {
    int socket = established();
    Bytes first = pattern(1460, 1), second = pattern(1460, 2);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, first);
    EXPECT_TRUE(sent().empty());  // the ACK is delayed
    peer_sends(80, kPeerIsn + 1 + 1460, toro_isn_ + 1, kAck, second);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 1 + 2920);
    Bytes received(4000);
    auto length = stack_->tcp_receive(socket, received.data(), received.size(), now_);
    ASSERT_TRUE(length.ok());
    ASSERT_EQ(*length, 2920u);
    EXPECT_TRUE(std::equal(first.begin(), first.end(), received.begin()));
    EXPECT_TRUE(std::equal(second.begin(), second.end(), received.begin() + 1460));
}

TEST_F(Tcp, HoldsSegmentsBeyondAGapAndAcknowledgesPastThemWhenItFills) {
    int socket = established();
    Bytes data = pattern(3 * 1460, 12);
    auto part = [&](int i) { return Bytes(data.begin() + i * 1460, data.begin() + (i + 1) * 1460); };
    peer_sends(80, kPeerIsn + 1 + 2 * 1460, toro_isn_ + 1, kAck, part(2));
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 1);  // a duplicate ACK at once
    peer_sends(80, kPeerIsn + 1 + 1460, toro_isn_ + 1, kAck, part(1));
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 1);
    Bytes buffer(8192);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kWouldBlock);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, part(0));  // the gap fills
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 1 + 3 * 1460);  // past all, at once
    auto length = stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_);
    ASSERT_TRUE(length.ok());
    ASSERT_EQ(*length, data.size());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), buffer.begin()));
}

TEST_F(Tcp, HeldBytesKeepTheirPlaceAcrossTheBuffersWrap) {
    StackLimits limits;
    limits.tcp_receive_buffer_bytes = 4096;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int socket = established();
    Bytes data = pattern(5000, 13);
    Bytes buffer(8192);
    auto piece = [&](std::uint32_t from) {  // 1000 bytes of the stream
        peer_sends(80, kPeerIsn + 1 + from, toro_isn_ + 1, kAck, Bytes(data.begin() + from, data.begin() + from + 1000));
    };
    piece(0);
    piece(1000);
    ASSERT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 2000u);
    // 1000 bytes missing, then 2000 held: they run past the ring's end.
    piece(4000);
    piece(3000);
    ASSERT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kWouldBlock);
    piece(2000);
    auto length = stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_);
    ASSERT_TRUE(length.ok());
    ASSERT_EQ(*length, 3000u);
    EXPECT_TRUE(std::equal(data.begin() + 2000, data.end(), buffer.begin()));
}

// Found by net.tcp.echo.tap.faults under ASan: Linux, its window to us
// full and a segment lost, sends its ACKs at our window's right edge.
TEST_F(Tcp, TakesAnAckAtTheRightEdgeOfTheWindow) {
    int socket = established();
    Bytes data = pattern(1460, 14);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    std::uint32_t edge = kPeerIsn + 1 + 65536;  // 64 KiB window, nothing received
    peer_sends(80, edge, toro_isn_ + 1 + 1460, kAck);
    advance(2 * kSecond);
    EXPECT_TRUE(sent().empty());  // acknowledged: nothing to send again
}

TEST_F(Tcp, PureAcksCarrySndMaxWhileDataIsSentAgain) {
    int socket = established();
    Bytes data = pattern(3 * 1460, 15);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 3u);
    advance(1 * kSecond);  // the RTO: the first segment again, SND.NXT back to it
    ASSERT_EQ(only_sent().sequence, toro_isn_ + 1);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, Bytes{1});
    peer_sends(80, kPeerIsn + 2, toro_isn_ + 1, kAck, Bytes{2});
    advance(50 * kMs);
    auto frames = sent();
    ASSERT_FALSE(frames.empty());
    for (const Parsed& frame : frames) {
        if (frame.payload.empty()) EXPECT_EQ(frame.sequence, toro_isn_ + 1 + 3 * 1460);
    }
}

TEST_F(Tcp, DelaysTheAckOfASmallSegmentBy40Ms) {
    established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck | kPsh, Bytes{1, 2, 3});
    EXPECT_TRUE(sent().empty());
    advance(39 * kMs);
    EXPECT_TRUE(sent().empty());
    advance(1 * kMs);
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 4);
}

TEST_F(Tcp, SendsInMssSegmentsWithinTheInitialWindow) {
    int socket = established();
    Bytes data = pattern(20000, 3);
    auto taken = stack_->tcp_send(socket, data.data(), data.size(), now_);
    ASSERT_TRUE(taken.ok());
    EXPECT_EQ(*taken, 20000u);
    auto frames = sent();
    // RFC 6928: ten segments of 1460 in the first window.
    ASSERT_EQ(frames.size(), 10u);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(frames[i].sequence, toro_isn_ + 1 + i * 1460);
        ASSERT_EQ(frames[i].payload.size(), 1460u);
        EXPECT_TRUE(std::equal(frames[i].payload.begin(), frames[i].payload.end(), data.begin() + i * 1460));
    }
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 2920, kAck);  // two acknowledged: slow start adds
    EXPECT_EQ(sent().size(), 3u);
}

TEST_F(Tcp, RetransmitsAfterRtoWithBackoff) {
    int socket = established();
    Bytes data{9, 9, 9};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    EXPECT_EQ(only_sent().payload, data);
    advance(999 * kMs);
    EXPECT_TRUE(sent().empty());
    advance(1 * kMs);  // the initial RTO, 1 s
    Parsed again = only_sent();
    EXPECT_EQ(again.sequence, toro_isn_ + 1);
    EXPECT_EQ(again.payload, data);
    advance(1999 * kMs);
    EXPECT_TRUE(sent().empty());
    advance(1 * kMs);  // doubled
    EXPECT_EQ(only_sent().payload, data);
    advance(4 * kSecond);
    EXPECT_EQ(only_sent().payload, data);
}

TEST_F(Tcp, RetransmitsALostSynAck) {  // IncludeOS #542
    listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed first = only_sent();
    advance(1 * kSecond);
    Parsed again = only_sent();
    EXPECT_EQ(again.tcp_flags, kSyn | kAck);
    EXPECT_EQ(again.sequence, first.sequence);
    EXPECT_EQ(again.tcp_options, first.tcp_options);
}

// A handshake that lost a segment gives no RTT sample (Karn) and leaves
// the RTO backed off (8 s here, up to 60 s): data starts at 3 s (RFC 6298
// §5.7) and one segment (RFC 5681 §3.1). Found by tcp_pair_fuzz: a lost
// first data segment after a lossy handshake waited a minute, and the
// peer's half-open connection gave up meanwhile.
TEST_F(Tcp, AfterALostSynAckDataStartsWithAThreeSecondRtoAndOneSegment) {
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    toro_isn_ = only_sent().sequence;
    for (std::uint64_t rto : {1, 2, 4}) {
        advance(rto * kSecond);
        EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);
    }
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    auto socket = stack_->tcp_accept(listener, nullptr, now_);
    ASSERT_TRUE(socket.ok());
    Bytes data(4 * 1460, 7);
    ASSERT_TRUE(stack_->tcp_send(*socket, data.data(), data.size(), now_).ok());
    auto first = sent();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].sequence, toro_isn_ + 1);
    advance(2999 * kMs);
    EXPECT_TRUE(sent().empty());
    advance(1 * kMs);
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 1);
}

// No application hears of a half-open connection giving up: the counter
// is what tells (tcp_pair_fuzz excuses the RST that follows by it).
TEST_F(Tcp, AHalfOpenConnectionGivingUpIsCounted) {
    listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());
    for (int i = 0; i < 10; ++i) advance(60 * kSecond);
    sent();
    EXPECT_EQ(stack_->stats().tcp_connections, 0u);
    EXPECT_EQ(stack_->stats().tcp_retry_timeouts, 1u);
}

TEST_F(Tcp, FastRetransmitOnThreeDupAcks) {
    int socket = established();
    Bytes data = pattern(5 * 1460, 4);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 5u);
    // The first segment was lost: every later one brings the same ACK.
    for (int i = 0; i < 2; ++i) peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    EXPECT_TRUE(sent().empty());
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    Parsed retransmitted = only_sent();
    EXPECT_EQ(retransmitted.sequence, toro_isn_ + 1);
    EXPECT_EQ(retransmitted.payload.size(), 1460u);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
}

// Limited transmit (RFC 3042): with the initial window in flight and
// more data waiting, the first two duplicates each send one new segment
// (so a small window still brings the three a fast retransmit needs);
// the third sends the lost one again.
TEST_F(Tcp, LimitedTransmitSendsNewDataOnTheFirstTwoDuplicates) {
    int socket = established();
    Bytes data = pattern(12 * 1460, 7);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 10u);  // the initial window
    std::uint32_t base = toro_isn_ + 1;
    for (std::uint32_t i = 1; i <= 2; ++i) {
        peer_sends(80, kPeerIsn + 1, base, kAck);
        Parsed next = only_sent();
        EXPECT_EQ(next.sequence, base + (9 + i) * 1460);
        EXPECT_EQ(next.payload.size(), 1460u);
    }
    peer_sends(80, kPeerIsn + 1, base, kAck);
    EXPECT_EQ(only_sent().sequence, base);
}

// RFC 6582's "recover" is the highest byte sent when recovery began: an
// ACK that reaches the byte after it ends that recovery, and three
// duplicates of it are a new loss, sent again at once (not at the RTO).
TEST_F(Tcp, DuplicatesOfTheAckThatEndedRecoveryStartAnother) {
    int socket = established();
    Bytes data = pattern(20 * 1460, 8);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 10u);
    std::uint32_t base = toro_isn_ + 1;
    for (int i = 0; i < 3; ++i) peer_sends(80, kPeerIsn + 1, base, kAck);
    auto frames = sent();  // two limited-transmit segments, then the fast retransmit
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[2].sequence, base);
    std::uint32_t recovered = base + 12 * 1460;  // all that was sent: a full acknowledgment
    peer_sends(80, kPeerIsn + 1, recovered, kAck);
    // Deflated to max(FlightSize, SMSS) + SMSS (RFC 6582 §3.2 step 3): two new segments.
    frames = sent();
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].sequence, recovered);
    peer_sends(80, kPeerIsn + 1, recovered, kAck);  // the first of them was lost
    EXPECT_EQ(only_sent().sequence, recovered + 2 * 1460);  // limited transmit
    for (int i = 0; i < 2; ++i) peer_sends(80, kPeerIsn + 1, recovered, kAck);
    frames = sent();  // limited transmit's second, the fast retransmit, what its window lets go
    ASSERT_GE(frames.size(), 2u);
    EXPECT_EQ(frames[0].sequence, recovered + 3 * 1460);
    EXPECT_EQ(frames[1].sequence, recovered);
    EXPECT_EQ(frames[1].payload.size(), 1460u);
}

// Linux's receiver opens its window a little in nearly every ACK. With
// SACK, an ACK that SACKs new bytes is a duplicate whatever its window
// says (RFC 6675 §2); without SACK, a changed window makes it none
// (RFC 5681 §2), so the same three ACKs stripped of SACK send nothing.
TEST_F(Tcp, SackingAcksAreDuplicatesWhateverTheirWindow) {
    for (bool with_sack : {true, false}) {
        SCOPED_TRACE(with_sack ? "with SACK blocks" : "without");
        stack_ = std::make_unique<Stack>();
        start();
        int socket = established();
        Bytes data = pattern(5 * 1460, 4);
        ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
        ASSERT_EQ(sent().size(), 5u);
        std::uint32_t base = toro_isn_ + 1;
        for (std::uint32_t i = 1; i <= 3; ++i) {
            Bytes options = with_sack ? sack_option({{base + 1460, base + 1460 * (i + 1)}}) : Bytes{};
            peer_sends(80, kPeerIsn + 1, base, kAck, {}, static_cast<std::uint16_t>(64000 + 100 * i), options);
        }
        auto frames = sent();
        if (!with_sack) {
            EXPECT_TRUE(frames.empty());
            continue;
        }
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(frames[0].sequence, base);
        EXPECT_EQ(frames[0].payload.size(), 1460u);
    }
}

TEST_F(Tcp, DuplicateAcksDoNotResetTheRetransmissionTimer) {  // smoltcp #62
    int socket = established();
    Bytes data = pattern(2 * 1460, 5);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    for (int i = 0; i < 2; ++i) {
        advance(400 * kMs);
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);  // a duplicate, not a fast retransmit yet
    }
    EXPECT_TRUE(sent().empty());
    advance(200 * kMs);  // 1 s after the send, whatever the duplicates
    auto frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames[0].sequence, toro_isn_ + 1);
}

TEST_F(Tcp, TheDuplicateAckCounterSaturates) {  // smoltcp #224
    int socket = established();
    Bytes data = pattern(4 * 1460, 6);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    for (int i = 0; i < 70000; ++i) peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    sent();
    unsigned count = 0;
    for (int i = 0; i < 3; ++i) peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    for (const Parsed& frame : sent()) count += frame.sequence == toro_isn_ + 1 && frame.payload.size() == 1460;
    EXPECT_EQ(count, 0u);  // a wrapped counter would reach 3 again and fast-retransmit
}

TEST_F(Tcp, ChallengeAckForInWindowRst) {  // RFC 5961 §3.2
    int socket = established();
    peer_sends(80, kPeerIsn + 1 + 100, 0, kRst);
    Parsed challenge = only_sent();
    EXPECT_EQ(challenge.tcp_flags, kAck);
    EXPECT_EQ(challenge.acknowledgment, kPeerIsn + 1);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    peer_sends(80, kPeerIsn + 1 + 200000, 0, kRst);  // outside the window: ignored
    EXPECT_TRUE(sent().empty());
    peer_sends(80, kPeerIsn + 1, 0, kRst);  // exactly RCV.NXT: reset
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(),
              Error::kConnectionReset);
}

// The window's right edge takes a pure ACK (see acceptable()), but not a
// RST: one there is outside the window, and dropped unanswered (FreeBSD's
// tcp-testsuite, rcv-rst-syn-rcvd-via-listen-outside-right, found it
// challenged).
TEST_F(Tcp, DropsARstJustPastTheWindowUnanswered) {  // RFC 5961 §3.2
    int socket = established();
    // The window offered, read from the ACK a segment beyond it gets
    // (offered at scale 1, as a 64 KiB buffer needs).
    peer_sends(80, kPeerIsn + 1 + 1'000'000, toro_isn_ + 1, kAck);
    const std::uint32_t window = std::uint32_t{only_sent().window} << 1;
    advance(kSecond);  // past the rate limit on answers to invalid segments
    peer_sends(80, kPeerIsn + 1 + window, 0, kRst);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    peer_sends(80, kPeerIsn + 1 + window - 1, 0, kRst);  // the window's last byte: challenged
    Parsed challenge = only_sent();
    EXPECT_EQ(challenge.tcp_flags, kAck);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
}

TEST_F(Tcp, ChallengeAckForASynInTheWindow) {  // RFC 5961 §4
    int socket = established();
    peer_sends(80, kPeerIsn + 50, 0, kSyn);
    Parsed challenge = only_sent();
    EXPECT_EQ(challenge.tcp_flags, kAck);
    EXPECT_EQ(challenge.acknowledgment, kPeerIsn + 1);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
}

// TcpSettings::challenge_rst off (FreeBSD's insecure_rst): RFC 793's
// rule, any RST in the window resets; one outside it is still ignored.
TEST_F(Tcp, WithoutRstChallengesAnyRstInTheWindowResets) {
    toro::net::tcp::TcpSettings settings = stack_->tcp_settings();
    settings.challenge_rst = false;
    stack_->set_tcp_settings(settings);
    int socket = established();
    peer_sends(80, kPeerIsn + 1 + 200000, 0, kRst);  // outside the window: ignored
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    peer_sends(80, kPeerIsn + 1 + 100, 0, kRst);
    EXPECT_TRUE(sent().empty());
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(),
              Error::kConnectionReset);
}

// TcpSettings::challenge_syn off (FreeBSD's insecure_syn): RFC 793's
// rule, a SYN in the window is answered with a RST and resets; an old SYN
// whose text reaches into the window is only acknowledged.
TEST_F(Tcp, WithoutSynChallengesASynInTheWindowIsAnsweredWithARst) {
    toro::net::tcp::TcpSettings settings = stack_->tcp_settings();
    settings.challenge_syn = false;
    stack_->set_tcp_settings(settings);
    int socket = established();
    peer_sends(80, kPeerIsn, 0, kSyn, Bytes(10, 'x'));
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 1);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    advance(kSecond);
    peer_sends(80, kPeerIsn + 50, 0, kSyn);
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags, kRst | kAck);
    EXPECT_EQ(reset.sequence, toro_isn_ + 1);
    EXPECT_EQ(reset.acknowledgment, kPeerIsn + 1);
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(),
              Error::kConnectionReset);
}

// RFC 5961 §7: all connections share one budget of challenge ACKs a
// second, drawn between half and one and a half times the limit. A SYN
// holds sequence space, so no per-connection limit slows a flood of them.
TEST_F(Tcp, ChallengeAcksAreLimitedPerSecondAcrossConnections) {
    StackLimits limits;
    limits.tcp_challenge_acks_per_second = 10;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int listener = listen(80);
    int first = accept_from_peer(listener, 80, kPeerPort);
    int second = accept_from_peer(listener, 80, kPeerPort + 1);
    sent();
    std::size_t answered = 0;
    for (std::uint16_t i = 0; i < 40; ++i) {
        peer_sends(80, kPeerIsn + 50 + i, 0, kSyn, {}, 65535, {}, static_cast<std::uint16_t>(kPeerPort + i % 2));
        answered += sent().size();
    }
    EXPECT_GE(answered, 6u);
    EXPECT_LE(answered, 15u);
    EXPECT_EQ(stack_->stats().tcp_challenge_acks_limited, 40u - answered);
    EXPECT_EQ(stack_->tcp_state(first).value(), State::kEstablished);
    EXPECT_EQ(stack_->tcp_state(second).value(), State::kEstablished);
    advance(kSecond);  // a new second, a new budget
    peer_sends(80, kPeerIsn + 50, 0, kSyn, {}, 65535, {}, kPeerPort);
    EXPECT_EQ(only_sent().tcp_flags, kAck);
}

// RFC 5961 §4.2: a SYN in a synchronized state draws a challenge ACK
// "irrespective of the sequence number", from the shared budget (§7). One
// outside the window was answered as any invalid segment holding sequence
// space is, every time: a flood of them at a live four-tuple was answered
// SYN for SYN. Linux sends those to its challenge path too.
TEST_F(Tcp, SynsOutsideTheWindowDrawChallengeAcksFromTheBudget) {
    StackLimits limits;
    limits.tcp_challenge_acks_per_second = 10;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int listener = listen(80);
    int socket = accept_from_peer(listener, 80, kPeerPort);
    sent();
    std::size_t answered = 0;
    for (std::uint32_t i = 0; i < 40; ++i) {
        peer_sends(80, kPeerIsn + 0x40000000 + i * 1000, 0, kSyn);
        for (const Parsed& frame : sent()) {
            EXPECT_EQ(frame.tcp_flags, kAck);
            EXPECT_EQ(frame.acknowledgment, kPeerIsn + 1);
            ++answered;
        }
    }
    EXPECT_GE(answered, 6u);
    EXPECT_LE(answered, 15u);
    EXPECT_EQ(stack_->stats().tcp_challenge_acks_limited, 40u - answered);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
}

// A flood of RSTs in one connection's window draws one challenge ACK per
// 500 ms (its own limit); the rest must not use up the budget the other
// connections share (Linux's tcp_send_challenge_ack checks the socket's
// limit first), or a blind flood at one connection would silence the
// challenge ACK another's restarted peer needs (RFC 5961 §4).
TEST_F(Tcp, ChallengeAcksHeldBackByTheConnectionLeaveTheSharedBudget) {
    StackLimits limits;
    limits.tcp_challenge_acks_per_second = 10;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int listener = listen(80);
    int flooded = accept_from_peer(listener, 80, kPeerPort);
    int other = accept_from_peer(listener, 80, kPeerPort + 1);
    sent();
    std::size_t answered = 0;
    for (std::uint32_t i = 0; i < 100; ++i) {
        peer_sends(80, kPeerIsn + 100 + i, 0, kRst, {}, 65535, {}, kPeerPort);
        answered += sent().size();
    }
    EXPECT_EQ(answered, 1u);  // one per 500 ms on the connection
    EXPECT_EQ(stack_->stats().tcp_challenge_acks_limited, 0u);
    EXPECT_EQ(stack_->tcp_state(flooded).value(), State::kEstablished);
    peer_sends(80, kPeerIsn + 50, 0, kSyn, {}, 65535, {}, static_cast<std::uint16_t>(kPeerPort + 1));
    Parsed challenge = only_sent();
    EXPECT_EQ(challenge.tcp_flags, kAck);
    EXPECT_EQ(challenge.acknowledgment, kPeerIsn + 1);
    EXPECT_EQ(stack_->tcp_state(other).value(), State::kEstablished);
}

TEST_F(Tcp, AnAckForDataNeverSentIsAnsweredAndDropped) {  // RFC 5961 §5.2
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 5000, kAck, Bytes{1});
    Parsed answer = only_sent();
    EXPECT_EQ(answer.acknowledgment, kPeerIsn + 1);  // its byte was not taken
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kWouldBlock);
}

TEST_F(Tcp, ZeroWindowProbeUntilWindowOpens) {
    int socket = established();
    Bytes data = pattern(3000, 7);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), 1460, now_).ok());
    sent();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 1460, kAck, {}, 0);  // all taken, window shut
    ASSERT_TRUE(stack_->tcp_send(socket, data.data() + 1460, 1540, now_).ok());
    EXPECT_TRUE(sent().empty());
    advance(1 * kSecond);
    Parsed probe = only_sent();
    EXPECT_EQ(probe.sequence, toro_isn_ + 1460);  // one below SND.UNA: no data
    EXPECT_TRUE(probe.payload.empty());
    advance(2 * kSecond);
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 1460);  // backed off, and again
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 1460, kAck, {}, 100);  // 100 << 7 bytes
    Parsed opened = only_sent();
    EXPECT_EQ(opened.sequence, toro_isn_ + 1 + 1460);
    EXPECT_EQ(opened.payload.size(), 1460u);  // the last 80 wait for its ACK (Nagle)
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 2920, kAck, {}, 100);
    EXPECT_EQ(only_sent().payload.size(), 80u);
}

// Found by tcp_connection_fuzz: a window too small for SWS avoidance, with
// nothing in flight, stalled the connection for ever. RFC 9293
// §3.8.6.2.1's override timeout sends what fits.
TEST_F(Tcp, SendsIntoASmallWindowAfterTheOverrideTimeout) {
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 3);  // 3 << 7: 384 bytes
    Bytes data = pattern(3000, 11);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    EXPECT_TRUE(sent().empty());  // far below half the largest window offered
    advance(1 * kSecond);
    Parsed segment = only_sent();
    EXPECT_EQ(segment.sequence, toro_isn_ + 1);
    EXPECT_EQ(segment.payload.size(), 384u);
    EXPECT_TRUE(std::equal(segment.payload.begin(), segment.payload.end(), data.begin()));
}

// Found by tcp_pair_fuzz: a fast retransmission took a full segment
// from the send buffer, past the 384 bytes ever sent (and past the
// peer's window) without counting them as sent; the peer took them and
// ACKed them, Toro refused that ACK as one for data never sent, and the
// connection retransmitted until it gave up. A retransmission carries
// only bytes sent before.
TEST_F(Tcp, AFastRetransmissionCarriesOnlyBytesSentBefore) {
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 3);  // 3 << 7: 384 bytes
    Bytes data = pattern(3000, 12);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    advance(1 * kSecond);  // the override timeout: 384 bytes go
    ASSERT_EQ(only_sent().payload.size(), 384u);
    for (int i = 0; i < 3; ++i) peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 3);
    Parsed again = only_sent();
    EXPECT_EQ(again.sequence, toro_isn_ + 1);
    EXPECT_EQ(again.payload.size(), 384u);
}

TEST_F(Tcp, ZeroWindowProbesGiveUpWhenNobodyAnswers) {
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 0);
    Bytes data{1, 2, 3};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    for (int i = 0; i < 30; ++i) {
        advance(60 * kSecond);
        sent();
    }
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kTimedOut);
}

TEST_F(Tcp, ClosesActivelyThroughTimeWait) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
    Parsed fin = only_sent();
    EXPECT_EQ(fin.tcp_flags, kFin | kAck);
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kAck);
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 2);
    EXPECT_EQ(stack_->stats().tcp_time_wait, 1u);
    // Closed by the user and in TIME-WAIT: only the slot is held, so TIME-
    // WAITs never keep new connections from memory (a server closing
    // first would otherwise run out after a few hundred connections).
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);
    advance(60 * kSecond);
    EXPECT_EQ(stack_->stats().tcp_time_wait, 0u);
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);
}

TEST_F(Tcp, TimeWaitAnswersRetransmittedFin) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
    Parsed fin = only_sent();
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);
    sent();
    advance(30 * kSecond);
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);  // our ACK was lost
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 2);
    advance(59 * kSecond);  // the timer started again
    EXPECT_EQ(stack_->stats().tcp_time_wait, 1u);
    advance(1 * kSecond);
    EXPECT_EQ(stack_->stats().tcp_time_wait, 0u);
}

// RFC 9293 §3.10.7.4 step 5: in TIME-WAIT, a segment in the window past
// RCV.NXT, or a new FIN, is acknowledged and restarts the 2 MSL; a bare
// duplicate of the last ACK is not answered (FreeBSD's tcp-testsuite,
// rcv-ack-time-wait-using-shutdown-middle and rcv-fin-ack-time-wait-*).
TEST_F(Tcp, TimeWaitAcknowledgesWhatIsInItsWindow) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
    Parsed fin = only_sent();
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);
    sent();
    peer_sends(80, kPeerIsn + 2, fin.sequence + 1, kAck);  // at RCV.NXT: a duplicate
    EXPECT_TRUE(sent().empty());
    advance(30 * kSecond);
    peer_sends(80, kPeerIsn + 3, fin.sequence + 1, kAck);  // past RCV.NXT, in the window
    Parsed ack = only_sent();
    EXPECT_EQ(ack.tcp_flags, kAck);
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 2);
    advance(59 * kSecond);  // the timer started again
    EXPECT_EQ(stack_->stats().tcp_time_wait, 1u);
    peer_sends(80, kPeerIsn + 2, fin.sequence + 1, kFin | kAck);  // a FIN at RCV.NXT
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 2);
}

TEST_F(Tcp, ClosesPassivelyThroughLastAck) {
    int socket = established();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kFin | kAck);
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 2);
    Bytes buffer(8);
    auto end = stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_);
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(*end, 0u);  // the end of the stream
    ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
    Parsed fin = only_sent();
    EXPECT_EQ(fin.tcp_flags, kFin | kAck);
    peer_sends(80, kPeerIsn + 2, fin.sequence + 1, kAck);
    EXPECT_EQ(stack_->stats().tcp_sockets, 1u);  // the listener alone
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);
}

TEST_F(Tcp, ASynToAPortInTimeWaitOpensANewConnection) {  // lib-lwip PR #76
    int listener = listen(80);
    int socket = accept_from_peer(listener, 80);
    sent();
    ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
    Parsed fin = only_sent();
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);
    sent();
    ASSERT_EQ(stack_->stats().tcp_time_wait, 1u);
    // Linux reuses the port with an ISN beyond the old connection's.
    peer_sends(80, kPeerIsn + 100000, 0, kSyn, {}, 65535, linux_syn_options());
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    EXPECT_EQ(syn_ack.acknowledgment, kPeerIsn + 100001);
}

// Found by tcp_connection_fuzz: a new SYN freed a TIME-WAIT connection
// whose descriptor the application had not closed yet.
TEST_F(Tcp, ASynDoesNotTakeATimeWaitConnectionStillOpenInTheApplication) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_shutdown(socket, now_), Error::kOk);
    Parsed fin = only_sent();
    peer_sends(80, kPeerIsn + 1, fin.sequence + 1, kFin | kAck);
    sent();
    ASSERT_EQ(stack_->tcp_state(socket).value(), State::kTimeWait);
    peer_sends(80, kPeerIsn + 100000, 0, kSyn, {}, 65535, linux_syn_options());
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kTimeWait);  // still the application's
    EXPECT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
}

TEST_F(Tcp, AcceptStillWorksAfter10000Connections) {  // Unikraft #736
    int listener = listen(80);
    for (int i = 0; i < 10000; ++i) {
        std::uint16_t port = static_cast<std::uint16_t>(20000 + i % 30000);
        int socket = accept_from_peer(listener, 80, port);
        ASSERT_GE(socket, 0) << "connection " << i;
        ASSERT_EQ(stack_->tcp_close(socket, true, now_), Error::kOk);  // reset: no TIME-WAIT
        sent();
    }
    EXPECT_EQ(stack_->stats().tcp_sockets, 1u);
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);
    EXPECT_EQ(buffers_.allocations, buffers_.releases);
}

TEST_F(Tcp, NoStateLeaksFromAResetConnectionIntoTheNext) {  // smoltcp #518
    int listener = listen(80);
    // The first connection agrees on window scale, timestamps and SACK,
    // holds bytes beyond a gap and has SACK blocks from its peer.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options_with_timestamps(100));
    toro_isn_ = only_sent().sequence;
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 65535, timestamp_option(100, 0));
    int first = *stack_->tcp_accept(listener, nullptr, now_);
    Bytes data = pattern(2000, 8);
    ASSERT_TRUE(stack_->tcp_send(first, data.data(), data.size(), now_).ok());
    sent();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 65535,
               timestamp_option(200, 0) + sack_option({{toro_isn_ + 1000, toro_isn_ + 1449}}));
    peer_sends(80, kPeerIsn + 101, toro_isn_ + 1, kAck, Bytes{1, 2}, 65535, timestamp_option(300, 0));
    sent();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 0, timestamp_option(400, 0));  // window shut, scale 7
    peer_sends(80, kPeerIsn + 1, 0, kRst);
    ASSERT_EQ(stack_->tcp_close(first, false, now_), Error::kOk);
    // The next connection offers no window scale, timestamps or SACK, and a small MSS.
    peer_sends(80, 5000, 0, kSyn, {}, 1000, {2, 4, 0x02, 0x00});
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_options, (Bytes{2, 4, 0x05, 0xB4}));
    peer_sends(80, 5001, syn_ack.sequence + 1, kAck, {}, 1000);
    auto second = stack_->tcp_accept(listener, nullptr, now_);
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(stack_->tcp_send(*second, data.data(), data.size(), now_).ok());
    auto frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames[0].payload.size(), 512u);  // its MSS (no TSopt's 12 off), and its unscaled window of 1000
    EXPECT_TRUE(frames[0].tcp_options.empty());
    std::size_t total = 0;
    for (const Parsed& frame : frames) total += frame.payload.size();
    EXPECT_LE(total, 1000u);
    // Bytes beyond a gap: a duplicate ACK with neither SACK blocks nor TSopt.
    peer_sends(80, 5101, syn_ack.sequence + 1, kAck, Bytes{3}, 1000);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.acknowledgment, 5001u);
    EXPECT_TRUE(ack.tcp_options.empty());
}

TEST_F(Tcp, ReadsMalformedOptionsWithoutTrustingTheirLengths) {
    listen(80);
    // MSS 0 (clamped), window scale 15 (taken as 14), then an option of length 1.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, {2, 4, 0, 0, 3, 3, 15, 8, 1});
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
    peer_sends(80, kPeerIsn + 10, 0, kSyn, {}, 65535, {2, 0}, 40001);  // length 0
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);
    peer_sends(80, kPeerIsn + 20, 0, kSyn, {}, 65535, {2, 40}, 40002);  // runs past the header
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);
}

TEST_F(Tcp, DropsSegmentsWithABadChecksumOrDataOffset) {
    listen(80);
    TcpFields fields;
    fields.source_port = kPeerPort;
    fields.destination_port = 80;
    fields.flags = kSyn;
    Bytes segment = tcp(kPeer, kToro, fields, {});
    segment[16] ^= 1;
    IpFields ip_fields;
    ip_fields.source = kPeer;
    ip_fields.destination = kToro;
    ip_fields.protocol = 6;
    inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(ip_fields, segment)));
    segment = tcp(kPeer, kToro, fields, {});
    segment[12] = 0xF0;  // 60 bytes of header in a 20-byte segment
    inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(ip_fields, segment)));
    segment.resize(19);
    inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(ip_fields, segment)));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(stack_->stats().frames_dropped, 3u);
    EXPECT_EQ(stack_->stats().tcp_segments_received, 0u);
}

// The demux index (Stack::tcp_find_connection): 300 connections, each
// segment to its own; slots freed and taken again stay reachable.
TEST_F(Tcp, ManyConnectionsEachGetTheirOwnSegments) {
    StackLimits limits;  // small buffers: 300 connections within TCP memory
    limits.tcp_send_buffer_bytes = limits.tcp_receive_buffer_bytes = 4096;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int listener = listen(80, 400);
    constexpr std::uint16_t kCount = 300;
    std::vector<int> sockets;
    std::vector<std::uint32_t> isns;
    for (std::uint16_t round = 0; round < 2; ++round) {
        sockets.clear();
        isns.clear();
        for (std::uint16_t i = 0; i < kCount; ++i) {
            sockets.push_back(accept_from_peer(listener, 80, static_cast<std::uint16_t>(20000 + i)));
            isns.push_back(toro_isn_);
        }
        sent();
        EXPECT_TRUE(stack_->tcp_tables_consistent());
        for (std::uint16_t i = 0; i < kCount; ++i) {
            Bytes data = pattern(10, static_cast<std::uint8_t>(i + round));
            peer_sends(80, kPeerIsn + 1, isns[i] + 1, kAck | kPsh, data, 65535, {},
                       static_cast<std::uint16_t>(20000 + i));
        }
        for (std::uint16_t i = 0; i < kCount; ++i) {
            Bytes buffer(32);
            auto received = stack_->tcp_receive(sockets[i], buffer.data(), buffer.size(), now_);
            ASSERT_TRUE(received.ok()) << i;
            buffer.resize(*received);
            EXPECT_EQ(buffer, pattern(10, static_cast<std::uint8_t>(i + round))) << i;
        }
        // Half reset and freed, the index checked, then the rest: the next
        // round's connections take the freed slots, under the same endpoints.
        for (std::uint16_t i = 0; i < kCount; i += 2) (void)stack_->tcp_close(sockets[i], true, now_);
        EXPECT_TRUE(stack_->tcp_tables_consistent());
        for (std::uint16_t i = 1; i < kCount; i += 2) (void)stack_->tcp_close(sockets[i], true, now_);
        sent();
        EXPECT_EQ(stack_->stats().tcp_connections, 0u);
        EXPECT_TRUE(stack_->tcp_tables_consistent());
    }
}

// Without SYN cookies (tcp_syn_cookie_test.cpp has them).
TEST_F(Tcp, WithoutCookiesAFullBacklogGivesUpTheOldestHalfOpenConnection) {
    toro::net::tcp::TcpSettings settings = stack_->tcp_settings();
    settings.syn_cookies = toro::net::tcp::SynCookies::kOff;
    stack_->set_tcp_settings(settings);
    int listener = listen(80, 4);
    for (std::uint16_t i = 0; i < 6; ++i) peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, {}, 30000 + i);
    EXPECT_EQ(sent().size(), 6u);
    EXPECT_EQ(stack_->stats().tcp_sockets, 5u);  // the listener and four half-open
    // The newest completes; the first was given up, so its ACK gets a RST.
    auto frames = std::vector<Parsed>{};
    peer_sends(80, kPeerIsn + 1, 0, kAck, {}, 65535, {}, 30000);
    EXPECT_EQ(only_sent().tcp_flags, kRst);
    EXPECT_EQ(stack_->tcp_accept(listener, nullptr, now_).error(), Error::kWouldBlock);
    EXPECT_TRUE(stack_->tcp_tables_consistent());
}

TEST_F(Tcp, KeepsDataBeyondTheReceiveBufferOut) {
    StackLimits limits;
    limits.tcp_receive_buffer_bytes = 4096;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int socket = established();
    Bytes data = pattern(1460, 9);
    for (int i = 0; i < 3; ++i) {
        peer_sends(80, kPeerIsn + 1 + static_cast<std::uint32_t>(i) * 1460, toro_isn_ + 1, kAck, data);
    }
    auto frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().acknowledgment, kPeerIsn + 1 + 4096);
    EXPECT_EQ(frames.back().window, 0);
    Bytes buffer(8192);
    EXPECT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 4096u);
    Parsed update = only_sent();  // the window opened: the peer is told at once
    EXPECT_EQ(update.window, 4096);
}

// RFC 9293 §3.10.7.4: text past the window's right edge is trimmed, even
// when the buffer has room for it (the application read less than a
// segment, so no window update told the peer of that room).
TEST_F(Tcp, TrimsTextBeyondTheAdvertisedWindowThoughTheBufferHasRoom) {
    StackLimits limits;
    limits.tcp_receive_buffer_bytes = 4096;
    stack_ = std::make_unique<Stack>();
    start(limits);
    int socket = established();
    Bytes data = pattern(1460, 9);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, data);
    peer_sends(80, kPeerIsn + 1 + 1460, toro_isn_ + 1, kAck, data);
    Parsed ack = sent().back();
    ASSERT_EQ(ack.acknowledgment, kPeerIsn + 1 + 2920);
    ASSERT_EQ(ack.window, 4096 - 2920);
    Bytes buffer(1000);
    ASSERT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 1000u);
    EXPECT_TRUE(sent().empty());  // 1,000 bytes of room is not worth an update
    peer_sends(80, kPeerIsn + 1 + 2920, toro_isn_ + 1, kAck, data);
    Parsed trimmed = only_sent();
    EXPECT_EQ(trimmed.acknowledgment, kPeerIsn + 1 + 4096);  // 1,176 of its 1,460 bytes taken
    Bytes rest(8192);
    EXPECT_EQ(*stack_->tcp_receive(socket, rest.data(), rest.size(), now_), 4096u - 1000u);
}

TEST_F(Tcp, NagleHoldsASmallSegmentWhileDataIsUnacknowledged) {
    int socket = established();
    Bytes byte{1};
    ASSERT_TRUE(stack_->tcp_send(socket, byte.data(), 1, now_).ok());
    EXPECT_EQ(sent().size(), 1u);
    ASSERT_TRUE(stack_->tcp_send(socket, byte.data(), 1, now_).ok());
    EXPECT_TRUE(sent().empty());  // held until the first is acknowledged
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 2, kAck);
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 2);
    ASSERT_EQ(stack_->tcp_set_no_delay(socket, true), Error::kOk);
    ASSERT_TRUE(stack_->tcp_send(socket, byte.data(), 1, now_).ok());
    EXPECT_EQ(sent().size(), 1u);  // TCP_NODELAY: at once
}

TEST_F(Tcp, GivesUpAfterItsRetriesWithTimedOut) {
    int socket = established();
    Bytes data{1};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), 1, now_).ok());
    std::vector<Parsed> frames;
    for (int i = 0; i < 20; ++i) {
        advance(60 * kSecond);
        for (const Parsed& frame : sent()) frames.push_back(frame);  // ARP answered as it asks
    }
    ASSERT_EQ(frames.size(), 14u);  // the segment, 12 retransmissions, the RST
    EXPECT_EQ(frames.back().tcp_flags & kRst, kRst);
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kTimedOut);
    EXPECT_EQ(stack_->stats().tcp_retry_timeouts, 1u);
}

// TCP_KEEPINIT: a handshake not done in time is given up with kTimedOut
// though SYN retries remain; a listener's connections inherit the bound,
// and one established in time keeps no deadline from it.
TEST_F(Tcp, TheHandshakeLimitEndsASlowConnect) {
    auto socket = stack_->tcp_open();
    ASSERT_TRUE(socket.ok());
    EXPECT_EQ(stack_->tcp_set_handshake_limit(*socket, -1, now_), Error::kInvalid);
    ASSERT_EQ(stack_->tcp_set_handshake_limit(*socket, 5, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_connect(*socket, {{kPeer}, 8080}, now_), Error::kOk);
    std::size_t syns = 0;
    for (int i = 0; i < 10; ++i) {
        advance(kSecond / 2);
        for (const Parsed& frame : sent()) syns += frame.tcp_flags == kSyn;
    }
    EXPECT_EQ(syns, 3u);  // at 0, 1 and 3 s; the limit struck at 5 s, before the fourth
    EXPECT_EQ(stack_->tcp_connect_status(*socket), Error::kTimedOut);
}

TEST_F(Tcp, AListenersHandshakeLimitGivesUpAHalfOpenConnectionWithARst) {
    int listener = listen(80);
    ASSERT_EQ(stack_->tcp_set_handshake_limit(listener, 2, now_), Error::kOk);
    int socket = accept_from_peer(listener, 80);  // established in time
    sent();
    peer_sends(80, kPeerIsn + 1000, 0, kSyn, {}, 65535, linux_syn_options(), kPeerPort + 1);
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);
    advance(kSecond + kSecond / 2);
    EXPECT_EQ(only_sent().tcp_flags, kSyn | kAck);  // retransmitted at 1 s
    advance(kSecond);
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags & kRst, kRst);
    EXPECT_EQ(reset.destination_port, kPeerPort + 1);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    advance(60 * kSecond);
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
}

// Found by tcp_pair_fuzz: after a timeout SND.NXT goes back to SND.UNA,
// so a RST numbered SND.NXT lay below what the peer had received (its
// ACKs were the segments lost), the peer dropped it as outside its window
// (RFC 5961 §3.2) and stayed in FIN-WAIT-2 for ever. A RST carries
// SND.MAX, the next byte the peer can expect.
TEST_F(Tcp, TheResetGivingUpCarriesTheHighestSequenceSent) {
    int socket = established();
    Bytes data = pattern(3 * 1460, 4);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 3u);
    std::vector<Parsed> frames;
    for (int i = 0; i < 20; ++i) {
        advance(60 * kSecond);
        for (const Parsed& frame : sent()) frames.push_back(frame);
    }
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().tcp_flags & kRst, kRst);
    EXPECT_EQ(frames.back().sequence, toro_isn_ + 1 + 3 * 1460);
}

TEST_F(Tcp, AnAbortDuringRetransmissionCarriesTheHighestSequenceSent) {
    int socket = established();
    Bytes data = pattern(3 * 1460, 5);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 3u);
    advance(1 * kSecond);  // the RTO: the first segment again
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 1);
    ASSERT_EQ(stack_->tcp_close(socket, true, now_), Error::kOk);
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags & kRst, kRst);
    EXPECT_EQ(reset.sequence, toro_isn_ + 1 + 3 * 1460);
}

// Found by tcp_pair_fuzz: a forged segment (seq one too far, checksum
// right) left the two ends disagreeing on where the client's FIN lay; the
// server then ACKed a byte the client never sent, the client answered
// that ACK with its own (RFC 5961 §5.2), the server found that one out of
// its window and answered it (RFC 9293 step 1), and so on without end and
// without the clock moving: an ACK storm. As Linux does
// (tcp_invalid_ratelimit), an answer to an invalid segment that holds no
// sequence space goes out at most every 500 ms; one to old data or a FIN
// always goes, as the peer's recovery needs it.
TEST_F(Tcp, AnswersToInvalidPureAcksAreRateLimited) {
    int socket = established();
    (void)socket;
    std::uint32_t unsent = toro_isn_ + 1 + 1000;
    peer_sends(80, kPeerIsn + 1, unsent, kAck);
    EXPECT_EQ(only_sent().acknowledgment, kPeerIsn + 1);
    peer_sends(80, kPeerIsn + 1, unsent, kAck);
    peer_sends(80, kPeerIsn - 5, toro_isn_ + 1, kAck);  // out of the window
    EXPECT_TRUE(sent().empty());
    advance(500 * kMs);
    peer_sends(80, kPeerIsn + 1, unsent, kAck);
    EXPECT_EQ(sent().size(), 1u);
    Bytes old = pattern(10, 3);
    peer_sends(80, kPeerIsn + 1 - 10, toro_isn_ + 1, kAck, old);  // old data: answered every time
    peer_sends(80, kPeerIsn + 1 - 10, toro_isn_ + 1, kAck, old);
    EXPECT_EQ(sent().size(), 2u);
}

// A retransmission at a poll finds the neighbour's ARP entry expired: the
// ARP request's retry deadline, made while the poll ran, must be in what
// poll returns (else the segment waits for ARP with no timer: found by
// tcp_connection_fuzz as a packet never returned).
TEST_F(Tcp, ADeadlineSetWhilePollRunsIsKept) {
    int socket = established();
    Bytes data{1};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), 1, now_).ok());
    now_ += 61 * kSecond;  // past the RTO, and past the ARP entry's 60 s
    std::uint64_t next = stack_->poll(now_);
    EXPECT_LE(next, now_ + 1 * kSecond);  // the ARP retry, not the next RTO
}

// RFC 1122 §4.2.3.6: off unless asked for; then a probe after two hours
// without a segment from the peer, numbered SND.NXT - 1 and empty.
TEST_F(Tcp, KeepaliveProbesAfterIdle) {
    int socket = established();
    advance(3 * 3600 * kSecond);
    EXPECT_TRUE(sent().empty());  // off by default
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepAlive, 1, now_), Error::kOk);
    advance(7199 * kSecond);
    EXPECT_TRUE(sent().empty());
    advance(1 * kSecond);
    Parsed probe = only_sent();
    EXPECT_EQ(probe.tcp_flags, kAck);
    EXPECT_EQ(probe.sequence, toro_isn_);  // SND.NXT - 1
    EXPECT_EQ(probe.acknowledgment, kPeerIsn + 1);
    EXPECT_TRUE(probe.payload.empty());
    EXPECT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepIdle, 0, now_), Error::kInvalid);
    EXPECT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepCount, 128, now_), Error::kInvalid);
}

TEST_F(Tcp, KeepaliveAbortsAfterUnansweredProbes) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepIdle, 10, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepInterval, 5, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepCount, 3, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepAlive, 1, now_), Error::kOk);
    advance(10 * kSecond);
    EXPECT_EQ(only_sent().sequence, toro_isn_);
    for (int i = 0; i < 2; ++i) {
        advance(4 * kSecond);
        EXPECT_TRUE(sent().empty());
        advance(1 * kSecond);
        EXPECT_EQ(only_sent().sequence, toro_isn_);
    }
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    advance(5 * kSecond);  // the third went unanswered too
    Parsed reset = only_sent();
    EXPECT_EQ(reset.tcp_flags & kRst, kRst);
    Bytes buffer(8);
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kTimedOut);
    EXPECT_EQ(stack_->stats().tcp_keepalive_timeouts, 1u);
}

// While data is unacknowledged the retransmission timer watches the peer:
// no probes then, and the idle time counts from the peer's last segment.
TEST_F(Tcp, KeepaliveWaitsWhileDataIsInFlight) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepIdle, 10, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(socket, SocketOption::kKeepAlive, 1, now_), Error::kOk);
    Bytes data{1, 2, 3};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    for (int i = 0; i < 15; ++i) {
        advance(1 * kSecond);
        for (const Parsed& frame : sent()) EXPECT_FALSE(frame.payload.empty()) << "a probe at " << i;
    }
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 4, kAck);
    advance(10 * kSecond);
    Parsed probe = only_sent();
    EXPECT_EQ(probe.sequence, toro_isn_ + 3);  // SND.NXT - 1
    EXPECT_TRUE(probe.payload.empty());
}

TEST_F(Tcp, KeepaliveAnsweredKeepsConnection) {
    int listener = listen(80);
    // Set on the listener: the accepted connection inherits it.
    ASSERT_EQ(stack_->tcp_set_keepalive(listener, SocketOption::kKeepIdle, 10, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(listener, SocketOption::kKeepInterval, 5, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(listener, SocketOption::kKeepCount, 2, now_), Error::kOk);
    ASSERT_EQ(stack_->tcp_set_keepalive(listener, SocketOption::kKeepAlive, 1, now_), Error::kOk);
    int socket = accept_from_peer(listener, 80);
    sent();
    advance(10 * kSecond);
    EXPECT_EQ(only_sent().sequence, toro_isn_);
    for (int round = 0; round < 5; ++round) {  // more rounds than probes allowed
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);  // the peer's answer
        EXPECT_TRUE(sent().empty());
        advance(9 * kSecond);  // the idle time starts again from the answer
        EXPECT_TRUE(sent().empty());
        advance(1 * kSecond);
        EXPECT_EQ(only_sent().sequence, toro_isn_);
    }
    EXPECT_EQ(stack_->tcp_state(socket).value(), State::kEstablished);
    EXPECT_EQ(stack_->stats().tcp_keepalive_timeouts, 0u);
}

// RFC 7323 §3.2: TSopt in every segment only when both SYNs had it.
TEST_F(Tcp, TimestampsNegotiatedOnlyWhenBothSend) {
    int socket = established_with_timestamps(100);
    Bytes data = pattern(3000, 21);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 2u);  // the tail waits for an ACK (Nagle)
    std::uint32_t value = 0, echo = 0;
    ASSERT_TRUE(timestamps_in(frames[0].tcp_options, &value, &echo));
    EXPECT_EQ(echo, 100u);  // TS.Recent: the peer's TSval
    EXPECT_EQ(frames[0].tcp_options.size(), 12u);
    EXPECT_EQ(frames[0].payload.size(), 1448u);  // 1460 less TSopt's 12: the frame fits the MTU
    // A peer that sends no TSopt gets none, and whole 1460-byte segments.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options(), 40001);
    Parsed syn_ack = only_sent();
    EXPECT_FALSE(timestamps_in(syn_ack.tcp_options, nullptr, nullptr));
    peer_sends(80, kPeerIsn + 1, syn_ack.sequence + 1, kAck, {}, 65535, {}, 40001);
    auto plain = stack_->tcp_accept(listener_, nullptr, now_);
    ASSERT_TRUE(plain.ok());
    ASSERT_TRUE(stack_->tcp_send(*plain, data.data(), data.size(), now_).ok());
    frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_TRUE(frames[0].tcp_options.empty());
    EXPECT_EQ(frames[0].payload.size(), 1460u);
    // Our SYN always offers it (TSecr 0); a SYN-ACK without it turns it off.
    auto active = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*active, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    ASSERT_TRUE(timestamps_in(syn.tcp_options, &value, &echo));
    EXPECT_EQ(echo, 0u);
    peer_sends(syn.source_port, 7000, syn.sequence + 1, kSyn | kAck, {}, 29200, linux_syn_options(), 8080);
    EXPECT_TRUE(only_sent().tcp_options.empty());
}

// RFC 7323 §5.3: a segment whose TSval is older than TS.Recent is an old
// duplicate: answered with an ACK and dropped, whatever its sequence number.
TEST_F(Tcp, PawsDropsOldSegmentAndAcks) {
    int socket = established_with_timestamps(1000);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, Bytes{1}, 65535, timestamp_option(1010, toro_tsval_));
    peer_sends(80, kPeerIsn + 2, toro_isn_ + 1, kAck, Bytes{2}, 65535, timestamp_option(900, toro_tsval_));
    Parsed ack = only_sent();  // at once, not delayed
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 2);  // the second byte was not taken
    std::uint32_t echo = 0;
    ASSERT_TRUE(timestamps_in(ack.tcp_options, nullptr, &echo));
    EXPECT_EQ(echo, 1010u);
    EXPECT_EQ(stack_->stats().tcp_paws_drops, 1u);
    Bytes buffer(8);
    EXPECT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 1u);
    // A RST is judged by its sequence number alone.
    peer_sends(80, kPeerIsn + 2, 0, kRst, {}, 0, timestamp_option(5, 0));
    EXPECT_EQ(stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_).error(), Error::kConnectionReset);
}

// RFC 7323 §5.5: after 24 days idle TS.Recent says nothing (TSvals may
// have wrapped), so an older TSval is taken.
TEST_F(Tcp, PawsSkippedAfter24DaysIdle) {
    int socket = established_with_timestamps(1000);
    advance(25ull * 24 * 3600 * kSecond);
    sent();
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, Bytes{7}, 65535, timestamp_option(5, toro_tsval_));
    Bytes buffer(8);
    EXPECT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 1u);
    EXPECT_EQ(stack_->stats().tcp_paws_drops, 0u);
}

// RFC 7323 §4.2: after a retransmission Karn allows no sample from the
// timed segment, but the echo of the copy that arrived gives one.
TEST_F(Tcp, RttMeasuredFromTimestampEcho) {
    int socket = established_with_timestamps(100);
    Bytes data{9, 9, 9};
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    advance(1 * kSecond);  // the RTO: sent again, the RTO doubled to 2 s
    Parsed again = only_sent();
    std::uint32_t value = 0;
    ASSERT_TRUE(timestamps_in(again.tcp_options, &value, nullptr));
    advance(50 * kMs);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 4, kAck, {}, 65535, timestamp_option(200, value));
    // A 50 ms sample: RTO = 50 + 4 * 25 ms, raised to the 200 ms floor.
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 4);
    advance(199 * kMs);
    EXPECT_TRUE(sent().empty());
    advance(1 * kMs);
    EXPECT_EQ(only_sent().sequence, toro_isn_ + 4);
}

TEST_F(Tcp, TimestampOptionMalformedIgnored) {
    listen(80);
    // TSopt of length 8 (it is 10): not an offer.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, Bytes{2, 4, 0x05, 0xB4, 8, 8, 0, 0, 0, 1, 0, 0});
    EXPECT_FALSE(timestamps_in(only_sent().tcp_options, nullptr, nullptr));
    // One running past the header: not an offer either.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, Bytes{2, 4, 0x05, 0xB4, 1, 1, 8, 10, 0, 0, 0, 1}, 40001);
    EXPECT_FALSE(timestamps_in(only_sent().tcp_options, nullptr, nullptr));
    stack_ = std::make_unique<Stack>();
    start();
    int socket = established_with_timestamps(1000);
    // On an agreed connection, a bad TSopt is no TSopt: no PAWS, TS.Recent kept.
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, Bytes{1}, 65535, Bytes{1, 1, 8, 6, 0, 0, 0, 5});
    advance(40 * kMs);
    Parsed ack = only_sent();
    EXPECT_EQ(ack.acknowledgment, kPeerIsn + 2);
    std::uint32_t echo = 0;
    ASSERT_TRUE(timestamps_in(ack.tcp_options, nullptr, &echo));
    EXPECT_EQ(echo, 1000u);
    Bytes buffer(8);
    EXPECT_EQ(*stack_->tcp_receive(socket, buffer.data(), buffer.size(), now_), 1u);
}

// RFC 2018 §4: the block with the newest segment first, then the others;
// as many as fit: 4, or 3 beside TSopt.
TEST_F(Tcp, SackBlocksSentForOutOfOrderData) {
    established();  // the peer offered SACK-permitted
    Bytes data = pattern(1460, 31);
    std::uint32_t base = kPeerIsn + 1;
    auto piece = [&](std::uint32_t index) {
        peer_sends(80, base + index * 1460, toro_isn_ + 1, kAck, data);
        return only_sent();
    };
    Parsed ack = piece(2);
    EXPECT_EQ(ack.acknowledgment, base);
    EXPECT_EQ(sack_blocks_in(ack.tcp_options), (Blocks{{base + 2920, base + 4380}}));
    ack = piece(4);
    EXPECT_EQ(sack_blocks_in(ack.tcp_options), (Blocks{{base + 5840, base + 7300}, {base + 2920, base + 4380}}));
    ack = piece(1);  // joins the first range: that one is now the newest
    EXPECT_EQ(sack_blocks_in(ack.tcp_options), (Blocks{{base + 1460, base + 4380}, {base + 5840, base + 7300}}));
    for (std::uint32_t index : {6u, 8u, 10u}) ack = piece(index);
    Blocks blocks = sack_blocks_in(ack.tcp_options);
    ASSERT_EQ(blocks.size(), 4u);  // five ranges held, four fit
    EXPECT_EQ(blocks[0], std::make_pair(base + 14600, base + 16060));
    EXPECT_EQ(blocks[1], std::make_pair(base + 11680, base + 13140));
    EXPECT_EQ(blocks[2], std::make_pair(base + 8760, base + 10220));
    ack = piece(0);  // the gap before all of them fills: the rest stay held
    EXPECT_EQ(ack.acknowledgment, base + 4380);
    EXPECT_EQ(sack_blocks_in(ack.tcp_options).size(), 4u);
    // With timestamps, 3 blocks fit beside TSopt in the 40 bytes.
    stack_ = std::make_unique<Stack>();
    start();
    established_with_timestamps(100);
    for (std::uint32_t index : {2u, 4u, 6u, 8u}) {
        peer_sends(80, base + index * 1460, toro_isn_ + 1, kAck, data, 65535, timestamp_option(100, 0));
        ack = only_sent();
    }
    EXPECT_EQ(sack_blocks_in(ack.tcp_options).size(), 3u);
    EXPECT_EQ(ack.tcp_options.size(), 40u);
}

// A data segment that carries SACK blocks gives their bytes up from its
// payload: with TSopt too, the frame still fits the MTU.
TEST_F(Tcp, SackBlocksOnADataSegmentComeOutOfItsPayload) {
    int socket = established_with_timestamps(100);
    peer_sends(80, kPeerIsn + 1 + 1448, toro_isn_ + 1, kAck, pattern(1448, 37), 65535, timestamp_option(100, 0));
    sent();
    Bytes data = pattern(3000, 38);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    auto frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(sack_blocks_in(frames[0].tcp_options),
              (Blocks{{kPeerIsn + 1 + 1448, kPeerIsn + 1 + 2896}}));
    EXPECT_EQ(frames[0].tcp_options.size(), 24u);         // TSopt 12, one block 12
    EXPECT_EQ(frames[0].payload.size(), 1460u - 24u);    // 40 + 24 + 1436 = 1500
}

// Segments 0 and 2 of five were lost. After the RTO sends 0 again, the
// peer's ACK says it holds 3 and 4: the go-back sends 2 and stops there.
TEST_F(Tcp, RetransmitSkipsSackedBytes) {
    int socket = established();
    Bytes data = pattern(5 * 1460, 32);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 5u);
    std::uint32_t base = toro_isn_ + 1;
    peer_sends(80, kPeerIsn + 1, base, kAck, {}, 65535, sack_option({{base + 1460, base + 2920}, {base + 4380, base + 7300}}));
    advance(1 * kSecond);
    EXPECT_EQ(only_sent().sequence, base);  // the scoreboard is not trusted after a timeout
    peer_sends(80, kPeerIsn + 1, base + 2920, kAck, {}, 65535, sack_option({{base + 4380, base + 7300}}));
    auto frames = sent();  // cwnd 2 segments: without SACK, 2 and 3 would go
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].sequence, base + 2920);
    EXPECT_EQ(frames[0].payload.size(), 1460u);
    peer_sends(80, kPeerIsn + 1, base + 7300, kAck);
    advance(10 * kSecond);
    EXPECT_TRUE(sent().empty());  // all acknowledged: nothing more to send
    // Fast retransmit sends only up to the first SACKed byte.
    stack_ = std::make_unique<Stack>();
    start();
    socket = established();
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 5u);
    base = toro_isn_ + 1;
    for (int i = 0; i < 3; ++i) {
        peer_sends(80, kPeerIsn + 1, base, kAck, {}, 65535, sack_option({{base + 1000, base + 7300}}));
    }
    Parsed retransmitted = only_sent();
    EXPECT_EQ(retransmitted.sequence, base);
    EXPECT_EQ(retransmitted.payload.size(), 1000u);
}

// Each malformed SACK would, if believed, keep segment 3 from being sent
// again; each is ignored, so the go-back sends 2 and 3.
TEST_F(Tcp, MalformedSackBlockIgnored) {
    auto bad_options = [](std::uint32_t base) {
        return std::vector<Bytes>{
            // A length other than 2 + 8n (an extra byte).
            Bytes{1, 5, 11} + be32(base + 4380) + be32(base + 7300) + Bytes{0},
            // Left edge not below the right one.
            sack_option({{base + 7300, base + 4380}}),
            // Beyond SND.MAX.
            sack_option({{base + 4380, base + 7300 + 100000}}),
            // Below SND.UNA (which this ACK moves to base + 2920).
            sack_option({{base - 100, base + 7300}}),
        };
    };
    for (std::size_t which = 0; which < 4; ++which) {
        stack_ = std::make_unique<Stack>();
        start();
        int socket = established();
        Bytes data = pattern(5 * 1460, 34);
        ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
        ASSERT_EQ(sent().size(), 5u);
        std::uint32_t base = toro_isn_ + 1;
        advance(1 * kSecond);
        EXPECT_EQ(only_sent().sequence, base);
        peer_sends(80, kPeerIsn + 1, base + 2920, kAck, {}, 65535, bad_options(base)[which]);
        auto frames = sent();
        ASSERT_EQ(frames.size(), 2u) << "option " << which;
        EXPECT_EQ(frames[0].sequence, base + 2920);
        EXPECT_EQ(frames[1].sequence, base + 4380);
    }
}

TEST_F(Tcp, SackNotUsedUnlessNegotiated) {
    int listener = listen(80);
    // MSS and window scale only: no SACK-permitted.
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, Bytes{2, 4, 0x05, 0xB4, 1, 3, 3, 7});
    Parsed syn_ack = only_sent();
    EXPECT_EQ(syn_ack.tcp_options, (Bytes{2, 4, 0x05, 0xB4, 1, 3, 3, 1}));
    toro_isn_ = syn_ack.sequence;
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    int socket = *stack_->tcp_accept(listener, nullptr, now_);
    sent();
    // Out-of-order data: a duplicate ACK without SACK blocks.
    peer_sends(80, kPeerIsn + 1 + 1460, toro_isn_ + 1, kAck, pattern(1460, 35));
    EXPECT_TRUE(only_sent().tcp_options.empty());
    // SACK blocks from a peer that never offered them are not believed.
    Bytes data = pattern(5 * 1460, 36);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    ASSERT_EQ(sent().size(), 5u);
    std::uint32_t base = toro_isn_ + 1;
    advance(1 * kSecond);
    EXPECT_EQ(only_sent().sequence, base);
    peer_sends(80, kPeerIsn + 1, base + 2920, kAck, {}, 65535, sack_option({{base + 4380, base + 7300}}));
    EXPECT_EQ(sent().size(), 2u);  // 2 and 3 again
}

// RFC 9293 §3.7.1: the MSS announced is the interface's MTU less 40, and
// segments sent are no larger than it or the peer's, whichever is less.
TEST_F(Tcp, MssClampedToInterfaceMtu) {
    nic_.set_max_frame_size(1014);  // an MTU of 1000: the NIC refuses longer frames
    stack_ = std::make_unique<Stack>();
    start();
    int listener = listen(80);
    peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options());  // it offers 1460
    Parsed syn_ack = only_sent();
    ASSERT_GE(syn_ack.tcp_options.size(), 4u);
    EXPECT_EQ(Bytes(syn_ack.tcp_options.begin(), syn_ack.tcp_options.begin() + 4), (Bytes{2, 4, 0x03, 0xC0}));
    toro_isn_ = syn_ack.sequence;
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck);
    int socket = *stack_->tcp_accept(listener, nullptr, now_);
    Bytes data = pattern(3000, 41);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 3u);  // the last 120 bytes wait for an ACK (Nagle)
    for (const Parsed& frame : frames) EXPECT_EQ(frame.payload.size(), 960u);
    // With timestamps the payload is 12 bytes less; the active open's SYN
    // announces the same MSS.
    stack_ = std::make_unique<Stack>();
    start();
    socket = established_with_timestamps(100);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    frames = sent();
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames[0].payload.size(), 948u);
    auto active = stack_->tcp_open();
    ASSERT_EQ(stack_->tcp_connect(*active, {{kPeer}, 8080}, now_), Error::kOk);
    Parsed syn = only_sent();
    EXPECT_EQ(Bytes(syn.tcp_options.begin(), syn.tcp_options.begin() + 4), (Bytes{2, 4, 0x03, 0xC0}));
}

TEST_F(Tcp, ConnectionMemoryReturnsToItsBaseline) {
    int listener = listen(80);
    for (int i = 0; i < 50; ++i) {
        int socket = accept_from_peer(listener, 80, static_cast<std::uint16_t>(30000 + i));
        Bytes data = pattern(3000, static_cast<std::uint32_t>(i));
        ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
        ASSERT_EQ(stack_->tcp_close(socket, false, now_), Error::kOk);
        // The peer acknowledges all it gets (Nagle holds the tail, and the
        // FIN behind it, for the first ACK), then closes too.
        std::uint16_t port = static_cast<std::uint16_t>(30000 + i);
        std::uint32_t end = toro_isn_ + 1;
        for (auto frames = sent(); !frames.empty(); frames = sent()) {
            for (const Parsed& frame : frames) {
                std::uint32_t last = frame.sequence + static_cast<std::uint32_t>(frame.payload.size()) +
                                     ((frame.tcp_flags & kFin) != 0);
                if (last - end < 0x80000000u) end = last;
            }
            peer_sends(80, kPeerIsn + 1, end, kAck, {}, 65535, {}, port);
        }
        EXPECT_EQ(end, toro_isn_ + 1 + 3000 + 1);  // the data and the FIN
        peer_sends(80, kPeerIsn + 1, end, kFin | kAck, {}, 65535, {}, port);
        sent();
    }
    EXPECT_EQ(stack_->stats().tcp_time_wait, 50u);
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);  // a TIME-WAIT holds no buffer
    advance(61 * kSecond);
    EXPECT_EQ(stack_->stats().tcp_sockets, 1u);
    EXPECT_EQ(stack_->stats().tcp_buffer_bytes, 0u);
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(stack_->stats().frames_dropped, 0u);  // segments taken are not drops
}

}  // namespace

// Segmentation offload (TSO): with a NIC that cuts, new data goes as
// several segments in one frame, cut into the segments one at a time
// would have made.
class TcpOffload : public Tcp {
protected:
    void SetUp() override {
        hal_posix::set_unbooted_random_seed(7);
        nic_.set_offload(14 + 65535);
        start();
    }
};

TEST_F(TcpOffload, SendsTheInitialWindowAsOneFrameCutIntoMssSegments) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_set_no_delay(socket, true), Error::kOk);
    Bytes data = pattern(20000, 3);
    std::uint64_t segments_before = stack_->stats().tcp_segments_sent;
    ASSERT_EQ(*stack_->tcp_send(socket, data.data(), data.size(), now_), 20000u);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);  // RFC 6928's ten segments, in one
    EXPECT_EQ(cuts_[0], 1460u);
    EXPECT_EQ(frames[0].sequence, toro_isn_ + 1);
    EXPECT_EQ(frames[0].payload, Bytes(data.begin(), data.begin() + 14600));
    EXPECT_EQ(frames[0].tcp_flags, kAck);  // more is waiting: no PSH
    EXPECT_EQ(stack_->stats().tcp_segments_sent, segments_before + 10);  // counted as they are cut
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 14600, kAck);
    frames = sent();
    ASSERT_EQ(frames.size(), 1u);  // the rest, 5,400 bytes: its short last segment goes (TCP_NODELAY)
    EXPECT_EQ(frames[0].payload, Bytes(data.begin() + 14600, data.end()));
    EXPECT_EQ(frames[0].tcp_flags, kAck | kPsh);
}

TEST_F(TcpOffload, NagleStillHoldsTheShortLastSegment) {
    int socket = established();
    Bytes data = pattern(5000, 4);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload.size(), 3u * 1460u);  // the 620 after them wait for an ACK
    EXPECT_EQ(cuts_[0], 1460u);
    peer_sends(80, kPeerIsn + 1, toro_isn_ + 1 + 3 * 1460, kAck);
    Parsed rest = only_sent();
    EXPECT_EQ(rest.payload, Bytes(data.begin() + 3 * 1460, data.end()));
    EXPECT_EQ(cuts_[0], 0u);  // one segment: nothing to cut
}

TEST_F(TcpOffload, ARetransmissionIsOneSegment) {
    int socket = established();
    Bytes data = pattern(8000, 5);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    sent();
    advance(1000 * kMs);  // the RTO
    Parsed again = only_sent();
    EXPECT_EQ(again.sequence, toro_isn_ + 1);
    EXPECT_EQ(again.payload.size(), 1460u);
}

// A frame the NIC cannot take now waits in packets, which hold a link's
// frame: the stack cuts it itself, as the NIC would have.
TEST_F(TcpOffload, CutsInSoftwareWhatMustWaitForTheNic) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_set_no_delay(socket, true), Error::kOk);
    nic_.set_transmit_capacity(0);
    Bytes data = pattern(4000, 6);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    nic_.set_transmit_capacity(100);
    stack_->poll(now_);  // the driver's turn: the queue goes out
    auto frames = sent();
    ASSERT_EQ(frames.size(), 3u);
    std::size_t sizes[3] = {1460, 1460, 1080};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(cuts_[i], 0u);
        EXPECT_EQ(frames[i].sequence, toro_isn_ + 1 + i * 1460);
        EXPECT_EQ(frames[i].payload, Bytes(data.begin() + static_cast<long>(i * 1460),
                                           data.begin() + static_cast<long>(i * 1460 + sizes[i])));
        EXPECT_EQ(frames[i].tcp_flags, i == 2 ? kAck | kPsh : kAck);
        if (i > 0) EXPECT_EQ(frames[i].identification, static_cast<std::uint16_t>(frames[0].identification + i));
    }
}

// So does a frame waiting for ARP (the peer's entry expired).
TEST_F(TcpOffload, CutsInSoftwareWhatWaitsForArp) {
    int socket = established();
    ASSERT_EQ(stack_->tcp_set_no_delay(socket, true), Error::kOk);
    advance(61 * kSecond);
    sent();
    Bytes data = pattern(3000, 7);
    ASSERT_TRUE(stack_->tcp_send(socket, data.data(), data.size(), now_).ok());
    auto frames = sent();  // answers the ARP request; the cuts follow
    ASSERT_EQ(frames.size(), 3u);
    Bytes joined;
    for (const Parsed& frame : frames) joined.insert(joined.end(), frame.payload.begin(), frame.payload.end());
    EXPECT_EQ(joined, data);
    EXPECT_EQ(frames[2].sequence, toro_isn_ + 1 + 2 * 1460);
}
