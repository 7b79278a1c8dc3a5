#include "net/tcp_segmenter.h"

#include "net/checksum.h"
#include "net/tcp/tcp_wire.h"
#include "net/wire.h"

namespace toro::net {

std::size_t slice_pieces(const hal::FramePiece* pieces, std::size_t count, std::size_t start,
                         std::size_t length, hal::FramePiece* out, std::size_t capacity) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < count && length > 0; ++i) {
        if (start >= pieces[i].length) {
            start -= pieces[i].length;
            continue;
        }
        if (used == capacity) return 0;
        std::size_t take = pieces[i].length - start;
        if (take > length) take = length;
        out[used++] = {pieces[i].bytes + start, take};
        length -= take;
        start = 0;
    }
    return length == 0 ? used : 0;
}

namespace {

// Copies up to `length` bytes from the start of `pieces` to `out`; how many.
std::size_t gather(const hal::FramePiece* pieces, std::size_t count, std::uint8_t* out,
                   std::size_t length) {
    std::size_t copied = 0;
    for (std::size_t i = 0; i < count && copied < length; ++i) {
        std::size_t take = pieces[i].length < length - copied ? pieces[i].length : length - copied;
        __builtin_memcpy(out + copied, pieces[i].bytes, take);
        copied += take;
    }
    return copied;
}

}  // namespace

bool TcpSegmenter::start(const hal::FramePiece* pieces, std::size_t count, std::size_t link_bytes,
                         std::size_t segment_bytes) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += pieces[i].length;
    std::size_t fixed = link_bytes + sizeof(Ipv4Header) + sizeof(tcp::TcpHeader);
    if (segment_bytes == 0 || link_bytes > 14 || total < fixed) return false;
    if (gather(pieces, count, original_, fixed) != fixed) return false;
    const auto* ip = reinterpret_cast<const Ipv4Header*>(original_ + link_bytes);
    if (ip->version_and_length != 0x45 || ip->protocol != kProtocolTcp) return false;
    if (load16(ip->total_length) != total - link_bytes) return false;
    const auto* tcp = reinterpret_cast<const tcp::TcpHeader*>(original_ + link_bytes + sizeof(Ipv4Header));
    std::size_t tcp_header = static_cast<std::size_t>(tcp->data_offset >> 4) * 4;
    if (tcp_header < sizeof(tcp::TcpHeader)) return false;
    header_bytes_ = link_bytes + sizeof(Ipv4Header) + tcp_header;
    if (total < header_bytes_ || gather(pieces, count, original_, header_bytes_) != header_bytes_) {
        return false;
    }
    pieces_ = pieces;
    count_ = count;
    link_bytes_ = link_bytes;
    payload_bytes_ = total - header_bytes_;
    segment_bytes_ = segment_bytes;
    done_ = 0;
    cuts_ = 0;
    return true;
}

std::size_t TcpSegmenter::cut_count() const {
    return payload_bytes_ == 0 ? 1 : (payload_bytes_ + segment_bytes_ - 1) / segment_bytes_;
}

std::size_t TcpSegmenter::next(hal::FramePiece* out, std::size_t capacity) {
    if (cuts_ == cut_count() || capacity < 2) return 0;
    std::size_t part = payload_bytes_ - done_ < segment_bytes_ ? payload_bytes_ - done_ : segment_bytes_;
    bool last = done_ + part == payload_bytes_;
    __builtin_memcpy(cut_, original_, header_bytes_);
    auto* ip = reinterpret_cast<Ipv4Header*>(cut_ + link_bytes_);
    auto* tcp = reinterpret_cast<tcp::TcpHeader*>(cut_ + link_bytes_ + sizeof(Ipv4Header));
    std::size_t tcp_length = header_bytes_ - link_bytes_ - sizeof(Ipv4Header) + part;
    store16(ip->total_length, static_cast<std::uint16_t>(sizeof(Ipv4Header) + tcp_length));
    store16(ip->identification, static_cast<std::uint16_t>(load16(ip->identification) + cuts_));
    store16(ip->checksum, 0);
    store16(ip->checksum, internet_checksum(reinterpret_cast<const std::uint8_t*>(ip), sizeof(Ipv4Header)));
    store32(tcp->sequence, load32(tcp->sequence) + static_cast<std::uint32_t>(done_));
    if (!last) tcp->flags = static_cast<std::uint8_t>(tcp->flags & ~(tcp::kFin | tcp::kPsh));
    // RFC 3168 §6.1.2: CWR goes on the first new data after a reduction only.
    if (cuts_ != 0) tcp->flags = static_cast<std::uint8_t>(tcp->flags & ~tcp::kCwr);
    std::size_t used = 1;
    if (part > 0) {
        used += slice_pieces(pieces_, count_, header_bytes_ + done_, part, out + 1, capacity - 1);
        if (used == 1) return 0;
    }
    store16(tcp->checksum, 0);
    Checksum checksum;
    add_pseudo_header(checksum, {load32(ip->source)}, {load32(ip->destination)}, kProtocolTcp, tcp_length);
    checksum.add(reinterpret_cast<const std::uint8_t*>(tcp), header_bytes_ - link_bytes_ - sizeof(Ipv4Header));
    for (std::size_t i = 1; i < used; ++i) checksum.add(out[i].bytes, out[i].length);
    store16(tcp->checksum, checksum.finish());
    out[0] = {cut_, header_bytes_};
    done_ += part;
    ++cuts_;
    return used;
}

}  // namespace toro::net
