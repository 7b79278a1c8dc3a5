// Selective acknowledgments (RFC 2018), once both SYNs carried
// SACK-permitted. As receiver: every ACK sent while bytes beyond a gap are
// held carries them as SACK blocks, the range with the newest segment
// first (§4), as many as the option space allows (3 beside TSopt, 4
// without). As sender: the blocks received make a bounded scoreboard of
// what the peer holds past SND.UNA, and retransmissions (after a timeout,
// and the first segment of fast retransmit and NewReno's partial ACKs)
// leave those bytes out. The scoreboard is cleared on a retransmission
// timeout (§8: the receiver may have reneged; RFC 6675 §5.1 keeps that
// rule), and blocks the peer sends again fill it from there.
#include "net/tcp/connection.h"
#include "net/tcp/sequence.h"

namespace toro::net::tcp {

namespace {

unsigned sack_blocks_fitting(bool timestamps) { return timestamps ? 3 : kMaxSackBlocks; }

}  // namespace

std::size_t Connection::sack_option_length() const {
    if (!sack_permitted_ || held_count_ == 0) return 0;
    unsigned most = sack_blocks_fitting(timestamps_);
    unsigned count = held_count_ < most ? held_count_ : most;
    return 4 + 8 * count;
}

// The held ranges, newest first: a selection by `arrival`, at most 4 of 8.
std::size_t Connection::write_sack_option(std::uint8_t* out) const {
    if (sack_option_length() == 0) return 0;
    unsigned most = sack_blocks_fitting(timestamps_);
    SackBlock blocks[kMaxSackBlocks];
    unsigned count = 0;
    std::uint64_t below = 0;  // arrivals start at 1
    for (; count < most && count < held_count_; ++count) {
        const HeldRange* newest = nullptr;
        for (unsigned i = 0; i < held_count_; ++i) {
            const HeldRange& range = held_[i];
            bool eligible = count == 0 || range.arrival < below;
            if (eligible && (newest == nullptr || range.arrival > newest->arrival)) newest = &range;
        }
        blocks[count] = {newest->first, newest->end};
        below = newest->arrival;
    }
    return write_sack(out, blocks, count);
}

// Each block must lie within SND.UNA..SND.MAX and not be empty (RFC 2018
// §3 leaves no other kind); the rest is ignored. Kept only up to the end
// of the data, so skipping SACKed bytes never skips a FIN. True when
// they SACK bytes not SACKed before (RFC 6675 §2's duplicate ACK).
bool Connection::take_sack_blocks(const InSegment& segment) {
    if (!sack_permitted_) return false;
    std::uint64_t before = sacked_bytes();
    std::uint32_t data_end = snd_una_ + static_cast<std::uint32_t>(send_.length());
    for (unsigned i = 0; i < segment.options.sack_count; ++i) {
        SackBlock block = segment.options.sack[i];
        bool inside = seq_lt(block.left, block.right) && seq_ge(block.left, snd_una_) &&
                      seq_le(block.right, snd_max_);
        if (!inside) continue;
        std::uint32_t end = seq_lt(block.right, data_end) ? block.right : data_end;
        if (seq_lt(block.left, end)) add_sacked(block.left, end);
    }
    return sacked_bytes() > before;
}

std::uint64_t Connection::sacked_bytes() const {
    std::uint64_t bytes = 0;
    for (unsigned i = 0; i < sacked_count_; ++i) bytes += sacked_[i].end - sacked_[i].first;
    return bytes;
}

// Merges [first, end) with the ranges it touches.
void Connection::add_sacked(std::uint32_t first, std::uint32_t end) {
    for (unsigned i = 0; i < sacked_count_;) {
        SackedRange& range = sacked_[i];
        if (!(seq_le(range.first, end) && seq_le(first, range.end))) {
            ++i;
            continue;
        }
        if (seq_lt(range.first, first)) first = range.first;
        if (seq_gt(range.end, end)) end = range.end;
        sacked_[i] = sacked_[--sacked_count_];
    }
    if (sacked_count_ < kMaxSackedRanges) sacked_[sacked_count_++] = {first, end};
}

// SND.UNA moved: what it passed is acknowledged for good.
void Connection::prune_sacked() {
    for (unsigned i = 0; i < sacked_count_;) {
        SackedRange& range = sacked_[i];
        if (seq_le(range.end, snd_una_)) {
            sacked_[i] = sacked_[--sacked_count_];
            continue;
        }
        if (seq_lt(range.first, snd_una_)) range.first = snd_una_;
        ++i;
    }
}

// `sequence`, or the end of the SACKed range it falls in (ranges are
// merged, so one step is enough).
std::uint32_t Connection::past_sacked(std::uint32_t sequence) const {
    for (unsigned i = 0; i < sacked_count_; ++i) {
        if (seq_in(sequence, sacked_[i].first, sacked_[i].end - sacked_[i].first)) return sacked_[i].end;
    }
    return sequence;
}

// Where the first SACKed range after `sequence` starts, or `limit` if
// none starts before it.
std::uint32_t Connection::next_sacked(std::uint32_t sequence, std::uint32_t limit) const {
    for (unsigned i = 0; i < sacked_count_; ++i) {
        std::uint32_t first = sacked_[i].first;
        if (seq_gt(first, sequence) && seq_lt(first, limit)) limit = first;
    }
    return limit;
}

}  // namespace toro::net::tcp
