// The fixture of TCP's unit tests (tcp_test.cpp, tcp_ecn_test.cpp): one
// stack on a MemoryNic, a Linux-like peer driven by hand on a virtual
// clock, and the segments the stack sent, parsed by tests/support/
// net_frames (an independent reading of RFC 9293).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "hal_posix/machine.h"
#include "hal_posix/memory_nic.h"
#include "net/stack.h"
#include "net_frames.h"

namespace {

using namespace toro_test;
using toro::Error;
using toro::net::Endpoint;
using toro::net::Packet;
using toro::net::SocketOption;
using toro::net::Stack;
using toro::net::StackLimits;
using toro::net::tcp::State;

constexpr Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
constexpr Mac kPeerMac{0x02, 0, 0, 0, 0, 0x02};
const std::uint32_t kToro = ip("198.18.0.2");
const std::uint32_t kPeer = ip("198.18.0.1");
constexpr std::size_t kPoolBytes = 4 << 20;
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kSecond = 1000 * kMs;
constexpr std::uint8_t kFin = 1, kSyn = 2, kRst = 4, kPsh = 8, kAck = 16;
constexpr std::uint16_t kPeerPort = 40000;
constexpr std::uint32_t kPeerIsn = 1000;

class MallocBuffers final : public toro::net::BufferAllocator {
public:
    void* allocate(std::size_t bytes) override {
        ++allocations;
        return std::malloc(bytes);
    }
    void release(void* memory, std::size_t) override {
        ++releases;
        std::free(memory);
    }
    int allocations = 0, releases = 0;
};

// MSS 1460, SACK permitted, window scale 7: what a Linux peer offers.
Bytes linux_syn_options() { return {2, 4, 0x05, 0xB4, 4, 2, 1, 3, 3, 7}; }

Bytes be32(std::uint32_t value) {
    return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}
Bytes operator+(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
// NOP, NOP, TSopt.
Bytes timestamp_option(std::uint32_t value, std::uint32_t echo) {
    return Bytes{1, 1, 8, 10} + be32(value) + be32(echo);
}
// And with timestamps, as Linux's SYN has them: MSS, SACK-permitted, TSopt, NOP, window scale.
Bytes linux_syn_options_with_timestamps(std::uint32_t value) {
    return Bytes{2, 4, 0x05, 0xB4, 4, 2, 8, 10} + be32(value) + be32(0) + Bytes{1, 3, 3, 7};
}
// NOP, NOP, SACK with the blocks given as (left, right) pairs.
Bytes sack_option(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    Bytes option{1, 1, 5, static_cast<std::uint8_t>(2 + 8 * blocks.size())};
    for (auto [left, right] : blocks) option = option + be32(left) + be32(right);
    return option;
}
using Blocks = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
// The SACK blocks in `options`, in their order.
Blocks sack_blocks_in(const Bytes& options) {
    Blocks blocks;
    for (std::size_t at = 0; at < options.size();) {
        if (options[at] == 0) break;
        if (options[at] == 1) {
            ++at;
            continue;
        }
        if (at + 1 >= options.size() || options[at + 1] < 2) break;
        if (options[at] == 5) {
            for (std::size_t b = at + 2; b + 8 <= at + options[at + 1]; b += 8) {
                auto word = [&](std::size_t from) {
                    return std::uint32_t{options[from]} << 24 | std::uint32_t{options[from + 1]} << 16 |
                           std::uint32_t{options[from + 2]} << 8 | options[from + 3];
                };
                blocks.emplace_back(word(b), word(b + 4));
            }
        }
        at += options[at + 1];
    }
    return blocks;
}
// TSopt's TSval and TSecr in `options` (walked by their lengths), if there.
bool timestamps_in(const Bytes& options, std::uint32_t* value, std::uint32_t* echo) {
    for (std::size_t at = 0; at < options.size();) {
        if (options[at] == 0) break;
        if (options[at] == 1) {
            ++at;
            continue;
        }
        if (at + 1 >= options.size() || options[at + 1] < 2) break;
        if (options[at] == 8 && options[at + 1] == 10 && at + 10 <= options.size()) {
            auto word = [&](std::size_t from) {
                return std::uint32_t{options[from]} << 24 | std::uint32_t{options[from + 1]} << 16 |
                       std::uint32_t{options[from + 2]} << 8 | options[from + 3];
            };
            if (value != nullptr) *value = word(at + 2);
            if (echo != nullptr) *echo = word(at + 6);
            return true;
        }
        at += options[at + 1];
    }
    return false;
}

class Tcp : public ::testing::Test {
protected:
    Tcp() : nic_(kToroMac.data()), memory_(std::aligned_alloc(4096, kPoolBytes)) {}
    ~Tcp() override { std::free(memory_); }

    // A fixed seed: the same ISNs, ports and IP ids every run.
    void SetUp() override {
        hal_posix::set_unbooted_random_seed(7);
        start();
    }
    void start(const StackLimits& limits = {}) {
        toro::net::InterfaceConfig config{{kToro}, 24, {ip("198.18.0.254")}};
        stack_->set_buffer_allocator(&buffers_);
        stack_->initialize(&nic_, memory_, kPoolBytes, config, limits, now_);
        inject(ethernet(kBroadcast, kPeerMac, 0x0806, arp(1, kPeerMac, kPeer, Mac{}, kToro)));
        sent();
        baseline_ = stack_->pool().in_use();
    }
    void inject(const Bytes& frame) {
        Packet* packet = stack_->pool().acquire();
        ASSERT_NE(packet, nullptr);
        ASSERT_LE(frame.size(), toro::net::kPacketCapacity);
        std::memcpy(packet->data, frame.data(), frame.size());
        packet->length = static_cast<std::uint16_t>(frame.size());
        stack_->input(packet, now_);
    }
    // The peer sends a segment to Toro's `port`.
    void peer_sends(std::uint16_t port, std::uint32_t sequence, std::uint32_t ack, std::uint8_t flags,
                    const Bytes& payload = {}, std::uint16_t window = 65535, Bytes options = {},
                    std::uint16_t peer_port = kPeerPort) {
        TcpFields fields;
        fields.source_port = peer_port;
        fields.destination_port = port;
        fields.sequence = sequence;
        fields.acknowledgment = ack;
        fields.flags = flags;
        fields.window = window;
        fields.options = std::move(options);
        IpFields ip_fields;
        ip_fields.source = kPeer;
        ip_fields.destination = kToro;
        ip_fields.protocol = 6;
        ip_fields.type_of_service = peer_ecn_;
        inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(ip_fields, tcp(kPeer, kToro, fields, payload))));
    }
    // The TCP segments the stack sent. The peer answers ARP as a host
    // does (its entry expires after a minute of virtual time).
    // Each TCP frame's segment size (MemoryNic's offload) goes in cuts_.
    std::vector<Parsed> sent() {
        std::vector<Parsed> frames;
        hal_posix::Frame frame;
        std::size_t cut = 0;
        cuts_.clear();
        for (bool asked = true; asked;) {
            asked = false;
            while (nic_.take_sent(&frame, &cut)) {
                std::string why;
                auto parsed = parse(frame, &why);
                EXPECT_TRUE(parsed.has_value()) << "the stack sent a malformed frame: " << why;
                if (!parsed) continue;
                if (parsed->ether_type == 0x0806 && parsed->arp_operation == 1 &&
                    parsed->arp_target_ip == kPeer) {
                    asked = true;
                }
                if (parsed->protocol == 6) frames.push_back(*parsed), cuts_.push_back(cut);
            }
            if (asked) inject(ethernet(kToroMac, kPeerMac, 0x0806, arp(2, kPeerMac, kPeer, kToroMac, kToro)));
        }
        return frames;
    }
    Parsed only_sent() {
        auto frames = sent();
        EXPECT_EQ(frames.size(), 1u);
        return frames.empty() ? Parsed{} : frames[0];
    }
    void advance(std::uint64_t nanoseconds) {
        now_ += nanoseconds;
        stack_->poll(now_);
    }
    int listen(std::uint16_t port, unsigned backlog = 0) {
        auto socket = stack_->tcp_open();
        EXPECT_TRUE(socket.ok());
        EXPECT_EQ(stack_->tcp_bind(*socket, {{0}, port}), Error::kOk);
        EXPECT_EQ(stack_->tcp_listen(*socket, backlog), Error::kOk);
        return *socket;
    }
    // A Linux-like peer connects to `port`; returns the accepted socket and
    // leaves Toro's ISN in toro_isn_.
    int accept_from_peer(int listener, std::uint16_t port, std::uint16_t peer_port = kPeerPort) {
        peer_sends(port, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options(), peer_port);
        Parsed syn_ack = only_sent();
        EXPECT_EQ(syn_ack.tcp_flags, kSyn | kAck);
        EXPECT_EQ(syn_ack.acknowledgment, kPeerIsn + 1);
        toro_isn_ = syn_ack.sequence;
        peer_sends(port, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 65535, {}, peer_port);
        auto accepted = stack_->tcp_accept(listener, nullptr, now_);
        EXPECT_TRUE(accepted.ok());
        return accepted.ok() ? *accepted : -1;
    }
    // An established connection on port 80, the peer's window unscaled
    // (scale 7 is agreed: the peer's windows below are multiplied by 128).
    int established() {
        int listener = listen(80);
        int socket = accept_from_peer(listener, 80);
        sent();
        return socket;
    }
    // As established(), the peer offering timestamps too (its TSval
    // `value`); leaves the SYN-ACK's TSval in toro_tsval_.
    int established_with_timestamps(std::uint32_t value) {
        int listener = listener_ = listen(80);
        peer_sends(80, kPeerIsn, 0, kSyn, {}, 65535, linux_syn_options_with_timestamps(value));
        Parsed syn_ack = only_sent();
        toro_isn_ = syn_ack.sequence;
        EXPECT_TRUE(timestamps_in(syn_ack.tcp_options, &toro_tsval_, nullptr));
        peer_sends(80, kPeerIsn + 1, toro_isn_ + 1, kAck, {}, 65535, timestamp_option(value, toro_tsval_));
        auto accepted = stack_->tcp_accept(listener, nullptr, now_);
        EXPECT_TRUE(accepted.ok());
        sent();
        return accepted.ok() ? *accepted : -1;
    }
    // An ICMP error (`type`, `code`) from the peer's way, quoting the IP
    // header and 8 bytes of TCP of a segment like `syn` (to port 8080)
    // but numbered `sequence`.
    void icmp_error_for(const Parsed& syn, std::uint8_t type, std::uint8_t code, std::uint32_t sequence) {
        TcpFields quoted_fields;
        quoted_fields.source_port = syn.source_port;
        quoted_fields.destination_port = 8080;
        quoted_fields.sequence = sequence;
        quoted_fields.flags = kSyn;
        IpFields quoted_ip;
        quoted_ip.source = kToro;
        quoted_ip.destination = kPeer;
        quoted_ip.protocol = 6;
        Bytes quoted = ipv4(quoted_ip, tcp(kToro, kPeer, quoted_fields, {}));
        quoted.resize(28);
        Bytes message = Bytes{type, code, 0, 0, 0, 0, 0, 0} + quoted;
        std::uint16_t sum = checksum(message.data(), message.size());
        message[2] = static_cast<std::uint8_t>(sum >> 8);
        message[3] = static_cast<std::uint8_t>(sum);
        IpFields outer;
        outer.source = kPeer;
        outer.destination = kToro;
        outer.protocol = 1;
        inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(outer, message)));
    }
    std::size_t in_use() const { return stack_->pool().in_use() - baseline_; }

    hal_posix::MemoryNic nic_;
    void* memory_;
    MallocBuffers buffers_;
    std::unique_ptr<Stack> stack_ = std::make_unique<Stack>();
    std::uint64_t now_ = 1000 * kSecond;
    std::size_t baseline_ = 0;
    std::uint32_t toro_isn_ = 0;
    std::uint32_t toro_tsval_ = 0;
    int listener_ = -1;
    std::uint8_t peer_ecn_ = 0;  // the ECN field of what the peer sends (RFC 3168 §5)
    std::vector<std::size_t> cuts_;
};

}  // namespace
