// The socket API of toro/net.h on a booted hosted machine whose NIC is a
// MemoryNic: the test's own thread is the far end (it injects frames and
// takes what Toro sends) while kernel threads block, wait and send on
// several CPUs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "hal_posix/memory_nic.h"
#include "kernel_harness.h"
#include "net_frames.h"
#include "toro/net.h"
#include "toro/toro.h"

namespace {

using namespace toro_test;
namespace net = toro::net;

constexpr Mac kToroMac{0x02, 0, 0, 0, 0, 0x01};
constexpr Mac kPeerMac{0x02, 0, 0, 0, 0, 0x02};
const std::uint32_t kToro = ip("198.18.0.2");
const std::uint32_t kPeer = ip("198.18.0.1");

// The far end on a host thread, for the life of one test's machine.
class Peer {
public:
    explicit Peer(hal_posix::MemoryNic& nic) : nic_(nic) {}
    void send_udp(std::uint16_t source_port, std::uint16_t port, const Bytes& payload) {
        IpFields fields;
        fields.source = kPeer;
        fields.destination = kToro;
        nic_.inject(ethernet(kToroMac, kPeerMac, 0x0800, ipv4(fields, udp(kPeer, kToro, source_port, port, payload))));
    }
    void resolve() { nic_.inject(ethernet(kBroadcast, kPeerMac, 0x0806, arp(1, kPeerMac, kPeer, Mac{}, kToro))); }
    // Waits (host time) for a UDP datagram Toro sent; skips ARP.
    std::optional<Parsed> next_udp(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        hal_posix::Frame frame;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!nic_.take_sent(&frame)) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                continue;
            }
            std::string why;
            auto parsed = parse(frame, &why);
            if (parsed && parsed->protocol == 17) return parsed;
        }
        return std::nullopt;
    }

private:
    hal_posix::MemoryNic& nic_;
};

MachineShape shape_with(hal_posix::MemoryNic& nic, unsigned cpus) {
    MachineShape shape;
    shape.cpus = cpus;
    hal_posix::NicConfig config;
    config.device = &nic;
    shape.nics.push_back(config);
    shape.kernel_options = "ip=198.18.0.2/24 gw=198.18.0.254";
    return shape;
}

TEST(NetSocket, TheInterfaceTakesItsAddressFromTheKernelOptions) {
    hal_posix::MemoryNic nic(kToroMac.data());
    int code = boot(shape_with(nic, 1), [](int, char**) {
        if (net::start() != toro::Error::kOk) return 1;
        net::InterfaceInfo info = net::interface_info();
        if (!info.configured || info.address.value != ip("198.18.0.2")) return 2;
        if (info.prefix_length != 24 || info.gateway.value != ip("198.18.0.254")) return 3;
        if (std::memcmp(info.mac, kToroMac.data(), 6) != 0) return 4;
        return 0;
    });
    EXPECT_EQ(code, 0);
}

TEST(NetSocket, AMachineWithoutANicHasNoNetwork) {
    int code = boot(MachineShape{}, [](int, char**) {
        if (net::start() != toro::Error::kNoDevice) return 1;
        return net::socket(net::SocketType::kDatagram).error() == toro::Error::kNoDevice ? 0 : 2;
    });
    EXPECT_EQ(code, 0);
}

TEST(NetSocket, ABlockingReceiveSleepsUntilADatagramArrives) {
    hal_posix::MemoryNic nic(kToroMac.data());
    Peer peer(nic);
    std::atomic<bool> bound{false};
    std::thread far_end([&] {
        while (!bound.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        peer.send_udp(5000, 7, {'h', 'i'});
    });
    int code = boot(shape_with(nic, 1), [&](int, char**) {
        auto socket = net::socket(net::SocketType::kDatagram);
        if (!socket.ok() || net::bind(*socket, {net::kAnyAddress, 7}) != toro::Error::kOk) return 1;
        // A thread on the same CPU keeps running while main sleeps in receive.
        std::atomic<int> ticks{0};
        std::atomic<bool> stop{false};
        toro::Thread* ticker = toro::spawn([&] {
            while (!stop.load()) {
                ++ticks;
                toro::sleep_ms(1);
            }
            return 0;
        });
        bound.store(true);
        char buffer[16];
        net::Endpoint from;
        auto length = net::receive_from(*socket, buffer, sizeof buffer, &from);
        stop.store(true);
        toro::join(ticker);
        if (!length.ok() || *length != 2 || std::memcmp(buffer, "hi", 2) != 0) return 2;
        if (from.address.value != kPeer || from.port != 5000) return 3;
        return ticks.load() > 0 ? 0 : 4;
    });
    far_end.join();
    EXPECT_EQ(code, 0);
}

TEST(NetSocket, NonBlockingCallsSayWouldBlock) {
    hal_posix::MemoryNic nic(kToroMac.data());
    int code = boot(shape_with(nic, 1), [](int, char**) {
        auto socket = net::socket(net::SocketType::kDatagram);
        if (!socket.ok() || net::bind(*socket, {net::kAnyAddress, 7}) != toro::Error::kOk) return 1;
        char buffer[4];
        if (net::receive_from(*socket, buffer, 4, nullptr, net::kDontWait).error() != toro::Error::kWouldBlock) return 2;
        if (net::set_nonblocking(*socket, true) != toro::Error::kOk) return 3;
        if (net::receive_from(*socket, buffer, 4, nullptr).error() != toro::Error::kWouldBlock) return 4;
        if (net::close(*socket) != toro::Error::kOk) return 5;
        return net::receive_from(*socket, buffer, 4, nullptr).error() == toro::Error::kBadDescriptor ? 0 : 6;
    });
    EXPECT_EQ(code, 0);
}

TEST(NetSocket, AWaitOnSeveralSocketsReportsTheOnesThatAreReady) {
    hal_posix::MemoryNic nic(kToroMac.data());
    Peer peer(nic);
    std::atomic<bool> bound{false};
    std::thread far_end([&] {
        while (!bound.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        peer.send_udp(5000, 9, {1});
    });
    int code = boot(shape_with(nic, 1), [&](int, char**) {
        int sockets[3];
        for (int i = 0; i < 3; ++i) {
            auto socket = net::socket(net::SocketType::kDatagram);
            if (!socket.ok() || net::bind(*socket, {net::kAnyAddress, static_cast<std::uint16_t>(7 + i)}) != toro::Error::kOk) return 1;
            sockets[i] = *socket;
        }
        net::WaitEntry entries[3] = {{sockets[0], net::kReadable, 0}, {sockets[1], net::kReadable, 0},
                                     {sockets[2], net::kReadable, 0}};
        auto none = net::wait(entries, 3, 5'000'000);  // 5 ms: nothing yet
        if (!none.ok() || *none != 0) return 2;
        bound.store(true);
        auto ready = net::wait(entries, 3, ~std::uint64_t{0});
        if (!ready.ok() || *ready != 1) return 3;
        if (entries[0].ready != 0 || entries[1].ready != 0 || entries[2].ready != net::kReadable) return 4;
        return 0;
    });
    far_end.join();
    EXPECT_EQ(code, 0);
}

// Threads on four CPUs, each with its own socket, echo what the far end
// sends them: sends made off the NIC's CPU go through the driver's queue.
TEST(NetSocket, ThreadsOnEveryCpuSendAndReceive) {
    hal_posix::MemoryNic nic(kToroMac.data());
    Peer peer(nic);
    constexpr int kCpus = 4;
    constexpr int kRounds = 50;
    std::atomic<int> ready{0};
    std::atomic<int> answered{0};
    std::thread far_end([&] {
        while (ready.load() < kCpus) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        peer.resolve();
        for (int round = 0; round < kRounds; ++round) {
            for (int cpu = 0; cpu < kCpus; ++cpu) {
                peer.send_udp(6000, static_cast<std::uint16_t>(100 + cpu), {static_cast<std::uint8_t>(round), static_cast<std::uint8_t>(cpu)});
            }
            for (int cpu = 0; cpu < kCpus; ++cpu) {
                auto reply = peer.next_udp();
                if (reply && reply->payload.size() == 2 && reply->payload[0] == round &&
                    reply->source_port == 100 + reply->payload[1]) {
                    ++answered;
                }
            }
        }
    });
    int code = boot(shape_with(nic, kCpus), [&](int, char**) {
        if (net::start() != toro::Error::kOk) return 1;  // the NIC is driven from CPU 0
        toro::Thread* threads[kCpus];
        for (int cpu = 0; cpu < kCpus; ++cpu) {
            toro::ThreadOptions options;
            options.cpu = static_cast<unsigned>(cpu);
            threads[cpu] = toro::spawn([&ready, cpu] {
                auto socket = net::socket(net::SocketType::kDatagram);
                if (!socket.ok() || net::bind(*socket, {net::kAnyAddress, static_cast<std::uint16_t>(100 + cpu)}) != toro::Error::kOk) return 1;
                ++ready;
                for (int round = 0; round < kRounds; ++round) {
                    std::uint8_t buffer[8];
                    net::Endpoint from;
                    auto length = net::receive_from(*socket, buffer, sizeof buffer, &from);
                    if (!length.ok() || *length != 2 || buffer[1] != cpu) return 2;
                    if (!net::send_to(*socket, buffer, *length, &from).ok()) return 3;
                }
                return net::close(*socket) == toro::Error::kOk ? 0 : 4;
            }, options);
        }
        int failures = 0;
        for (toro::Thread* thread : threads) failures += toro::join(thread) != 0;
        return failures;
    });
    far_end.join();
    EXPECT_EQ(code, 0);
    EXPECT_EQ(answered.load(), kCpus * kRounds);
}

TEST(NetSocket, StatsReturnToTheirBaselineAfterTraffic) {
    hal_posix::MemoryNic nic(kToroMac.data());
    Peer peer(nic);
    std::atomic<bool> bound{false};
    std::thread far_end([&] {
        while (!bound.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        for (int i = 0; i < 100; ++i) peer.send_udp(5000, 7, Bytes(1000, 1));
    });
    int code = boot(shape_with(nic, 1), [&](int, char**) {
        if (net::start() != toro::Error::kOk) return 1;
        net::NetStats before = net::net_stats();
        auto socket = net::socket(net::SocketType::kDatagram);
        if (!socket.ok() || net::bind(*socket, {net::kAnyAddress, 7}) != toro::Error::kOk) return 2;
        bound.store(true);
        net::NetStats during = net::net_stats();
        for (int waited = 0; during.socket_queued_bytes < 100 * 1000 && waited < 10000; ++waited) {
            toro::sleep_ms(1);
            during = net::net_stats();
        }
        if (during.socket_queued_bytes != 100 * 1000) return 7;
        if (during.sockets_open != before.sockets_open + 1 || during.pool_bytes_in_use == 0) return 3;
        if (during.socket_queued_bytes > during.socket_receive_limit) return 4;
        if (net::close(*socket) != toro::Error::kOk) return 5;
        net::NetStats after = net::net_stats();
        if (after.pool_bytes_in_use != before.pool_bytes_in_use || after.sockets_open != before.sockets_open) return 6;
        return 0;
    });
    far_end.join();
    EXPECT_EQ(code, 0);
}

}  // namespace
