// The receive side every host-backed NIC shares (TAP, libpcap, libslirp):
// a single-producer, single-consumer ring of frames from the I/O thread to
// the NIC's CPU, and the NIC contract's raise: the consumer asks to be told
// when it finds the ring empty, and the producer raises the NIC's event
// once, then stays quiet until asked again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "hal/devices.h"
#include "hal/events.h"

namespace hal_posix {

class FrameRing {
public:
    static constexpr std::size_t kSlots = 1024;
    static constexpr std::size_t kSlotBytes = 2048;
    static constexpr std::size_t kMaxFrame = 1514;

    FrameRing() : slots_(new Slot[kSlots]) {}

    // The NIC's attach(): raises go to `event` from now on.
    void attach(hal::EventId event) {
        event_.store(event);
        armed_.store(true);
    }

    // Producer. Where the next frame may be written (kSlotBytes), or null
    // when the ring is full; commit() publishes it.
    std::uint8_t* next_slot() {
        std::size_t produced = produced_.load(std::memory_order_relaxed);
        if (produced - consumed_.load(std::memory_order_acquire) >= kSlots) return nullptr;
        return slots_[produced % kSlots].bytes;
    }
    void commit(std::size_t length);
    // Producer: copies a frame in; a full ring or a frame longer than
    // kMaxFrame drops it (counted), as a NIC's ring does.
    void push(const std::uint8_t* bytes, std::size_t length);
    void count_drop() { dropped_.fetch_add(1, std::memory_order_relaxed); }
    // Producer, after a batch: the raise, if the consumer asked for one.
    void raise_if_asked();

    // Consumer: NetDevice::receive.
    hal::DeviceStatus pop(std::uint8_t* buffer, std::size_t capacity, std::size_t* length);

    // The receive half of NetDevice::counters.
    void add_counters(hal::NetCounters* counters) const {
        counters->received_frames = frames_.load();
        counters->received_bytes = bytes_.load();
        counters->received_dropped = dropped_.load();
    }

private:
    struct Slot {
        std::uint16_t length;
        std::uint8_t bytes[kSlotBytes];
    };

    std::unique_ptr<Slot[]> slots_;
    alignas(64) std::atomic<std::size_t> produced_{0};  // written by the producer only
    alignas(64) std::atomic<std::size_t> consumed_{0};  // written by the consumer only
    std::atomic<hal::EventId> event_{hal::kNoEvent};
    std::atomic<bool> armed_{false};
    std::atomic<std::uint64_t> frames_{0}, bytes_{0}, dropped_{0};
};

}  // namespace hal_posix
