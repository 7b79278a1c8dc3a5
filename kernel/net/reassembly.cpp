// Reassembly of IPv4 fragments (RFC 791 §3.2, RFC 815), in bounded
// memory: at most kReassemblies datagrams and limits_.reassembly_packets
// packets at once (the oldest datagram is given up to make room), each
// given up after limits_.reassembly_timeout_ns.
//
// Fragments stay in the packets they arrived in, kept sorted by offset.
// An exact duplicate is ignored. A fragment that overlaps another in any
// other way discards the whole datagram, as Linux does since 2018 and RFC
// 5722 requires for IPv6: overlaps are an attack, never a retransmission.
#include "net/stack.h"

namespace toro::net {

namespace {

constexpr std::size_t kMaxPayload = kMaxIpv4Datagram - sizeof(Ipv4Header);

}  // namespace

std::size_t Stack::reassembly_packets() const {
    std::size_t packets = 0;
    for (const Reassembly& entry : reassembly_) packets += entry.packets;
    return packets;
}

void Stack::reassembly_free(Reassembly& entry) {
    frames_dropped_ += entry.packets;
    pool_.release_chain(entry.parts);
    entry = Reassembly{};
}

Stack::Reassembly* Stack::reassembly_for(const Ipv4Header& header, std::uint64_t now) {
    Ipv4Address source{load32(header.source)};
    Ipv4Address destination{load32(header.destination)};
    std::uint16_t identification = load16(header.identification);
    Reassembly* free_entry = nullptr;
    Reassembly* oldest = nullptr;
    for (Reassembly& entry : reassembly_) {
        if (!entry.used) {
            if (free_entry == nullptr) free_entry = &entry;
            continue;
        }
        if (entry.source == source && entry.destination == destination &&
            entry.identification == identification && entry.protocol == header.protocol) {
            return &entry;
        }
        if (oldest == nullptr || entry.started < oldest->started) oldest = &entry;
    }
    Reassembly* entry = free_entry;
    if (entry == nullptr) {
        entry = oldest;
        reassembly_free(*entry);
    }
    entry->used = true;
    entry->source = source;
    entry->destination = destination;
    entry->identification = identification;
    entry->protocol = header.protocol;
    entry->started = now;
    entry->deadline = now + limits_.reassembly_timeout_ns;
    note_deadline(entry->deadline);
    return entry;
}

// Inserts in offset order; false (and the caller gives up the datagram)
// on an overlap that is not an exact duplicate. A duplicate is released.
bool Stack::reassembly_insert(Reassembly& entry, Packet* fragment) {
    std::size_t start = fragment->fragment_offset;
    std::size_t end = start + fragment->part_length;
    Packet* before = nullptr;
    Packet* after = entry.parts;
    while (after != nullptr && after->fragment_offset < start) {
        before = after;
        after = after->next;
    }
    if (after != nullptr && after->fragment_offset == start && after->part_length == end - start) {
        pool_.release(fragment);  // an exact duplicate
        return true;
    }
    if (before != nullptr && before->fragment_offset + before->part_length > start) return false;
    if (after != nullptr && after->fragment_offset < end) return false;
    fragment->next = after;
    (before != nullptr ? before->next : entry.parts) = fragment;
    ++entry.packets;
    return true;
}

Packet* Stack::reassemble(Packet* fragment, const Ipv4Header& header,
                          std::size_t* payload_length, std::uint64_t now) {
    std::uint16_t field = load16(header.flags_and_offset);
    std::size_t offset = (field & kIpv4OffsetMask) * 8u;
    bool more = (field & kIpv4MoreFragments) != 0;
    std::size_t end = offset + fragment->part_length;
    // RFC 791: every fragment but the last carries a multiple of 8 bytes.
    if ((more && (fragment->part_length == 0 || fragment->part_length % 8 != 0)) ||
        end > kMaxPayload) {
        drop(fragment);
        return nullptr;
    }
    Reassembly* entry = reassembly_for(header, now);
    bool consistent = entry->total_length == 0 || (more ? end <= entry->total_length
                                                        : end == entry->total_length);
    if (!more && entry->parts != nullptr) {  // nothing may lie past the end
        Packet* last = entry->parts;
        while (last->next != nullptr) last = last->next;
        consistent = consistent && last->fragment_offset + last->part_length <= end;
    }
    fragment->fragment_offset = static_cast<std::uint16_t>(offset);
    fragment->next = nullptr;
    if (!consistent || !reassembly_insert(*entry, fragment)) {
        drop(fragment);
        reassembly_free(*entry);
        return nullptr;
    }
    if (!more) entry->total_length = end;
    // Room for this one, by giving up the oldest others.
    while (reassembly_packets() > limits_.reassembly_packets) {
        Reassembly* oldest = nullptr;
        for (Reassembly& other : reassembly_) {
            if (other.used && (oldest == nullptr || other.started < oldest->started)) oldest = &other;
        }
        reassembly_free(*oldest);
        if (oldest == entry) return nullptr;
    }
    if (entry->total_length == 0) return nullptr;
    std::size_t covered = 0;
    for (Packet* part = entry->parts; part != nullptr; part = part->next) {
        if (part->fragment_offset != covered) return nullptr;  // a hole
        covered += part->part_length;
    }
    if (covered != entry->total_length) return nullptr;
    Packet* first = entry->parts;
    *payload_length = entry->total_length;
    *entry = Reassembly{};  // the chain is the caller's now
    return first;
}

std::uint64_t Stack::reassembly_poll(std::uint64_t now) {
    std::uint64_t next = kNoDeadline;
    for (Reassembly& entry : reassembly_) {
        if (!entry.used) continue;
        // RFC 792 would send Time Exceeded (code 1) if the first fragment
        // came; Linux does, but nothing depends on it: not sent.
        if (entry.deadline <= now) {
            reassembly_free(entry);
            continue;
        }
        if (entry.deadline < next) next = entry.deadline;
    }
    return next;
}

}  // namespace toro::net
