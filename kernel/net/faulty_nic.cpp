#include "net/faulty_nic.h"

#include <new>

#include "hal/clock.h"
#include "hal/events.h"
#include "hal/random.h"
#include "toro/memory.h"

namespace toro::net {

namespace {

constexpr std::uint64_t kMillisecond = 1'000'000;
// How long a reordered frame waits for a later one to overtake it.
constexpr std::uint64_t kReorderHold = 10 * kMillisecond;
constexpr std::uint32_t kMaxDelayMs = 10'000;
constexpr std::size_t kMaxFrame = 1514;

bool equals(const char* text, std::size_t length, const char* word) {
    std::size_t i = 0;
    for (; i < length && word[i] != '\0'; ++i) {
        if (text[i] != word[i]) return false;
    }
    return i == length && word[i] == '\0';
}

// "0", "1", "0.05", ".5", "1.0": a fraction in millionths.
bool parse_probability(const char* text, std::size_t length, std::uint32_t* millionths) {
    std::size_t i = 0;
    std::uint32_t whole = 0;
    bool digits = false;
    for (; i < length && text[i] >= '0' && text[i] <= '9'; ++i, digits = true) {
        whole = whole * 10 + static_cast<std::uint32_t>(text[i] - '0');
        if (whole > 1) return false;
    }
    std::uint32_t fraction = 0, scale = 1'000'000;
    if (i < length && text[i] == '.') {
        for (++i; i < length && text[i] >= '0' && text[i] <= '9'; ++i, digits = true) {
            if (scale > 1) {
                scale /= 10;
                fraction += static_cast<std::uint32_t>(text[i] - '0') * scale;
            }
        }
    }
    if (!digits || i != length) return false;
    std::uint32_t value = whole * 1'000'000 + fraction;
    if (value > 1'000'000) return false;
    *millionths = value;
    return true;
}

bool parse_milliseconds(const char* text, std::size_t length, std::uint32_t* value) {
    if (length == 0 || length > 5) return false;
    std::uint32_t result = 0;
    for (std::size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        result = result * 10 + static_cast<std::uint32_t>(text[i] - '0');
    }
    if (result > kMaxDelayMs) return false;
    *value = result;
    return true;
}

}  // namespace

bool parse_link_faults(const char* spec, std::size_t length, LinkFaults* faults, const char** bad) {
    LinkFaults parsed;
    for (std::size_t start = 0; start < length;) {
        std::size_t end = start;
        while (end < length && spec[end] != ',') ++end;
        std::size_t equals_at = start;
        while (equals_at < end && spec[equals_at] != '=') ++equals_at;
        const char* key = spec + start;
        std::size_t key_length = equals_at - start;
        const char* value = spec + equals_at + 1;
        std::size_t value_length = equals_at < end ? end - equals_at - 1 : 0;
        bool ok = equals_at < end;
        if (ok && equals(key, key_length, "loss")) ok = parse_probability(value, value_length, &parsed.loss);
        else if (ok && equals(key, key_length, "dup")) ok = parse_probability(value, value_length, &parsed.duplicate);
        else if (ok && equals(key, key_length, "corrupt")) ok = parse_probability(value, value_length, &parsed.corrupt);
        else if (ok && equals(key, key_length, "reorder")) ok = parse_probability(value, value_length, &parsed.reorder);
        else if (ok && equals(key, key_length, "delay")) ok = parse_milliseconds(value, value_length, &parsed.delay_ms);
        else if (ok && equals(key, key_length, "jitter")) ok = parse_milliseconds(value, value_length, &parsed.jitter_ms);
        else ok = false;
        if (!ok) {
            *bad = key;
            return false;
        }
        start = end + 1;
    }
    *faults = parsed;
    return true;
}

FaultyNic::FaultyNic(hal::NetDevice& inner, const LinkFaults& faults)
    : inner_(inner), faults_(faults) {
    static_assert(sizeof(Held) * kHeldFrames <= 256 * 1024);
    void* slots = allocate(sizeof(Held) * kHeldFrames);
    if (slots != nullptr) held_ = new (slots) Held[kHeldFrames];
}

void FaultyNic::attach(hal::EventId event) {
    event_ = event;
    inner_.attach(event);
}

bool FaultyNic::happens(std::uint32_t millionths) {
    return millionths != 0 && hal::random_u64() % 1'000'000 < millionths;
}

std::uint64_t FaultyNic::delay_for_frame() {
    std::uint64_t delay = faults_.delay_ms * kMillisecond;
    if (faults_.jitter_ms == 0) return delay;
    std::uint64_t jitter = faults_.jitter_ms * kMillisecond;
    std::uint64_t offset = hal::random_u64() % (2 * jitter + 1);  // -jitter .. +jitter
    return delay + offset > jitter ? delay + offset - jitter : 0;
}

bool FaultyNic::hold(const std::uint8_t* bytes, std::size_t length, bool outbound,
                     std::uint64_t due) {
    if (held_ == nullptr) return false;
    for (std::size_t i = 0; i < kHeldFrames; ++i) {
        Held& slot = held_[i];
        if (slot.used) continue;
        slot.used = true;
        slot.outbound = outbound;
        slot.due = due;
        slot.order = next_order_++;
        slot.length = static_cast<std::uint16_t>(length);
        __builtin_memcpy(slot.bytes, bytes, length);
        return true;
    }
    ++stats_.overflowed;
    return false;
}

FaultyNic::Held* FaultyNic::earliest(bool outbound, std::uint64_t now) {
    if (held_ == nullptr) return nullptr;
    Held* best = nullptr;
    for (std::size_t i = 0; i < kHeldFrames; ++i) {
        Held& slot = held_[i];
        if (!slot.used || slot.outbound != outbound || slot.due > now) continue;
        if (best == nullptr || slot.due < best->due ||
            (slot.due == best->due && slot.order < best->order)) {
            best = &slot;
        }
    }
    return best;
}

void FaultyNic::send_due_frames(std::uint64_t now) {
    while (Held* slot = earliest(true, now)) {
        hal::FramePiece piece{slot->bytes, slot->length};
        if (inner_.transmit(&piece, 1) == hal::DeviceStatus::kWouldBlock) {
            slot->due = now + kMillisecond;  // the ring is full: try again soon
            return;
        }
        slot->used = false;
    }
}

// The next time something falls due. A received frame already due is not
// counted: its raise is made, and receive() hands it out.
void FaultyNic::rearm() {
    std::uint64_t now = hal::clock_now_ns();
    std::uint64_t next = hal::kNoDeadline;
    for (std::size_t i = 0; held_ != nullptr && i < kHeldFrames; ++i) {
        const Held& slot = held_[i];
        if (!slot.used || (!slot.outbound && slot.due <= now)) continue;
        if (slot.due < next) next = slot.due;
    }
    if (next == hal::kNoDeadline) {
        timer_.cancel();
    } else {
        timer_.arm_at(next);
    }
}

void FaultyNic::on_timer(void* argument) {
    auto* self = static_cast<FaultyNic*>(argument);
    std::uint64_t now = hal::clock_now_ns();
    self->send_due_frames(now);
    if (self->earliest(false, now) != nullptr) hal::event_raise(self->event_);
    self->rearm();
}

hal::DeviceStatus FaultyNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::uint8_t frame[kMaxFrame];
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (pieces[i].length > kMaxFrame - length) return hal::DeviceStatus::kInvalid;
        __builtin_memcpy(frame + length, pieces[i].bytes, pieces[i].length);
        length += pieces[i].length;
    }
    if (length == 0) return hal::DeviceStatus::kInvalid;
    if (happens(faults_.loss)) {
        ++stats_.lost;
        return hal::DeviceStatus::kOk;  // gone on the wire: the sender cannot tell
    }
    if (happens(faults_.corrupt)) {
        frame[hal::random_u64() % length] ^= static_cast<std::uint8_t>(1u << (hal::random_u64() % 8));
        ++stats_.corrupted;
    }
    std::uint64_t now = hal::clock_now_ns();
    std::uint64_t delay = delay_for_frame();
    bool reorder = happens(faults_.reorder);
    if (delay > 0 || reorder) {
        if (reorder) ++stats_.reordered;
        if (delay > 0) ++stats_.delayed;
        hold(frame, length, true, now + delay + (reorder ? kReorderHold : 0));
        rearm();
        return hal::DeviceStatus::kOk;
    }
    hal::FramePiece piece{frame, length};
    hal::DeviceStatus status = inner_.transmit(&piece, 1);
    if (status == hal::DeviceStatus::kOk && happens(faults_.duplicate)) {
        ++stats_.duplicated;
        (void)inner_.transmit(&piece, 1);
    }
    return status;
}

hal::DeviceStatus FaultyNic::receive(std::uint8_t* buffer, std::size_t capacity,
                                     std::size_t* length) {
    std::uint64_t now = hal::clock_now_ns();
    for (;;) {
        if (duplicate_pending_) {
            duplicate_pending_ = false;
            if (duplicate_length_ > capacity) return hal::DeviceStatus::kInvalid;
            __builtin_memcpy(buffer, duplicate_, duplicate_length_);
            *length = duplicate_length_;
            return hal::DeviceStatus::kOk;
        }
        if (Held* slot = earliest(false, now)) {
            slot->used = false;
            if (slot->length > capacity) return hal::DeviceStatus::kInvalid;
            __builtin_memcpy(buffer, slot->bytes, slot->length);
            *length = slot->length;
            return hal::DeviceStatus::kOk;
        }
        hal::DeviceStatus status = inner_.receive(buffer, capacity, length);
        if (status != hal::DeviceStatus::kOk) {
            if (status == hal::DeviceStatus::kWouldBlock) rearm();  // held frames raise when due
            return status;
        }
        if (happens(faults_.loss)) {
            ++stats_.lost;
            continue;
        }
        if (happens(faults_.corrupt) && *length > 0) {
            buffer[hal::random_u64() % *length] ^= static_cast<std::uint8_t>(1u << (hal::random_u64() % 8));
            ++stats_.corrupted;
        }
        std::uint64_t delay = delay_for_frame();
        bool reorder = happens(faults_.reorder);
        if (delay > 0 || reorder) {
            if (reorder) ++stats_.reordered;
            if (delay > 0) ++stats_.delayed;
            hold(buffer, *length, false, now + delay + (reorder ? kReorderHold : 0));
            continue;
        }
        if (happens(faults_.duplicate) && *length <= sizeof duplicate_) {
            ++stats_.duplicated;
            duplicate_pending_ = true;
            duplicate_length_ = static_cast<std::uint16_t>(*length);
            __builtin_memcpy(duplicate_, buffer, *length);
        }
        return hal::DeviceStatus::kOk;
    }
}

hal::NetCounters FaultyNic::counters() const {
    hal::NetCounters counters = inner_.counters();
    counters.received_dropped += stats_.lost + stats_.overflowed;
    return counters;
}

}  // namespace toro::net
