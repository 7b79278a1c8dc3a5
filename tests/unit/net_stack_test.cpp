// The stack below TCP, driven by hand: no machine is booted. Frames go in
// through Stack::input on a virtual clock, frames out are taken from a
// MemoryNic and read with tests/support/net_frames (an independent reading
// of the RFCs). Each test is one behaviour.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "hal_posix/memory_nic.h"
#include "net/stack.h"
#include "net_frames.h"

namespace {

using namespace toro_test;
using toro::net::Endpoint;
using toro::net::Packet;
using toro::net::Stack;
using toro::net::StackLimits;

constexpr Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
constexpr Mac kPeerMac{0x02, 0, 0, 0, 0, 0x02};
constexpr Mac kGatewayMac{0x02, 0, 0, 0, 0, 0xFE};
const std::uint32_t kToro = ip("198.18.0.2");
const std::uint32_t kPeer = ip("198.18.0.1");
const std::uint32_t kGateway = ip("198.18.0.254");
constexpr std::size_t kPoolBytes = 2 << 20;  // 1024 packets
constexpr std::uint64_t kSecond = toro::net::kSecond;

class NetStack : public ::testing::Test {
protected:
    NetStack() : nic_(kToroMac.data()), memory_(std::aligned_alloc(4096, kPoolBytes)) {}
    ~NetStack() override { std::free(memory_); }

    void start(const StackLimits& limits = {}) {
        toro::net::InterfaceConfig config{{kToro}, 24, {kGateway}};
        stack_->initialize(&nic_, memory_, kPoolBytes, config, limits, now_);
        baseline_ = stack_->pool().in_use();
    }
    void inject(const Bytes& frame) {
        Packet* packet = stack_->pool().acquire();
        ASSERT_NE(packet, nullptr);
        ASSERT_LE(frame.size(), toro::net::kPacketCapacity);
        if (!frame.empty()) std::memcpy(packet->data, frame.data(), frame.size());
        packet->length = static_cast<std::uint16_t>(frame.size());
        stack_->input(packet, now_);
    }
    void inject_ip(const IpFields& fields, const Bytes& payload) {
        inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(fields, payload)));
    }
    std::vector<Parsed> sent() {
        std::vector<Parsed> frames;
        hal_posix::Frame frame;
        while (nic_.take_sent(&frame)) {
            std::string why;
            auto parsed = parse(frame, &why);
            EXPECT_TRUE(parsed.has_value()) << "the stack sent a malformed frame: " << why;
            if (parsed) frames.push_back(*parsed);
        }
        return frames;
    }
    void advance(std::uint64_t nanoseconds) {
        now_ += nanoseconds;
        stack_->poll(now_);
    }
    // The peer asks for our MAC, as any Linux host does before it sends.
    void peer_resolves_us() {
        inject(ethernet(kBroadcast, kPeerMac, 0x0806, arp(1, kPeerMac, kPeer, Mac{}, kToro)));
        sent();
    }
    IpFields from_peer(std::uint8_t protocol) {
        IpFields fields;
        fields.source = kPeer;
        fields.destination = kToro;
        fields.protocol = protocol;
        return fields;
    }
    int bound_socket(std::uint16_t port) {
        auto socket = stack_->udp_open();
        EXPECT_TRUE(socket.ok());
        EXPECT_EQ(stack_->udp_bind(*socket, {{0}, port}), toro::Error::kOk);
        return *socket;
    }
    std::size_t in_use() const { return stack_->pool().in_use() - baseline_; }

    hal_posix::MemoryNic nic_;
    void* memory_;
    std::unique_ptr<Stack> stack_ = std::make_unique<Stack>();
    std::uint64_t now_ = 1000 * kSecond;
    std::size_t baseline_ = 0;
};

TEST_F(NetStack, AnnouncesItsAddressWithAGratuitousArpOnStart) {
    start();
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].destination, kBroadcast);
    EXPECT_EQ(frames[0].arp_operation, 1);
    EXPECT_EQ(frames[0].arp_sender_ip, kToro);
    EXPECT_EQ(frames[0].arp_target_ip, kToro);
}

TEST_F(NetStack, AnswersAnArpRequestForItsAddress) {
    start();
    sent();
    inject(ethernet(kBroadcast, kPeerMac, 0x0806, arp(1, kPeerMac, kPeer, Mac{}, kToro)));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].destination, kPeerMac);
    EXPECT_EQ(frames[0].arp_operation, 2);
    EXPECT_EQ(frames[0].arp_sender_mac, kToroMac);
    EXPECT_EQ(frames[0].arp_sender_ip, kToro);
    EXPECT_EQ(frames[0].arp_target_ip, kPeer);
}

TEST_F(NetStack, IgnoresArpRequestsForOtherAddressesAndMalformedArp) {
    start();
    sent();
    inject(ethernet(kBroadcast, kPeerMac, 0x0806, arp(1, kPeerMac, kPeer, Mac{}, ip("198.18.0.9"))));
    Bytes bad = arp(1, kPeerMac, kPeer, Mac{}, kToro);
    bad[4] = 8;  // hardware length 8
    inject(ethernet(kBroadcast, kPeerMac, 0x0806, bad));
    Bytes truncated = arp(1, kPeerMac, kPeer, Mac{}, kToro);
    truncated.resize(27);
    inject(ethernet(kBroadcast, kPeerMac, 0x0806, truncated));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, ResolvesANeighbourAndSendsTheFramesThatWaitedInOrder) {
    start();
    sent();
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    for (std::uint8_t i = 0; i < 3; ++i) {
        Bytes payload{i};
        ASSERT_TRUE(stack_->udp_send(socket, payload.data(), 1, &peer, now_).ok());
    }
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);  // only the request: the datagrams wait
    EXPECT_EQ(frames[0].arp_operation, 1);
    EXPECT_EQ(frames[0].arp_target_ip, kPeer);
    EXPECT_EQ(in_use(), 3u);
    inject(ethernet(kToroMac, kPeerMac, 0x0806, arp(2, kPeerMac, kPeer, kToroMac, kToro)));
    frames = sent();
    ASSERT_EQ(frames.size(), 3u);
    for (std::uint8_t i = 0; i < 3; ++i) {
        EXPECT_EQ(frames[i].destination, kPeerMac);
        EXPECT_EQ(frames[i].destination_port, 5000);
        EXPECT_EQ(frames[i].payload, Bytes{i});
    }
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, RetriesArpThenDropsTheWaitingFramesAndReturnsTheirMemory) {
    start();
    sent();
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    Bytes payload(100, 7);
    ASSERT_TRUE(stack_->udp_send(socket, payload.data(), payload.size(), &peer, now_).ok());
    EXPECT_EQ(sent().size(), 1u);
    advance(kSecond);
    EXPECT_EQ(sent().size(), 1u);  // second request
    advance(kSecond);
    EXPECT_EQ(sent().size(), 1u);  // third
    EXPECT_EQ(in_use(), 1u);
    advance(kSecond);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(stack_->stats().arp_entries, 0u);
}

TEST_F(NetStack, AnEntryExpiresAndIsAskedForAgain) {
    start();
    peer_resolves_us();
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    Bytes payload{1};
    ASSERT_TRUE(stack_->udp_send(socket, payload.data(), 1, &peer, now_).ok());
    EXPECT_EQ(sent().size(), 1u);  // straight out: resolved
    advance(61 * kSecond);
    ASSERT_TRUE(stack_->udp_send(socket, payload.data(), 1, &peer, now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].arp_operation, 1);
}

// Scans of the ARP table stop after the last entry in use: entries that
// expire below or at the top of it must leave the others found.
TEST_F(NetStack, NeighboursStayResolvedWhileEntriesAroundThemExpire) {
    start();
    int socket = bound_socket(4000);
    auto learn = [&](std::uint8_t host) {
        Mac mac{0x02, 0, 0, 0, 1, host};
        inject(ethernet(kBroadcast, mac, 0x0806,
                        arp(1, mac, ip("198.18.0.0") + host, Mac{}, kToro)));
    };
    // Sends one datagram to the host: true if it went out at once.
    auto resolved = [&](std::uint8_t host) {
        sent();
        Endpoint peer{{ip("198.18.0.0") + host}, 5000};
        Bytes payload{host};
        EXPECT_TRUE(stack_->udp_send(socket, payload.data(), 1, &peer, now_).ok());
        auto frames = sent();
        return frames.size() == 1 && frames[0].protocol == 17;
    };
    learn(10);
    advance(20 * kSecond);
    learn(11);
    advance(20 * kSecond);
    learn(12);
    advance(21 * kSecond);  // 10 expired (the first slot)
    EXPECT_TRUE(resolved(11));
    EXPECT_TRUE(resolved(12));
    learn(13);  // takes the freed first slot
    advance(20 * kSecond);  // 11 expired (the middle)
    EXPECT_TRUE(resolved(12));
    EXPECT_TRUE(resolved(13));
    advance(20 * kSecond);  // 12 expired (the top)
    EXPECT_TRUE(resolved(13));
    EXPECT_FALSE(resolved(12));  // asked for again
    EXPECT_EQ(stack_->stats().arp_entries, 2u);  // 13, and 12 being asked for
}

TEST_F(NetStack, AnArpStormFromThousandsOfAddressesStaysWithinTheTable) {
    start();
    for (std::uint32_t i = 0; i < 5000; ++i) {
        Mac mac{0x02, 1, 0, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                static_cast<std::uint8_t>(i)};
        std::uint32_t sender = ip("198.18.0.0") + 0x10000 + i;
        inject(ethernet(kBroadcast, mac, 0x0806, arp(1, mac, sender, Mac{}, kToro)));
        inject(ethernet(kBroadcast, mac, 0x0806, arp(2, mac, sender + 1, Mac{}, sender)));
    }
    sent();
    EXPECT_LE(stack_->stats().arp_entries, Stack::kArpEntries);
    EXPECT_EQ(in_use(), 0u);
}

// Echo requests from on-link addresses that never answer ARP (spoofed):
// each reply waits for a resolution that never comes.
TEST_F(NetStack, FramesWaitingForArpStayWithinTheirBoundAndLeaveThePoolToReceive) {
    start();
    peer_resolves_us();
    for (std::uint32_t round = 0; round < 64; ++round) {
        for (std::uint32_t station = 0; station < Stack::kArpEntries; ++station) {
            Mac mac{0x02, 2, 0, 0, 0, static_cast<std::uint8_t>(station)};
            IpFields fields = from_peer(1);
            fields.source = ip("198.18.0.100") + station;
            inject(ethernet(
                kToroMac, mac, 0x0800,
                ipv4(fields, icmp_echo(8, 1, static_cast<std::uint16_t>(round), Bytes(64)))));
        }
    }
    sent();
    EXPECT_LE(in_use(), StackLimits{}.arp_waiting_packets);
    int socket = bound_socket(7);
    inject_ip(from_peer(17), udp(kPeer, kToro, 5000, 7, Bytes(10, 1)));
    std::uint8_t buffer[16];
    EXPECT_TRUE(stack_->udp_receive(socket, buffer, sizeof buffer, nullptr).ok());
    for (int attempt = 0; attempt < 3; ++attempt) advance(kSecond);  // no answers: given up
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, ANeighbourIsResolvedWhileTheTableIsFullOfUnansweredOnes) {
    start();
    sent();
    for (std::uint32_t station = 0; station < Stack::kArpEntries; ++station) {
        Mac mac{0x02, 2, 0, 0, 0, static_cast<std::uint8_t>(station)};
        IpFields fields = from_peer(1);
        fields.source = ip("198.18.0.100") + station;
        inject(ethernet(kToroMac, mac, 0x0800, ipv4(fields, icmp_echo(8, 1, 1, Bytes(8)))));
    }
    EXPECT_EQ(sent().size(), Stack::kArpEntries);  // one request each, no answer
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    Bytes payload{42};
    ASSERT_TRUE(stack_->udp_send(socket, payload.data(), 1, &peer, now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].arp_operation, 1);
    EXPECT_EQ(frames[0].arp_target_ip, kPeer);
    inject(ethernet(kToroMac, kPeerMac, 0x0806, arp(2, kPeerMac, kPeer, kToroMac, kToro)));
    frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].destination, kPeerMac);
    EXPECT_EQ(frames[0].payload, payload);
    EXPECT_LE(stack_->stats().arp_entries, Stack::kArpEntries);
}

TEST_F(NetStack, RepliesToAnEchoRequestWithTheSamePayload) {
    start();
    peer_resolves_us();
    Bytes payload = pattern(56, 1);
    inject_ip(from_peer(1), icmp_echo(8, 0x1234, 7, payload));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].destination, kPeerMac);
    EXPECT_EQ(frames[0].ip_source, kToro);
    EXPECT_EQ(frames[0].ip_destination, kPeer);
    EXPECT_EQ(frames[0].icmp_type, 0);
    EXPECT_EQ(frames[0].payload, payload);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, IgnoresAnEchoRequestToTheBroadcastAddress) {
    start();
    peer_resolves_us();
    IpFields fields = from_peer(1);
    fields.destination = ip("198.18.0.255");
    inject(ethernet(kBroadcast, kPeerMac, 0x0800, ipv4(fields, icmp_echo(8, 1, 1, Bytes(8)))));
    fields.destination = 0xFFFFFFFF;
    inject(ethernet(kBroadcast, kPeerMac, 0x0800, ipv4(fields, icmp_echo(8, 1, 1, Bytes(8)))));
    EXPECT_TRUE(sent().empty());
}

TEST_F(NetStack, RepliesToAFragmentedEchoRequestWithFragments) {
    start();
    peer_resolves_us();
    Bytes payload = pattern(8000, 2);
    for (const Bytes& frame : fragments(kToroMac, kPeerMac, from_peer(1), icmp_echo(8, 9, 1, payload), 1480)) {
        inject(frame);
    }
    auto frames = sent();
    ASSERT_EQ(frames.size(), 6u);  // 8008 bytes of ICMP in 1480-byte parts
    std::string why;
    auto whole = reassemble(frames, &why);
    ASSERT_TRUE(whole.has_value()) << why;
    EXPECT_EQ(whole->icmp_type, 0);
    EXPECT_EQ(whole->payload, payload);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, ReassemblesFragmentsArrivingInEveryOrder) {
    start();
    peer_resolves_us();
    int socket = bound_socket(7);
    Bytes payload = pattern(3000, 3);
    IpFields fields = from_peer(17);
    std::vector<Bytes> parts = fragments(kToroMac, kPeerMac, fields, udp(kPeer, kToro, 5000, 7, payload), 800);
    ASSERT_EQ(parts.size(), 4u);
    std::vector<int> order{0, 1, 2, 3};
    int permutations = 0;
    do {
        for (int index : order) inject(parts[static_cast<std::size_t>(index)]);
        Bytes received(4000);
        Endpoint from;
        auto length = stack_->udp_receive(socket, received.data(), received.size(), &from);
        ASSERT_TRUE(length.ok()) << "order " << order[0] << order[1] << order[2] << order[3];
        received.resize(*length);
        EXPECT_EQ(received, payload);
        EXPECT_EQ(from.address.value, kPeer);
        EXPECT_EQ(from.port, 5000);
        ++permutations;
    } while (std::next_permutation(order.begin(), order.end()));
    EXPECT_EQ(permutations, 24);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, IgnoresDuplicateFragments) {
    start();
    int socket = bound_socket(7);
    Bytes payload = pattern(2000, 4);
    auto parts = fragments(kToroMac, kPeerMac, from_peer(17), udp(kPeer, kToro, 5000, 7, payload), 1024);
    inject(parts[0]);
    inject(parts[0]);
    inject(parts[1]);
    inject(parts[1]);  // after completion: the start of a new, never-finished datagram
    Bytes received(4000);
    auto length = stack_->udp_receive(socket, received.data(), received.size(), nullptr);
    ASSERT_TRUE(length.ok());
    received.resize(*length);
    EXPECT_EQ(received, payload);
    EXPECT_FALSE(stack_->udp_receive(socket, received.data(), received.size(), nullptr).ok());
}

TEST_F(NetStack, DiscardsADatagramWhoseFragmentsOverlap) {
    start();
    int socket = bound_socket(7);
    Bytes datagram = udp(kPeer, kToro, 5000, 7, pattern(2000, 5));
    auto parts = fragments(kToroMac, kPeerMac, from_peer(17), datagram, 1024);
    // A forged middle fragment overlapping both: offset 512, 1024 bytes.
    IpFields fields = from_peer(17);
    fields.fragment_offset = 512;
    fields.more_fragments = true;
    Bytes overlap(datagram.begin() + 512, datagram.begin() + 1536);
    inject(parts[0]);
    inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(fields, overlap)));
    inject(parts[1]);
    Bytes received(4000);
    EXPECT_EQ(stack_->udp_receive(socket, received.data(), received.size(), nullptr).error(),
              toro::Error::kWouldBlock);
    EXPECT_EQ(stack_->stats().reassembly_in_progress, 1u);  // parts[1] began anew
    advance(31 * kSecond);
    EXPECT_EQ(in_use(), 0u);
    // The same forgery arriving after the fragment it overlaps from below:
    // the datagram is given up at once, its memory with it.
    inject(parts[1]);
    inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(fields, overlap)));
    EXPECT_EQ(stack_->stats().reassembly_in_progress, 0u);
    EXPECT_EQ(in_use(), 0u);
    inject(parts[0]);
    EXPECT_EQ(stack_->udp_receive(socket, received.data(), received.size(), nullptr).error(),
              toro::Error::kWouldBlock);
    advance(31 * kSecond);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, AFragmentThatNeverCompletesTimesOutAndItsMemoryReturns) {
    start();
    bound_socket(7);
    auto parts = fragments(kToroMac, kPeerMac, from_peer(17), udp(kPeer, kToro, 5000, 7, pattern(3000, 6)), 1024);
    inject(parts[0]);
    inject(parts[2]);
    EXPECT_EQ(in_use(), 2u);
    EXPECT_EQ(stack_->stats().reassembly_in_progress, 1u);
    EXPECT_EQ(stack_->poll(now_), now_ + 30 * kSecond);
    advance(29 * kSecond);
    EXPECT_EQ(in_use(), 2u);
    advance(1 * kSecond);
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(stack_->stats().reassembly_in_progress, 0u);
}

TEST_F(NetStack, EndlessFragmentsStayWithinTheReassemblyBound) {
    StackLimits limits;
    limits.reassembly_packets = 100;
    start(limits);
    for (std::uint16_t id = 0; id < 2000; ++id) {
        IpFields fields = from_peer(17);
        fields.identification = id;
        fields.source = kPeer + (id % 50);
        fields.more_fragments = true;
        fields.fragment_offset = static_cast<std::uint16_t>(8 * (id % 7));
        inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(fields, Bytes(1024, 1))));
        ASSERT_LE(in_use(), 100u);
        ASSERT_LE(stack_->stats().reassembly_in_progress, Stack::kReassemblies);
    }
    advance(31 * kSecond);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, SkipsIpOptionsOfEveryLength) {
    start();
    int socket = bound_socket(7);
    Bytes payload = pattern(100, 7);
    for (std::size_t options = 0; options <= 40; options += 4) {
        IpFields fields = from_peer(17);
        fields.options = Bytes(options, 1);  // NOPs
        inject_ip(fields, udp(kPeer, kToro, 5000, 7, payload));
        Bytes received(200);
        auto length = stack_->udp_receive(socket, received.data(), received.size(), nullptr);
        ASSERT_TRUE(length.ok()) << options << " bytes of options";
        received.resize(*length);
        EXPECT_EQ(received, payload);
    }
}

TEST_F(NetStack, DropsEveryTruncationOfAValidFrameWithoutReadingPastIt) {
    start();
    peer_resolves_us();
    bound_socket(7);
    Bytes frame = ethernet(kToroMac, kPeerMac, 0x0800, ipv4(from_peer(17), udp(kPeer, kToro, 1, 7, pattern(64, 8))));
    for (std::size_t length = 0; length < frame.size(); ++length) {
        inject(Bytes(frame.begin(), frame.begin() + static_cast<long>(length)));
    }
    // Ethernet padding after the datagram is not part of it.
    Bytes padded = frame;
    padded.resize(frame.size() + 20, 0xEE);
    inject(padded);
    EXPECT_EQ(stack_->stats().socket_queued_bytes, 64u);
    EXPECT_TRUE(sent().empty());  // no error answers a runt
}

TEST_F(NetStack, DropsIpHeadersWithABadChecksumOrLengthsThatLie) {
    start();
    int socket = bound_socket(7);
    Bytes good = ipv4(from_peer(17), udp(kPeer, kToro, 1, 7, Bytes(10, 1)));
    Bytes bad_checksum = good;
    bad_checksum[10] ^= 0xFF;
    Bytes long_total = good;
    long_total[3] = static_cast<std::uint8_t>(long_total[3] + 1);  // total_length past the frame
    Bytes short_header = good;
    short_header[0] = 0x44;  // IHL 4
    for (const Bytes& ip_packet : {bad_checksum, long_total, short_header}) {
        inject(ethernet(kToroMac, kPeerMac, 0x0800, ip_packet));
    }
    Bytes received(64);
    EXPECT_FALSE(stack_->udp_receive(socket, received.data(), received.size(), nullptr).ok());
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, ChecksUdpChecksumsAndAcceptsNone) {
    start();
    int socket = bound_socket(7);
    Bytes datagram = udp(kPeer, kToro, 1, 7, Bytes{1, 2, 3});
    datagram[9] ^= 0x01;  // a payload bit flipped in flight
    inject_ip(from_peer(17), datagram);
    inject_ip(from_peer(17), udp(kPeer, kToro, 1, 7, Bytes{4, 5}, /*with_checksum=*/false));
    Bytes received(16);
    auto length = stack_->udp_receive(socket, received.data(), received.size(), nullptr);
    ASSERT_TRUE(length.ok());
    EXPECT_EQ(*length, 2u);
    EXPECT_EQ(received[0], 4);
    EXPECT_FALSE(stack_->udp_receive(socket, received.data(), received.size(), nullptr).ok());
}

TEST_F(NetStack, AnswersADatagramToAClosedPortWithPortUnreachable) {
    start();
    peer_resolves_us();
    Bytes datagram = udp(kPeer, kToro, 1234, 9999, Bytes{1, 2, 3});
    inject_ip(from_peer(17), datagram);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].icmp_type, 3);
    EXPECT_EQ(frames[0].icmp_code, 3);
    // It quotes the IP header and the first 8 bytes: the UDP header.
    ASSERT_EQ(frames[0].payload.size(), 28u);
    EXPECT_TRUE(std::equal(datagram.begin(), datagram.begin() + 8, frames[0].payload.begin() + 20));
}

TEST_F(NetStack, RateLimitsIcmpErrors) {
    start();
    peer_resolves_us();
    for (int i = 0; i < 1000; ++i) inject_ip(from_peer(17), udp(kPeer, kToro, 1, 9999, Bytes{1}));
    EXPECT_EQ(sent().size(), 100u);  // the bucket: one second's worth
    advance(kSecond / 10);
    for (int i = 0; i < 1000; ++i) inject_ip(from_peer(17), udp(kPeer, kToro, 1, 9999, Bytes{1}));
    EXPECT_EQ(sent().size(), 10u);
    EXPECT_EQ(stack_->stats().icmp_rate_limited, 1890u);
}

TEST_F(NetStack, AnswersAnUnknownProtocolWithProtocolUnreachable) {
    start();
    peer_resolves_us();
    inject_ip(from_peer(99), Bytes(20, 0));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].icmp_type, 3);
    EXPECT_EQ(frames[0].icmp_code, 2);
}

TEST_F(NetStack, FragmentsALargeDatagramOnSend) {
    start();
    peer_resolves_us();
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    Bytes payload = pattern(toro::net::kMaxUdpPayload, 9);
    ASSERT_TRUE(stack_->udp_send(socket, payload.data(), payload.size(), &peer, now_).ok());
    auto frames = sent();
    EXPECT_EQ(frames.size(), 45u);
    std::string why;
    auto whole = reassemble(frames, &why);
    ASSERT_TRUE(whole.has_value()) << why;
    EXPECT_EQ(whole->destination_port, 5000);
    EXPECT_EQ(whole->payload, payload);
    Bytes too_long(toro::net::kMaxUdpPayload + 1);
    EXPECT_EQ(stack_->udp_send(socket, too_long.data(), too_long.size(), &peer, now_).error(),
              toro::Error::kMessageTooLong);
}

TEST_F(NetStack, SendsOffTheSubnetThroughTheGateway) {
    start();
    sent();
    int socket = bound_socket(4000);
    Endpoint far{{ip("203.0.113.5")}, 53};  // RFC 5737: never reached, only resolved
    const std::uint8_t byte = 1;
    ASSERT_TRUE(stack_->udp_send(socket, &byte, 1, &far, now_).ok());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].arp_target_ip, kGateway);
    inject(ethernet(kToroMac, kGatewayMac, 0x0806, arp(2, kGatewayMac, kGateway, kToroMac, kToro)));
    frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].destination, kGatewayMac);
    EXPECT_EQ(frames[0].ip_destination, ip("203.0.113.5"));
}

TEST_F(NetStack, BoundsWhatOneSocketQueues) {
    StackLimits limits;
    limits.socket_receive_bytes = 16 * toro::net::kPacketBytes;
    start(limits);
    int socket = bound_socket(7);
    for (int i = 0; i < 100; ++i) inject_ip(from_peer(17), udp(kPeer, kToro, 1, 7, Bytes(100, 1)));
    EXPECT_EQ(in_use(), 16u);
    EXPECT_EQ(stack_->stats().socket_queued_bytes, 1600u);
    ASSERT_EQ(stack_->udp_close(socket), toro::Error::kOk);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, BoundsTheFramesWaitingForAFullDevice) {
    start();
    peer_resolves_us();
    nic_.set_transmit_capacity(0);  // the ring is full: every transmit is kWouldBlock
    int socket = bound_socket(4000);
    Endpoint peer{{kPeer}, 5000};
    const std::uint8_t byte = 1;
    std::size_t accepted = 0;
    for (int i = 0; i < 300; ++i) accepted += stack_->udp_send(socket, &byte, 1, &peer, now_).ok();
    EXPECT_EQ(accepted, Stack::kTransmitQueue);
    EXPECT_EQ(in_use(), Stack::kTransmitQueue);
    EXPECT_EQ(stack_->udp_send(socket, &byte, 1, &peer, now_).error(), toro::Error::kNoBufferSpace);
    nic_.set_transmit_capacity(~std::size_t{0});  // room again: the driver polls
    stack_->poll(now_);
    EXPECT_EQ(sent().size(), Stack::kTransmitQueue);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(NetStack, BindsPortsOnceAndPicksEphemeralOnes) {
    start();
    int first = bound_socket(7);
    auto second = stack_->udp_open();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(stack_->udp_bind(*second, {{0}, 7}), toro::Error::kAddressInUse);
    EXPECT_EQ(stack_->udp_bind(*second, {{ip("198.18.0.77")}, 8}), toro::Error::kAddressNotAvailable);
    ASSERT_EQ(stack_->udp_bind(*second, {{0}, 0}), toro::Error::kOk);
    auto local = stack_->udp_local(*second);
    ASSERT_TRUE(local.ok());
    EXPECT_GE(local->port, 49152);
    EXPECT_EQ(stack_->udp_bind(first, {{0}, 9}), toro::Error::kInvalid);  // already bound
    EXPECT_EQ(stack_->udp_close(first), toro::Error::kOk);
    EXPECT_EQ(stack_->udp_close(first), toro::Error::kBadDescriptor);
}

TEST_F(NetStack, AConnectedSocketTakesOnlyItsPeersDatagrams) {
    start();
    peer_resolves_us();
    auto socket = stack_->udp_open();
    ASSERT_TRUE(socket.ok());
    ASSERT_EQ(stack_->udp_bind(*socket, {{0}, 7}), toro::Error::kOk);
    ASSERT_EQ(stack_->udp_connect(*socket, {{kPeer}, 5000}), toro::Error::kOk);
    inject_ip(from_peer(17), udp(kPeer, kToro, 5001, 7, Bytes{1}));
    inject_ip(from_peer(17), udp(kPeer, kToro, 5000, 7, Bytes{2}));
    Bytes received(4);
    auto length = stack_->udp_receive(*socket, received.data(), received.size(), nullptr);
    ASSERT_TRUE(length.ok());
    EXPECT_EQ(received[0], 2);
    EXPECT_FALSE(stack_->udp_receive(*socket, received.data(), received.size(), nullptr).ok());
}

// Scans of the socket table stop after the last open slot: closing the
// sockets below one, or the last one, must not hide the others.
TEST_F(NetStack, DeliversToEverySocketWhateverSlotsCloseAroundIt) {
    start();
    peer_resolves_us();
    int low = bound_socket(5);
    int middle = bound_socket(6);
    int high = bound_socket(7);
    ASSERT_EQ(stack_->udp_close(low), toro::Error::kOk);
    ASSERT_EQ(stack_->udp_close(middle), toro::Error::kOk);
    Bytes received(4);
    inject_ip(from_peer(17), udp(kPeer, kToro, 5000, 7, Bytes{7}));
    ASSERT_TRUE(stack_->udp_receive(high, received.data(), received.size(), nullptr).ok());
    EXPECT_EQ(received[0], 7);
    int reopened = bound_socket(5);  // the lowest free slot again
    EXPECT_EQ(reopened, low);
    ASSERT_EQ(stack_->udp_close(high), toro::Error::kOk);
    inject_ip(from_peer(17), udp(kPeer, kToro, 5000, 5, Bytes{5}));
    ASSERT_TRUE(stack_->udp_receive(reopened, received.data(), received.size(), nullptr).ok());
    EXPECT_EQ(received[0], 5);
    inject_ip(from_peer(17), udp(kPeer, kToro, 5000, 7, Bytes{7}));  // closed: port unreachable
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].icmp_type, 3);
    EXPECT_EQ(stack_->stats().sockets_open, 1u);
    EXPECT_EQ(stack_->udp_bind(*stack_->udp_open(), {{0}, 7}), toro::Error::kOk);  // 7 is free
}

}  // namespace
