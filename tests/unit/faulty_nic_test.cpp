// The fault injector: its SPEC parser, and what it does to frames in each
// direction on a booted machine (it needs the Memory unit and a kernel
// timer), with probabilities of 0 or 1 so that each test is exact.
#include <gtest/gtest.h>

#include <cstring>

#include "hal/clock.h"
#include "hal/events.h"
#include "hal_posix/memory_nic.h"
#include "kernel_harness.h"
#include "net/faulty_nic.h"
#include "toro/toro.h"

namespace {

using toro::net::FaultyNic;
using toro::net::LinkFaults;

bool parse(const char* spec, LinkFaults* faults) {
    const char* bad = nullptr;
    return toro::net::parse_link_faults(spec, std::strlen(spec), faults, &bad);
}

TEST(LinkFaults, ParsesEverySetting) {
    LinkFaults faults;
    ASSERT_TRUE(parse("loss=0.05,dup=0.02,corrupt=1,reorder=.5,delay=2,jitter=3", &faults));
    EXPECT_EQ(faults.loss, 50000u);
    EXPECT_EQ(faults.duplicate, 20000u);
    EXPECT_EQ(faults.corrupt, 1000000u);
    EXPECT_EQ(faults.reorder, 500000u);
    EXPECT_EQ(faults.delay_ms, 2u);
    EXPECT_EQ(faults.jitter_ms, 3u);
}

TEST(LinkFaults, RefusesUnknownKeysAndValuesOutOfRange) {
    LinkFaults faults;
    for (const char* spec : {"lose=0.1", "loss=1.5", "loss=", "loss", "delay=-1", "delay=20000",
                             "loss=0.1,,dup=0.1", "loss=0.1x", "jitter=1.5"}) {
        EXPECT_FALSE(parse(spec, &faults)) << spec;
    }
}

constexpr std::uint8_t kMac[6] = {2, 0, 0, 0, 0, 1};

hal_posix::Frame frame_of(std::uint8_t tag) {
    hal_posix::Frame frame(60, 0);
    frame[59] = tag;
    return frame;
}

// Runs `body(faulty, memory)` on a booted machine; `body` returns 0 on success.
template <typename Body>
int with_faulty_nic(const char* spec, Body body) {
    hal_posix::MemoryNic memory(kMac);
    return toro_test::boot(1, [&] {
        LinkFaults faults;
        const char* bad = nullptr;
        if (!toro::net::parse_link_faults(spec, std::strlen(spec), &faults, &bad)) return 100;
        FaultyNic* faulty = toro::make<FaultyNic>(memory, faults);
        int code = body(*faulty, memory);
        toro::destroy(faulty);
        return code;
    });
}

int send(FaultyNic& nic, std::uint8_t tag) {
    hal_posix::Frame frame = frame_of(tag);
    hal::FramePiece piece{frame.data(), frame.size()};
    return nic.transmit(&piece, 1) == hal::DeviceStatus::kOk ? 0 : 1;
}

TEST(FaultyNic, LossOfOneLosesEveryFrameBothWays) {
    int code = with_faulty_nic("loss=1", [](FaultyNic& nic, hal_posix::MemoryNic& wire) {
        for (std::uint8_t i = 0; i < 10; ++i) {
            if (send(nic, i) != 0) return 1;
            wire.inject(frame_of(i));
        }
        std::uint8_t buffer[1514];
        std::size_t length;
        if (nic.receive(buffer, sizeof buffer, &length) != hal::DeviceStatus::kWouldBlock) return 2;
        if (wire.sent_waiting() != 0) return 3;
        return nic.stats().lost == 20 ? 0 : 4;
    });
    EXPECT_EQ(code, 0);
}

TEST(FaultyNic, DupOfOneDeliversEveryFrameTwice) {
    int code = with_faulty_nic("dup=1", [](FaultyNic& nic, hal_posix::MemoryNic& wire) {
        if (send(nic, 7) != 0) return 1;
        if (wire.sent_waiting() != 2) return 2;
        wire.inject(frame_of(9));
        std::uint8_t buffer[1514];
        std::size_t length;
        for (int copy = 0; copy < 2; ++copy) {
            if (nic.receive(buffer, sizeof buffer, &length) != hal::DeviceStatus::kOk) return 3;
            if (length != 60 || buffer[59] != 9) return 4;
        }
        return nic.receive(buffer, sizeof buffer, &length) == hal::DeviceStatus::kWouldBlock ? 0 : 5;
    });
    EXPECT_EQ(code, 0);
}

TEST(FaultyNic, CorruptOfOneFlipsOneBitOfEachFrame) {
    int code = with_faulty_nic("corrupt=1", [](FaultyNic& nic, hal_posix::MemoryNic& wire) {
        if (send(nic, 0) != 0) return 1;
        hal_posix::Frame sent;
        if (!wire.take_sent(&sent)) return 2;
        int flipped = 0;
        for (std::uint8_t byte : sent) flipped += __builtin_popcount(byte);
        return flipped == 1 ? 0 : 3;
    });
    EXPECT_EQ(code, 0);
}

// A delayed frame leaves no earlier than its delay, and the NIC's event is
// raised when a delayed received frame falls due (the NIC contract).
TEST(FaultyNic, DelayHoldsFramesAndRaisesTheEventWhenTheyAreDue) {
    int code = with_faulty_nic("delay=30", [](FaultyNic& nic, hal_posix::MemoryNic& wire) {
        toro::Event raised;
        hal::EventId event = hal::event_bind(0, [](void* e) { static_cast<toro::Event*>(e)->signal(); }, &raised);
        nic.attach(event);
        std::uint64_t start = hal::clock_now_ns();
        if (send(nic, 1) != 0 || wire.sent_waiting() != 0) return 1;
        wire.inject(frame_of(2));
        raised.wait();  // the MemoryNic's own raise: a frame arrived
        std::uint8_t buffer[1514];
        std::size_t length;
        if (nic.receive(buffer, sizeof buffer, &length) != hal::DeviceStatus::kWouldBlock) return 2;
        raised.wait();  // the injector's timer: the held frame is due
        if (hal::clock_now_ns() - start < 30'000'000) return 3;
        if (nic.receive(buffer, sizeof buffer, &length) != hal::DeviceStatus::kOk || buffer[59] != 2) return 4;
        while (wire.sent_waiting() == 0) toro::sleep_ms(1);
        return hal::clock_now_ns() - start >= 30'000'000 ? 0 : 5;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
