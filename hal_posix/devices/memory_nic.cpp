#include "hal_posix/memory_nic.h"

#include <cstring>

#include "hal/events.h"

namespace hal_posix {

MemoryNic::MemoryNic(const std::uint8_t mac[6], std::string name) : name_(std::move(name)) {
    std::memcpy(mac_, mac, 6);
}

void MemoryNic::mac_address(std::uint8_t out[6]) const { std::memcpy(out, mac_, 6); }

void MemoryNic::attach(hal::EventId event) {
    std::lock_guard<std::mutex> lock(mutex_);
    event_ = event;
    armed_ = false;
    if (!to_kernel_.empty()) hal::event_raise(event_);
    else armed_ = true;
}

hal::DeviceStatus MemoryNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    return keep_sent(pieces, count, 0);
}

hal::DeviceStatus MemoryNic::transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                                   std::size_t segment_bytes) {
    if (segment_bytes == 0) return hal::DeviceStatus::kInvalid;
    return keep_sent(pieces, count, segment_bytes);
}

// What both transmits share: the frame copied, its size checked against
// the link (or, offloaded, against the offload's limit), then kept for
// the test unless the test's capacity is full.
hal::DeviceStatus MemoryNic::keep_sent(const hal::FramePiece* pieces, std::size_t count,
                                       std::size_t segment_bytes) {
    Frame frame;
    for (std::size_t i = 0; i < count; ++i) {
        frame.insert(frame.end(), pieces[i].bytes, pieces[i].bytes + pieces[i].length);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    bool fits = segment_bytes == 0 ? !frame.empty() && frame.size() <= max_frame_
                                   : frame.size() > max_frame_ && frame.size() <= max_offload_frame_;
    if (!fits) return hal::DeviceStatus::kInvalid;
    if (from_kernel_.size() >= transmit_capacity_) {
        ++counters_.send_dropped;
        return hal::DeviceStatus::kWouldBlock;
    }
    ++counters_.sent_frames;
    counters_.sent_bytes += frame.size();
    from_kernel_.push_back(std::move(frame));
    segment_sizes_.push_back(segment_bytes);
    return hal::DeviceStatus::kOk;
}

hal::DeviceStatus MemoryNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                     std::size_t* length) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (to_kernel_.empty()) {
        armed_ = true;
        return hal::DeviceStatus::kWouldBlock;
    }
    Frame frame = std::move(to_kernel_.front());
    to_kernel_.pop_front();
    if (frame.size() > capacity) {
        ++counters_.received_dropped;
        return hal::DeviceStatus::kInvalid;
    }
    std::memcpy(buffer, frame.data(), frame.size());
    *length = frame.size();
    ++counters_.received_frames;
    counters_.received_bytes += frame.size();
    return hal::DeviceStatus::kOk;
}

hal::NetCounters MemoryNic::counters() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_;
}

void MemoryNic::inject(const Frame& frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (to_kernel_.size() >= receive_capacity_) {
        ++counters_.received_dropped;
        return;
    }
    to_kernel_.push_back(frame);
    if (armed_ && event_ != hal::kNoEvent) {
        armed_ = false;
        hal::event_raise(event_);
    }
}

bool MemoryNic::take_sent(Frame* frame, std::size_t* segment_bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (from_kernel_.empty()) return false;
    bool was_full = from_kernel_.size() >= transmit_capacity_;
    *frame = std::move(from_kernel_.front());
    from_kernel_.pop_front();
    if (segment_bytes != nullptr) *segment_bytes = segment_sizes_.front();
    segment_sizes_.pop_front();
    // Room again after a refused transmit: the NIC contract's raise.
    if (was_full && event_ != hal::kNoEvent) hal::event_raise(event_);
    return true;
}

std::size_t MemoryNic::sent_waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return from_kernel_.size();
}

void MemoryNic::set_transmit_capacity(std::size_t frames) {
    std::lock_guard<std::mutex> lock(mutex_);
    transmit_capacity_ = frames;
}

}  // namespace hal_posix
