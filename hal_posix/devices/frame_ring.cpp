#include "devices/frame_ring.h"

#include <cstring>

namespace hal_posix {

void FrameRing::commit(std::size_t length) {
    std::size_t produced = produced_.load(std::memory_order_relaxed);
    if (length > kMaxFrame) {
        count_drop();
        return;
    }
    slots_[produced % kSlots].length = static_cast<std::uint16_t>(length);
    frames_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(length, std::memory_order_relaxed);
    produced_.store(produced + 1, std::memory_order_seq_cst);
}

void FrameRing::push(const std::uint8_t* bytes, std::size_t length) {
    std::uint8_t* slot = next_slot();
    if (slot == nullptr || length > kMaxFrame) {
        count_drop();
        return;
    }
    std::memcpy(slot, bytes, length);
    commit(length);
}

void FrameRing::raise_if_asked() {
    if (produced_.load(std::memory_order_seq_cst) == consumed_.load(std::memory_order_seq_cst)) return;
    if (armed_.exchange(false)) hal::event_raise(event_.load());
}

hal::DeviceStatus FrameRing::pop(std::uint8_t* buffer, std::size_t capacity, std::size_t* length) {
    std::size_t consumed = consumed_.load(std::memory_order_relaxed);
    if (produced_.load(std::memory_order_acquire) == consumed) {
        // Ask to be told, then look once more: a frame that came between
        // the look and the ask would otherwise wait for the next one.
        armed_.store(true, std::memory_order_seq_cst);
        if (produced_.load(std::memory_order_seq_cst) == consumed) return hal::DeviceStatus::kWouldBlock;
        armed_.store(false);
    }
    const Slot& slot = slots_[consumed % kSlots];
    hal::DeviceStatus status = hal::DeviceStatus::kOk;
    if (slot.length > capacity) {
        status = hal::DeviceStatus::kInvalid;
    } else {
        std::memcpy(buffer, slot.bytes, slot.length);
        *length = slot.length;
    }
    consumed_.store(consumed + 1, std::memory_order_release);
    return status;
}

}  // namespace hal_posix
