// A fault injector: a NetDevice that wraps another and, on both
// directions, loses, duplicates, corrupts, delays (with jitter) and
// reorders frames, each with its own probability, drawn from hal::random
// (so --seed replays a run). It is kernel code, so it works above every
// HAL's NICs: hosted --net-faults SPEC and bare toro.net.faults=SPEC give
// the Networking unit the same words.
//
// SPEC: comma-separated loss=P, dup=P, corrupt=P, reorder=P (P a fraction
// from 0 to 1, e.g. 0.05), delay=MS, jitter=MS (whole milliseconds, up
// to 10 s; jitter spreads each frame's delay evenly over delay +- jitter).
// A reordered frame is held 10 ms longer than the others, so the frames
// after it overtake it. A delayed or reordered frame waits in a bounded set
// of slots (a frame that finds them full is lost, and counted); a kernel
// timer on the NIC's CPU raises the NIC's event when the next one is due,
// as the NIC contract wants.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/devices.h"
#include "toro/timer.h"

namespace toro::net {

struct LinkFaults {
    // Probabilities in millionths (no floating point in the kernel).
    std::uint32_t loss = 0, duplicate = 0, corrupt = 0, reorder = 0;
    std::uint32_t delay_ms = 0, jitter_ms = 0;
    bool any() const { return loss || duplicate || corrupt || reorder || delay_ms || jitter_ms; }
};

// Parses SPEC (`length` bytes); false, with `*bad` at the offending key,
// when a key is unknown or a value out of range.
bool parse_link_faults(const char* spec, std::size_t length, LinkFaults* faults, const char** bad);

class FaultyNic final : public hal::NetDevice {
public:
    static constexpr std::size_t kHeldFrames = 128;

    FaultyNic(hal::NetDevice& inner, const LinkFaults& faults);
    ~FaultyNic() = default;
    FaultyNic(const FaultyNic&) = delete;
    FaultyNic& operator=(const FaultyNic&) = delete;

    const char* name() const override { return inner_.name(); }
    void mac_address(std::uint8_t out[6]) const override { inner_.mac_address(out); }
    std::size_t max_frame_size() const override { return inner_.max_frame_size(); }
    void attach(hal::EventId event) override;
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t* buffer, std::size_t capacity,
                              std::size_t* length) override;
    bool link_up() const override { return inner_.link_up(); }
    // The inner device's counts, and the frames this one lost on purpose as drops.
    hal::NetCounters counters() const override;

    struct Stats {
        std::uint64_t lost, duplicated, corrupted, delayed, reordered, overflowed;
    };
    Stats stats() const { return stats_; }

private:
    struct Held {
        bool used = false;
        bool outbound = false;
        std::uint64_t due = 0;
        std::uint64_t order = 0;  // ties keep arrival order
        std::uint16_t length = 0;
        std::uint8_t bytes[1514];
    };

    bool happens(std::uint32_t millionths);
    std::uint64_t delay_for_frame();
    // Copies a frame into a free slot due at `due`; false when none is free.
    bool hold(const std::uint8_t* bytes, std::size_t length, bool outbound, std::uint64_t due);
    Held* earliest(bool outbound, std::uint64_t now);
    void send_due_frames(std::uint64_t now);
    void rearm();  // arms the timer for the next frame to fall due
    static void on_timer(void* argument);

    hal::NetDevice& inner_;
    LinkFaults faults_;
    hal::EventId event_ = hal::kNoEvent;
    Timer timer_{on_timer, this};
    Held* held_ = nullptr;  // kHeldFrames slots, from the Memory unit
    std::uint64_t next_order_ = 0;
    // A duplicate still to hand out, the frame in `duplicate_`.
    bool duplicate_pending_ = false;
    std::uint16_t duplicate_length_ = 0;
    std::uint8_t duplicate_[1514];
    Stats stats_{};
};

}  // namespace toro::net
