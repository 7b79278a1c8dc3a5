// The DHCP client against a scripted server, on a virtual clock, with no
// machine booted: each test drives Stack::input/poll and reads what the
// client broadcast from a MemoryNic.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "hal_posix/memory_nic.h"
#include "net/stack.h"
#include "net_frames.h"

namespace {

using namespace toro_test;
using toro::net::DhcpState;
using toro::net::Packet;
using toro::net::Stack;

constexpr Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
constexpr Mac kServerMac{0x02, 0, 0, 0, 0, 0x43};
const std::uint32_t kServer = ip("198.18.0.1");
const std::uint32_t kOffered = ip("198.18.0.50");
constexpr std::uint64_t kSecond = toro::net::kSecond;
constexpr std::size_t kPoolBytes = 1 << 20;

struct SentDhcp {
    std::uint8_t type = 0;
    std::uint32_t transaction = 0;
    std::uint32_t requested = 0, server_id = 0, client_address = 0;
    std::uint32_t ip_destination = 0;
};

class Dhcp : public ::testing::Test {
protected:
    Dhcp() : nic_(kToroMac.data()), memory_(std::aligned_alloc(4096, kPoolBytes)) {
        stack_->initialize(&nic_, memory_, kPoolBytes, {}, {}, now_);  // no address: DHCP
    }
    ~Dhcp() override { std::free(memory_); }

    // The DHCP messages the client sent since the last call.
    std::vector<SentDhcp> sent() {
        std::vector<SentDhcp> messages;
        hal_posix::Frame frame;
        while (nic_.take_sent(&frame)) {
            std::string why;
            auto parsed = parse(frame, &why);
            EXPECT_TRUE(parsed.has_value()) << why;
            if (!parsed || parsed->protocol != 17 || parsed->destination_port != 67) continue;
            const Bytes& body = parsed->payload;
            EXPECT_GE(body.size(), 300u);  // BOOTP's minimum
            SentDhcp message;
            message.transaction = static_cast<std::uint32_t>(body[4] << 24 | body[5] << 16 | body[6] << 8 | body[7]);
            message.client_address = static_cast<std::uint32_t>(body[12] << 24 | body[13] << 16 | body[14] << 8 | body[15]);
            message.ip_destination = parsed->ip_destination;
            for (std::size_t i = 240; i < body.size() && body[i] != 255;) {
                if (body[i] == 0) { ++i; continue; }
                std::uint8_t code = body[i], length = body[i + 1];
                auto value32 = [&] { return static_cast<std::uint32_t>(body[i + 2] << 24 | body[i + 3] << 16 | body[i + 4] << 8 | body[i + 5]); };
                if (code == 53) message.type = body[i + 2];
                if (code == 50) message.requested = value32();
                if (code == 54) message.server_id = value32();
                i += 2u + length;
            }
            messages.push_back(message);
        }
        return messages;
    }
    // A reply from the server: `type` 2 OFFER, 5 ACK, 6 NAK.
    void reply(std::uint8_t type, std::uint32_t transaction, std::uint32_t lease_seconds = 3600) {
        Bytes body(240, 0);
        body[0] = 2;
        body[1] = 1;
        body[2] = 6;
        for (int i = 0; i < 4; ++i) body[4 + i] = static_cast<std::uint8_t>(transaction >> (24 - 8 * i));
        if (type != 6) {
            for (int i = 0; i < 4; ++i) body[16 + i] = static_cast<std::uint8_t>(kOffered >> (24 - 8 * i));
        }
        std::memcpy(&body[28], kToroMac.data(), 6);
        const std::uint8_t magic[4] = {99, 130, 83, 99};
        std::memcpy(&body[236], magic, 4);
        auto option32 = [&](std::uint8_t code, std::uint32_t value) {
            body.insert(body.end(), {code, 4, static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                                     static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
        };
        body.insert(body.end(), {53, 1, type});
        option32(54, kServer);
        option32(1, 0xFFFFFF00);
        option32(3, kServer);
        option32(6, ip("198.18.0.53"));
        option32(51, lease_seconds);
        body.push_back(255);
        IpFields fields;
        fields.source = kServer;
        fields.destination = 0xFFFFFFFF;
        nic_.inject(ethernet(kBroadcast, kServerMac, 0x0800, ipv4(fields, udp(kServer, 0xFFFFFFFF, 67, 68, body))));
        deliver();
    }
    void deliver() {
        hal_posix::Frame frame;
        std::uint8_t buffer[2048];
        std::size_t length;
        while (nic_.receive(buffer, sizeof buffer, &length) == hal::DeviceStatus::kOk) {
            Packet* packet = stack_->pool().acquire();
            ASSERT_NE(packet, nullptr);
            std::memcpy(packet->data, buffer, length);
            packet->length = static_cast<std::uint16_t>(length);
            stack_->input(packet, now_);
        }
    }
    void advance_to(std::uint64_t time) {
        now_ = time;
        stack_->poll(now_);
    }
    // Runs the clock on, deadline by deadline, for `duration`.
    void run_for(std::uint64_t duration) {
        std::uint64_t end = now_ + duration;
        for (std::uint64_t next = stack_->poll(now_); next <= end; next = stack_->poll(now_)) now_ = next;
        now_ = end;
    }
    void lease(std::uint32_t seconds = 3600) {
        auto discover = sent();
        ASSERT_EQ(discover.size(), 1u);
        reply(2, discover[0].transaction, seconds);
        auto request = sent();
        ASSERT_EQ(request.size(), 1u);
        reply(5, request[0].transaction, seconds);
        ASSERT_EQ(stack_->dhcp().state, DhcpState::kBound);
        sent();  // the gratuitous ARP
    }

    hal_posix::MemoryNic nic_;
    void* memory_;
    std::uint64_t now_ = 1000 * kSecond;
    std::unique_ptr<Stack> stack_ = std::make_unique<Stack>();
};

TEST_F(Dhcp, DiscoversRequestsAndBindsTheOfferedAddress) {
    auto discover = sent();
    ASSERT_EQ(discover.size(), 1u);
    EXPECT_EQ(discover[0].type, 1);
    EXPECT_EQ(discover[0].ip_destination, 0xFFFFFFFFu);
    EXPECT_FALSE(stack_->interface_info().configured);
    reply(2, discover[0].transaction);
    auto request = sent();
    ASSERT_EQ(request.size(), 1u);
    EXPECT_EQ(request[0].type, 3);
    EXPECT_EQ(request[0].requested, kOffered);
    EXPECT_EQ(request[0].server_id, kServer);
    EXPECT_EQ(request[0].transaction, discover[0].transaction);
    reply(5, request[0].transaction);
    toro::net::InterfaceInfo info = stack_->interface_info();
    ASSERT_TRUE(info.configured);
    EXPECT_EQ(info.address.value, kOffered);
    EXPECT_EQ(info.prefix_length, 24u);
    EXPECT_EQ(info.gateway.value, kServer);
    EXPECT_EQ(info.dns.value, ip("198.18.0.53"));
}

TEST_F(Dhcp, IgnoresRepliesToOtherTransactions) {
    auto discover = sent();
    reply(2, discover[0].transaction + 1);
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kSelecting);
}

TEST_F(Dhcp, RetransmitsTheDiscoverWithBackoffWhenTheOfferIsLost) {
    ASSERT_EQ(sent().size(), 1u);
    std::uint64_t start = now_;
    std::vector<std::uint64_t> times;
    for (int i = 0; i < 4; ++i) {
        std::uint64_t next = stack_->poll(now_);
        advance_to(next);
        auto again = sent();
        ASSERT_EQ(again.size(), 1u);
        EXPECT_EQ(again[0].type, 1);
        times.push_back(now_ - start);
        start = now_;
    }
    // 4, 8, 16, 32 s, each +-1 s (RFC 2131 §4.1).
    for (int i = 0; i < 4; ++i) {
        std::uint64_t nominal = (4ull << i) * kSecond;
        EXPECT_GE(times[i], nominal - kSecond) << i;
        EXPECT_LE(times[i], nominal + kSecond) << i;
    }
    auto discover_now = stack_->dhcp().transaction;
    reply(2, discover_now);  // a late offer is still taken
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kRequesting);
}

TEST_F(Dhcp, ANakSendsTheClientBackToDiscover) {
    auto discover = sent();
    reply(2, discover[0].transaction);
    auto request = sent();
    reply(6, request[0].transaction);
    auto after = sent();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].type, 1);
    EXPECT_NE(after[0].transaction, request[0].transaction);
    EXPECT_FALSE(stack_->interface_info().configured);
}

TEST_F(Dhcp, RenewsAtHalfTheLeaseWithAUnicastRequest) {
    lease(3600);
    run_for(1799 * kSecond);
    EXPECT_TRUE(sent().empty());
    run_for(2 * kSecond);
    // Renewing: a unicast REQUEST to the server needs its MAC first.
    hal_posix::Frame frame;
    bool asked = false;
    while (nic_.take_sent(&frame)) {
        std::string why;
        auto parsed = parse(frame, &why);
        asked = asked || (parsed && parsed->arp_operation == 1 && parsed->arp_target_ip == kServer);
    }
    ASSERT_TRUE(asked);
    nic_.inject(ethernet(kToroMac, kServerMac, 0x0806, arp(2, kServerMac, kServer, kToroMac, kOffered)));
    deliver();
    auto renew = sent();
    ASSERT_EQ(renew.size(), 1u);
    EXPECT_EQ(renew[0].type, 3);
    EXPECT_EQ(renew[0].client_address, kOffered);
    EXPECT_EQ(renew[0].ip_destination, kServer);
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kRenewing);
    reply(5, renew[0].transaction);
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kBound);
    EXPECT_EQ(stack_->dhcp().leases, 2u);
}

TEST_F(Dhcp, AnUnrenewedLeaseEndsAndTheAddressGoes) {
    lease(3600);
    run_for(3599 * kSecond);
    EXPECT_TRUE(stack_->interface_info().configured);
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kRebinding);
    run_for(2 * kSecond);
    EXPECT_FALSE(stack_->interface_info().configured);
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kSelecting);
}

TEST_F(Dhcp, RefusesMalformedOptions) {
    auto discover = sent();
    // An option whose length runs past the message: the reply is ignored.
    Bytes body(240, 0);
    body[0] = 2;
    for (int i = 0; i < 4; ++i) body[4 + i] = static_cast<std::uint8_t>(discover[0].transaction >> (24 - 8 * i));
    std::memcpy(&body[28], kToroMac.data(), 6);
    const std::uint8_t magic[4] = {99, 130, 83, 99};
    std::memcpy(&body[236], magic, 4);
    body.insert(body.end(), {53, 1, 2, 54, 200, 1, 2});
    IpFields fields;
    fields.source = kServer;
    fields.destination = 0xFFFFFFFF;
    nic_.inject(ethernet(kBroadcast, kServerMac, 0x0800, ipv4(fields, udp(kServer, 0xFFFFFFFF, 67, 68, body))));
    deliver();
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(stack_->dhcp().state, DhcpState::kSelecting);
    EXPECT_EQ(stack_->pool().in_use(), 0u);
}

}  // namespace
