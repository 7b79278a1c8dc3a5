// ARP (RFC 826) for the interface: a bounded cache with lifetimes, a
// bounded queue of frames per address being resolved, and replies to
// requests for our address.
//
// Only two things create entries: an address we send to, and the sender
// of a request for our own address (RFC 826's "merge" rule); other ARP
// traffic only refreshes entries we have. So a storm of ARP from thousands
// of addresses costs at most the table, and evicts the oldest entry.
//
// Frames waiting for a resolution are bounded per address and in all
// (limits_.arp_waiting_packets, a sixteenth of the default pool): echo
// requests from spoofed on-link addresses, whose replies wait for ever-
// unanswered requests, must not take the pool that receiving needs.
#include "net/stack.h"
#include "net/tcp_segmenter.h"

namespace toro::net {

namespace {

Ipv4Address address_at(const std::uint8_t* bytes) { return {load32(bytes)}; }

}  // namespace

Stack::ArpEntry* Stack::arp_find(Ipv4Address address) {
    for (ArpEntry& entry : arp_entries()) {
        if (entry.state != ArpEntry::State::kFree && entry.address == address) return &entry;
    }
    return nullptr;
}

std::size_t Stack::arp_waiting_packets() const {
    std::size_t packets = 0;
    for (const ArpEntry& entry : arp_entries()) packets += entry.waiting_count;
    return packets;
}

void Stack::arp_free(ArpEntry& entry) {
    for (Packet* frame = entry.waiting; frame != nullptr;) {
        Packet* next = frame->next_queued;
        drop(frame);
        frame = next;
    }
    entry = ArpEntry{};
    while (arp_slots_ > 0 && arp_[arp_slots_ - 1].state == ArpEntry::State::kFree) --arp_slots_;
}

// A free entry, else the resolved one that expires first. An entry being
// resolved is kept for a mere learner (its frames are waiting), but not
// when we have a frame to send (`for_sending`): then the one that would be
// given up first goes, with its frames. Otherwise a table full of
// addresses that never answer (spoofed sources of echo requests) would
// refuse every new neighbour, a real one too, until they are given up.
Stack::ArpEntry* Stack::arp_allocate(Ipv4Address address, bool for_sending, std::uint64_t now) {
    (void)now;
    ArpEntry* victim = nullptr;
    ArpEntry* unanswered = nullptr;
    auto given_up_at = [this](const ArpEntry& entry) {
        return entry.deadline + (limits_.arp_attempts - entry.requests_sent) * limits_.arp_retry_ns;
    };
    for (ArpEntry& entry : arp_entries()) {
        if (entry.state == ArpEntry::State::kFree) {
            victim = &entry;
            break;
        }
        if (entry.state == ArpEntry::State::kResolved &&
            (victim == nullptr || entry.deadline < victim->deadline)) {
            victim = &entry;
        }
        if (entry.state == ArpEntry::State::kIncomplete &&
            (unanswered == nullptr || given_up_at(entry) < given_up_at(*unanswered))) {
            unanswered = &entry;
        }
    }
    bool found_free = victim != nullptr && victim->state == ArpEntry::State::kFree;
    if (!found_free && arp_slots_ < kArpEntries) {
        victim = &arp_[arp_slots_];  // a slot never used, or freed at the top
    } else if (victim == nullptr && for_sending) {
        victim = unanswered;
    }
    if (victim == nullptr) return nullptr;
    arp_free(*victim);
    // The caller makes it incomplete or resolved, so it is a slot in use.
    std::size_t slot = static_cast<std::size_t>(victim - arp_);
    if (slot >= arp_slots_) arp_slots_ = slot + 1;
    victim->address = address;
    return victim;
}

void Stack::arp_learn(Ipv4Address address, const MacAddress& mac, bool create, std::uint64_t now) {
    ArpEntry* entry = arp_find(address);
    if (entry == nullptr && create) entry = arp_allocate(address, false, now);
    if (entry == nullptr) return;
    entry->mac = mac;
    entry->state = ArpEntry::State::kResolved;
    entry->deadline = now + limits_.arp_lifetime_ns;
    note_deadline(entry->deadline);
    entry->requests_sent = 0;
    while (Packet* frame = entry->waiting) {  // the frames waiting for it go now
        entry->waiting = frame->next_queued;
        __builtin_memcpy(frame->data, mac.bytes, 6);
        hal::FramePiece piece{frame->data, frame->length};
        (void)transmit_or_queue(&piece, 1);
        pool_.release(frame);
    }
    entry->waiting_tail = nullptr;
    entry->waiting_count = 0;
}

void Stack::arp_input(Packet* frame, std::uint64_t now) {
    if (frame->length < sizeof(EthernetHeader) + sizeof(ArpPacket)) return drop(frame);
    const auto* arp = reinterpret_cast<const ArpPacket*>(frame->data + sizeof(EthernetHeader));
    if (load16(arp->hardware_type) != 1 || load16(arp->protocol_type) != kEtherTypeIpv4 ||
        arp->hardware_length != 6 || arp->protocol_length != 4) {
        return drop(frame);
    }
    std::uint16_t operation = load16(arp->operation);
    MacAddress sender_mac;
    __builtin_memcpy(sender_mac.bytes, arp->sender_mac, 6);
    Ipv4Address sender = address_at(arp->sender_ip);
    Ipv4Address target = address_at(arp->target_ip);
    if ((operation != kArpRequest && operation != kArpReply) || sender_mac.is_multicast() ||
        sender == config_.address) {
        return drop(frame);
    }
    bool for_us = !config_.address.is_any() && target == config_.address;
    // A probe (RFC 5227 §2.1.1) has sender 0.0.0.0: nothing to learn.
    if (!sender.is_any()) arp_learn(sender, sender_mac, for_us, now);
    if (for_us && operation == kArpRequest) arp_send(kArpReply, sender_mac, sender);
    pool_.release(frame);
}

// A request is broadcast (target MAC unknown, zero); a reply goes to the asker.
void Stack::arp_send(std::uint16_t operation, const MacAddress& target_mac, Ipv4Address target) {
    ArpPacket arp;
    store16(arp.hardware_type, 1);
    store16(arp.protocol_type, kEtherTypeIpv4);
    arp.hardware_length = 6;
    arp.protocol_length = 4;
    store16(arp.operation, operation);
    __builtin_memcpy(arp.sender_mac, mac_.bytes, 6);
    store32(arp.sender_ip, config_.address.value);
    __builtin_memcpy(arp.target_mac, target_mac.bytes, 6);
    store32(arp.target_ip, target.value);
    hal::FramePiece piece{reinterpret_cast<const std::uint8_t*>(&arp), sizeof arp};
    (void)send_frame(operation == kArpRequest ? kBroadcastMac : target_mac, kEtherTypeArp, &piece, 1);
}

Error Stack::arp_send_ipv4(Ipv4Address next_hop, const hal::FramePiece* pieces,
                           std::size_t count, std::uint64_t now, std::size_t segment_bytes) {
    ArpEntry* entry = arp_find(next_hop);
    if (entry != nullptr && entry->state == ArpEntry::State::kResolved && entry->deadline > now) {
        return send_frame(entry->mac, kEtherTypeIpv4, pieces, count, segment_bytes);
    }
    if (segment_bytes != 0) {
        // To wait for the address, an oversized segment is cut to fit
        // packets, each of which waits (and is resolved) as one frame.
        TcpSegmenter segmenter;
        if (!segmenter.start(pieces, count, 0, segment_bytes)) return Error::kInvalid;
        hal::FramePiece cut[kMaxPieces];
        for (std::size_t n; (n = segmenter.next(cut, kMaxPieces)) != 0;) {
            TORO_TRY(arp_send_ipv4(next_hop, cut, n, now));
        }
        return Error::kOk;
    }
    if (entry == nullptr) {
        entry = arp_allocate(next_hop, true, now);
        if (entry == nullptr) return Error::kNoBufferSpace;
    }
    if (entry->state != ArpEntry::State::kIncomplete) {  // new, or expired: ask again
        entry->state = ArpEntry::State::kIncomplete;
        entry->requests_sent = 1;
        entry->deadline = now + limits_.arp_retry_ns;
        note_deadline(entry->deadline);
        arp_send(kArpRequest, MacAddress{}, next_hop);
        if (wake_driver_ != nullptr) wake_driver_(wake_argument_);  // a new deadline
    }
    if (entry->waiting_count >= kArpQueuePerEntry ||
        arp_waiting_packets() >= limits_.arp_waiting_packets) {
        return Error::kNoBufferSpace;
    }
    Packet* frame = pool_.acquire();
    if (frame == nullptr) return Error::kNoBufferSpace;
    // The whole frame, its destination MAC filled in once resolved.
    EthernetHeader header{};
    __builtin_memcpy(header.source, mac_.bytes, 6);
    store16(header.ether_type, kEtherTypeIpv4);
    __builtin_memcpy(frame->data, &header, sizeof header);
    frame->length = sizeof header;
    for (std::size_t i = 0; i < count; ++i) {
        if (frame->length + pieces[i].length > kPacketCapacity) {
            pool_.release(frame);
            return Error::kMessageTooLong;
        }
        __builtin_memcpy(frame->data + frame->length, pieces[i].bytes, pieces[i].length);
        frame->length = static_cast<std::uint16_t>(frame->length + pieces[i].length);
    }
    (entry->waiting != nullptr ? entry->waiting_tail->next_queued : entry->waiting) = frame;
    entry->waiting_tail = frame;
    ++entry->waiting_count;
    return Error::kOk;
}

std::uint64_t Stack::arp_poll(std::uint64_t now) {
    std::uint64_t next = kNoDeadline;
    for (ArpEntry& entry : arp_entries()) {
        if (entry.state == ArpEntry::State::kFree) continue;
        if (entry.deadline <= now) {
            if (entry.state == ArpEntry::State::kResolved ||
                entry.requests_sent >= limits_.arp_attempts) {
                arp_free(entry);  // expired, or no answer: its frames are dropped
                continue;
            }
            ++entry.requests_sent;
            entry.deadline = now + limits_.arp_retry_ns;
            arp_send(kArpRequest, MacAddress{}, entry.address);
        }
        if (entry.deadline < next) next = entry.deadline;
    }
    return next;
}

}  // namespace toro::net
