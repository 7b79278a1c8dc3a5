// A listener under a SYN flood with its backlog full: what one flood SYN
// costs with SYN cookies (kernel/net/tcp/syn_cookies.cpp: a MAC and a
// stateless SYN-ACK) against the baseline, cookies off (the oldest
// half-open connection given up and a new one made: a slot, 128 KiB of
// buffers, a SYN-ACK). One net::Stack on a MemoryNic, no machine booted,
// the clock handed in; the SYNs come from 60 addresses and 4096 ports.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "hal_posix/machine.h"
#include "hal_posix/memory_nic.h"
#include "net/stack.h"
#include "net_frames.h"

namespace {

using toro::net::Stack;
using toro::net::tcp::SynCookies;

constexpr std::size_t kPoolBytes = 4 << 20;
constexpr std::size_t kSources = 4096;
const toro_test::Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
const toro_test::Mac kPeerMac{0x02, 0, 0, 0, 0, 0x02};

class MallocBuffers final : public toro::net::BufferAllocator {
public:
    void* allocate(std::size_t bytes) override { return std::malloc(bytes); }
    void release(void* memory, std::size_t) override { std::free(memory); }
};

// The flood: SYNs with Linux's options from 60 addresses on the link
// (the ARP table holds 64) and 4096 ports.
std::vector<hal_posix::Frame> flood_frames() {
    std::vector<hal_posix::Frame> frames;
    std::uint32_t toro = toro_test::ip("198.18.0.2");
    for (std::size_t i = 0; i < kSources; ++i) {
        std::uint32_t source = toro_test::ip("198.18.1.0") + static_cast<std::uint32_t>(i % 60);
        toro_test::TcpFields tcp;
        tcp.source_port = static_cast<std::uint16_t>(10000 + i);
        tcp.destination_port = 80;
        tcp.sequence = static_cast<std::uint32_t>(i * 2654435761u);
        tcp.flags = 2;
        tcp.window = 64240;
        tcp.options = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
        toro_test::IpFields ip;
        ip.source = source;
        ip.destination = toro;
        ip.protocol = 6;
        frames.push_back(toro_test::ethernet(kToroMac, kPeerMac, 0x0800,
                                             toro_test::ipv4(ip, toro_test::tcp(source, toro, tcp, {}))));
    }
    return frames;
}

void syn_flood(benchmark::State& state, SynCookies cookies) {
    hal_posix::set_unbooted_random_seed(3);
    hal_posix::MemoryNic nic(kToroMac.data());
    void* memory = std::aligned_alloc(4096, kPoolBytes);
    MallocBuffers buffers;
    auto stack = std::make_unique<Stack>();
    stack->set_buffer_allocator(&buffers);
    std::uint64_t now = 1000'000'000'000ull;
    toro::net::InterfaceConfig config{{toro_test::ip("198.18.0.2")}, 15, {}};
    stack->initialize(&nic, memory, kPoolBytes, config, {}, now);
    toro::net::tcp::TcpSettings settings = stack->tcp_settings();
    settings.syn_cookies = cookies;
    stack->set_tcp_settings(settings);
    int listener = *stack->tcp_open();
    (void)stack->tcp_bind(listener, {{0}, 80});
    (void)stack->tcp_listen(listener, 128);
    auto input = [&](const hal_posix::Frame& frame) {
        toro::net::Packet* packet = stack->pool().acquire();
        std::memcpy(packet->data, frame.data(), frame.size());
        packet->length = static_cast<std::uint16_t>(frame.size());
        stack->input(packet, now);
    };
    // Every source is resolved first (the SYN-ACKs go out, the cost a
    // flood from addresses that answer ARP has; spoofed ones' wait).
    for (std::size_t i = 0; i < 60; ++i) {
        std::uint32_t source = toro_test::ip("198.18.1.0") + static_cast<std::uint32_t>(i);
        input(toro_test::ethernet(kToroMac, kPeerMac, 0x0806,
                                  toro_test::arp(2, kPeerMac, source, kToroMac, toro_test::ip("198.18.0.2"))));
    }
    std::vector<hal_posix::Frame> frames = flood_frames();
    hal_posix::Frame sent;
    auto syn = [&](std::size_t i) {
        input(frames[i % frames.size()]);
        while (nic.take_sent(&sent)) {
        }
    };
    for (std::size_t i = 0; i < 256; ++i) syn(i);  // the backlog full
    std::size_t i = 256;
    for (auto _ : state) {
        syn(i++);
        now += 1000;  // 1 µs a SYN: a million a second
    }
    toro::net::NetStats stats = stack->stats();
    state.counters["cookies"] = static_cast<double>(stats.tcp_syn_cookies_sent);
    state.counters["connections"] = static_cast<double>(stats.tcp_connections);
    stack.reset();
    std::free(memory);
}

void syn_flood_cookies(benchmark::State& state) { syn_flood(state, SynCookies::kWhenFull); }
void syn_flood_baseline(benchmark::State& state) { syn_flood(state, SynCookies::kOff); }

}  // namespace

BENCHMARK(syn_flood_cookies)->Name("tcp_syn_flood/toro")->UseRealTime();
BENCHMARK(syn_flood_baseline)->Name("tcp_syn_flood/baseline")->UseRealTime();
