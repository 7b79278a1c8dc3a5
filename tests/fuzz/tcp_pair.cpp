// Two machines, each a net::Stack (198.18.0.1, the client, and
// 198.18.0.2, the server listening on port 80), joined by an in-memory
// wire, on a virtual clock: no machine is booted, nothing sleeps, and
// hal::random follows a seed taken from the input, so an input replays
// exactly. The client sends a stream to the server and the server one
// back, then both shut down and close.
//
// The input: SEED CLIENT_SIZE SERVER_SIZE, then one byte per decision.
// The client sends CLIENT_SIZE * 64 bytes (up to 16 KiB), the server
// SERVER_SIZE * 16 (up to 4 KiB), from a fixed random table at offsets
// the seed picks. Both NICs offer segmentation offload when SEED & 4;
// the client asks for ECN (RFC 3168) when SEED & 8, which the server agrees to;
// the server answers every SYN with a SYN cookie (RFC 4987) when SEED & 16.
// Each connection's buffers are 4, 8, 16 or 32 KiB each
// way (SEED & 3): small transfers keep a run short (a 256 KiB one took a
// millisecond), and small buffers still fill the window, shut it and
// probe it in a few segments. While a frame is in flight, a decision byte
// D picks frame (D >> 3) % in-flight and does D & 7 to it:
//   0-2 deliver it           3 drop it         4 deliver a copy of it
//   5 send it to the back of the queue (so the others overtake it)
//   6 M P: mutate it (M & 3: 0-1 XOR the byte at P (the first 64 after
//     Ethernet when P < 64) with (M >> 2) + 1, but for P = 1, the TOS
//     byte, mark it CE as a congested router does (the IP checksum made
//     right: nothing is lost, the sender must slow down); 2 cut it at P/256 of its
//     length; 3 XOR TCP header byte P % 20 with (M >> 2) + 1 and make the
//     checksum right again: a forged segment) and deliver it; an ARP frame
//     is dropped instead, as a frame failing Ethernet's FCS is
//   7 T: the clock moves on T * 4 ms, or to the next timer when T is 0
// When nothing is in flight, the clock moves to the next timer without a
// decision. When the decisions run out the wire is perfect: everything
// is delivered in order, the clock jumps from timer to timer, for at most
// 10 simulated minutes.
//
// Failures, each a message and an abort:
// * a byte received that is not the sender's byte at that offset
//   (checked at every receive: no byte lost, duplicated or reordered), or
//   the end of the stream before the last byte;
// * the transfers not complete after the perfect wire's 10 minutes (a
//   hang), or a connection error, unless excused: a forged segment was
//   delivered (a checksum is all that stands between TCP and a changed
//   header, so after one nothing about the streams is promised), or a
//   connection, seen by its application or not (net_stats'
//   tcp_retry_timeouts), ran out of retries while the input held the
//   wire or within one maximum RTO after (a timer armed before), and then
//   whatever followed (the RST it sent); or, with cookies, the server's
//   listener sent a RST (its net_stats' tcp_resets_sent: a segment came
//   that no cookie explains, as when the one carrying it was lost). A flipped byte or a cut frame
//   must be dropped by the stack: it excuses nothing;
// * after both sides close (those that did not finish are aborted) and
//   TIME-WAIT runs out: a connection, TCP buffer memory or a packet left;
//   and at the end of the input and at the end: a socket table whose
//   demux index or listener counts are off (Stack::tcp_tables_consistent);
// * the stacks trading frames while the clock stands still (a livelock),
//   or a frame sent that is not an Ethernet frame's size.
// Also on every frame: ASan and UBSan, in the fuzz build.
//
// TCP_PAIR_TRACE=1 in the environment prints each frame's fate (a story
// to read when a crashing input is replayed).
#include "tcp_pair.h"

#include <sanitizer/asan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "hal/devices.h"
#include "hal_posix/machine.h"
#include "net/checksum.h"
#include "net/stack.h"
#include "net/tcp_segmenter.h"

namespace tcp_pair {

namespace {

using toro::Error;
using toro::net::Ipv4Address;
using toro::net::kNoDeadline;
using toro::net::Packet;
using toro::net::Stack;

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kMinute = 60'000 * kMs;
constexpr std::uint64_t kPerfectWire = 10 * kMinute;
constexpr std::uint64_t kTeardown = 4 * 60 * kMinute;
constexpr std::uint16_t kPort = 80;
constexpr std::size_t kFrameBytes = 1514;
constexpr std::size_t kPoolBytes = 256 * 1024;
// Deliveries and timer runs in one phase: past this, the stacks are
// trading frames without the clock moving (an ACK war).
constexpr unsigned long kMaxSteps = 200'000;

void fail(const char* why, int side, std::uint64_t now) {
    std::fprintf(stderr, "tcp_pair: %s (side %d: %s, at %llu ms)\n", why, side,
                 side == 0 ? "client" : "server", static_cast<unsigned long long>(now / kMs));
    std::abort();
}

#define PAIR_CHECK(condition, why, side)            \
    do {                                            \
        if (!(condition)) fail(why, side, world.now); \
    } while (0)

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) { return std::uint32_t{get16(p)} << 16 | get16(p + 2); }

// TCP_PAIR_TRACE=1 in the environment: every frame's fate and every
// connection error on stderr, to read a crashing input's story.
const bool tracing = std::getenv("TCP_PAIR_TRACE") != nullptr;

void trace_frame(const char* what, int to, const std::uint8_t* bytes, std::size_t length, std::uint64_t now) {
    if (!tracing) return;
    std::fprintf(stderr, "%10.3f s %s %s", static_cast<double>(now % (1000'000 * kMs)) / 1e9, what,
                 to == 1 ? "client->server" : "server->client");
    if (length >= 54 && get16(bytes + 12) == 0x0800 && bytes[23] == 6) {
        const std::uint8_t* ip = bytes + 14;
        const std::uint8_t* tcp = ip + (ip[0] & 0x0F) * 4;
        static const char names[] = "FSRPAUEW";
        char flags[9] = {};
        for (int bit = 0, n = 0; bit < 8; ++bit) {
            if (tcp[13] & (1 << bit)) flags[n++] = names[bit];
        }
        std::size_t payload = get16(ip + 2) - (ip[0] & 0x0F) * 4u - (tcp[12] >> 4) * 4u;
        std::fprintf(stderr, " [%s] seq %u ack %u win %u len %zu", flags, get32(tcp + 4), get32(tcp + 8),
                     get16(tcp + 14), payload);
    } else {
        std::fprintf(stderr, " ethertype %04x, %zu bytes", length >= 14 ? get16(bytes + 12) : 0, length);
    }
    std::fputc('\n', stderr);
}

// The streams' bytes: a fixed table of SplitMix64 output, so a byte in
// the wrong place (shifted by any amount) differs from the right one.
constexpr std::size_t kTableBytes = 1 << 20;
struct StreamTable {
    std::uint8_t bytes[kTableBytes];
    StreamTable() {
        std::uint64_t state = 0;
        for (std::size_t i = 0; i < kTableBytes; i += 8) {
            std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            std::memcpy(bytes + i, &z, 8);
        }
    }
};
const StreamTable table;

// The frames in flight, both ways, in the order sent: slots hold the
// bytes, `order_` their places in the queue (moving a frame moves an index).
struct WireFrame {
    int to;
    std::size_t length;
    std::uint8_t bytes[kFrameBytes];
};
class Wire {
public:
    static constexpr std::size_t kCapacity = 256;
    Wire() {
        for (std::size_t i = 0; i < kCapacity; ++i) free_[i] = static_cast<std::uint16_t>(i);
        free_count_ = kCapacity;
    }
    void clear() {
        while (count_ > 0) remove(count_ - 1);
    }
    std::size_t count() const { return count_; }
    WireFrame& at(std::size_t index) { return slots_[order_[index]]; }
    // False when the wire is full: the frame is lost, as a full queue loses it.
    WireFrame* push() {
        if (free_count_ == 0) return nullptr;
        std::uint16_t slot = free_[--free_count_];
        order_[count_++] = slot;
        return &slots_[slot];
    }
    void remove(std::size_t index) {
        free_[free_count_++] = order_[index];
        std::memmove(order_ + index, order_ + index + 1, (count_ - index - 1) * sizeof order_[0]);
        --count_;
    }
    void move_to_back(std::size_t index) {
        std::uint16_t slot = order_[index];
        std::memmove(order_ + index, order_ + index + 1, (count_ - index - 1) * sizeof order_[0]);
        order_[count_ - 1] = slot;
    }

private:
    WireFrame slots_[kCapacity];
    std::uint16_t order_[kCapacity];
    std::uint16_t free_[kCapacity];
    std::size_t free_count_ = 0;
    std::size_t count_ = 0;
};
Wire wire;

// One machine's NIC: what its stack sends goes on the wire to the other.
class WireNic final : public hal::NetDevice {
public:
    WireNic(int side, std::uint8_t last_mac_byte) : side_(side), mac_{0x02, 0, 0, 0, 0, last_mac_byte} {}
    virtual ~WireNic() = default;
    const char* name() const override { return "wire"; }
    void mac_address(std::uint8_t out[6]) const override { std::memcpy(out, mac_, 6); }
    std::size_t max_frame_size() const override { return kFrameBytes; }
    void attach(hal::EventId) override {}
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override;
    hal::DeviceStatus receive(std::uint8_t*, std::size_t, std::size_t*) override {
        return hal::DeviceStatus::kWouldBlock;
    }
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override { return {}; }
    // Segmentation offload when the seed says so: the wire cuts what the
    // stack hands it whole with the kernel's own TcpSegmenter, so the
    // streams' checks cover the offloaded path too.
    void set_offload(bool offload) { offload_ = offload; }
    std::size_t max_offload_frame() const override { return offload_ ? 14 + 65535 : 0; }
    hal::DeviceStatus transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                            std::size_t segment_bytes) override;

private:
    int side_;
    std::uint8_t mac_[6];
    bool offload_ = false;
};

// The connections' buffers: blocks kept from input to input (malloc would
// map and unmap them per connection), poisoned for ASan but for the
// bytes handed out; more at once than there are blocks come from malloc.
class Buffers final : public toro::net::BufferAllocator {
public:
    static constexpr std::size_t kBlocks = 4, kBlockBytes = 64 * 1024;
    Buffers() { ASAN_POISON_MEMORY_REGION(blocks_, sizeof blocks_); }
    void* allocate(std::size_t bytes) override {
        for (std::size_t i = 0; i < kBlocks && bytes <= kBlockBytes; ++i) {
            if (in_use_[i]) continue;
            in_use_[i] = true;
            ASAN_UNPOISON_MEMORY_REGION(blocks_[i], bytes);
            return blocks_[i];
        }
        return std::malloc(bytes);
    }
    void release(void* memory, std::size_t bytes) override {
        for (std::size_t i = 0; i < kBlocks; ++i) {
            if (memory != blocks_[i]) continue;
            in_use_[i] = false;
            ASAN_POISON_MEMORY_REGION(blocks_[i], bytes);
            return;
        }
        std::free(memory);
    }

private:
    alignas(64) std::uint8_t blocks_[kBlocks][kBlockBytes];
    bool in_use_[kBlocks] = {};
};

// A machine and its application: it sends its stream, shuts down, reads
// the peer's stream to its end, then closes.
struct Side {
    Stack* stack = nullptr;
    std::uint64_t deadline = 0;  // what the stack's last poll returned
    int listener = -1;
    int socket = -1;
    bool established = false;
    const std::uint8_t* out = nullptr;
    std::uint64_t out_length = 0, sent = 0;
    bool shut = false;
    const std::uint8_t* in = nullptr;
    std::uint64_t in_length = 0, received = 0;
    bool eof = false;
    bool closed = false;
    Error error = Error::kOk;
    std::uint64_t error_at = 0;
    bool finished() const { return closed && error == Error::kOk && eof && sent == out_length; }
};

struct World {
    Side sides[2];
    std::uint64_t now = 0;
    std::uint64_t perfect_from = kNoDeadline;  // when the wire became perfect
    // When a connection first gave up on its retries (net_stats'
    // tcp_retry_timeouts: half-open and orphaned ones too, which no
    // application hears of), and the count so far.
    std::uint64_t first_timeout_at = kNoDeadline;
    std::uint64_t timeouts = 0;
    bool forged = false;
    bool cookies = false;
    unsigned long steps = 0;
};
World world;

WireNic nics[2] = {WireNic(0, 0x0A), WireNic(1, 0x0B)};
Buffers buffers;
alignas(64) std::uint8_t pool_memory[2][kPoolBytes];
alignas(Stack) std::uint8_t stack_memory[2][sizeof(Stack)];
std::uint8_t scratch[64 * 1024];

const Ipv4Address kAddresses[2] = {Ipv4Address::from(198, 18, 0, 1), Ipv4Address::from(198, 18, 0, 2)};

hal::DeviceStatus WireNic::transmit(const hal::FramePiece* pieces, std::size_t count) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < count; ++i) length += pieces[i].length;
    PAIR_CHECK(length >= 60 && length <= kFrameBytes, "a frame sent is not an Ethernet frame's size", side_);
    WireFrame* frame = wire.push();
    if (frame == nullptr) return hal::DeviceStatus::kOk;
    frame->to = 1 - side_;
    frame->length = length;
    std::size_t at = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::memcpy(frame->bytes + at, pieces[i].bytes, pieces[i].length);
        at += pieces[i].length;
    }
    return hal::DeviceStatus::kOk;
}

hal::DeviceStatus WireNic::transmit_tcp_segments(const hal::FramePiece* pieces, std::size_t count,
                                                 std::size_t segment_bytes) {
    PAIR_CHECK(offload_, "an offloaded frame sent to a NIC that offers no offload", side_);
    toro::net::TcpSegmenter segmenter;
    PAIR_CHECK(segmenter.start(pieces, count, 14, segment_bytes), "an offloaded frame is not a TCP segment",
               side_);
    PAIR_CHECK(segmenter.cut_count() > 1, "an offloaded frame that needs no cutting", side_);
    hal::FramePiece cut[8];
    for (std::size_t n; (n = segmenter.next(cut, 8)) != 0;) (void)transmit(cut, n);
    return hal::DeviceStatus::kOk;
}

// The application's turn, after every event: errors end it; a byte not
// the peer's at its offset is a failure at once.
void record_error(Side& side, Error error) {
    if (tracing) {
        std::fprintf(stderr, "%10.3f s %s: error %d\n", static_cast<double>(world.now % (1000'000 * kMs)) / 1e9,
                     &side == &world.sides[0] ? "client" : "server", static_cast<int>(error));
    }
    side.error = error;
    side.error_at = world.now;
    (void)side.stack->tcp_close(side.socket, false, world.now);
    side.closed = true;
}

bool side_connected(Side& side, int index) {
    if (side.established) return true;
    if (index == 1) {
        auto accepted = side.stack->tcp_accept(side.listener, nullptr, world.now);
        if (!accepted.ok()) return false;
        side.socket = *accepted;
        (void)side.stack->tcp_close(side.listener, false, world.now);
        side.listener = -1;
    } else {
        Error status = side.stack->tcp_connect_status(side.socket);
        if (status == Error::kWouldBlock) return false;
        if (status != Error::kOk) {
            record_error(side, status);
            return false;
        }
    }
    side.established = true;
    return true;
}

// False once the connection failed.
bool side_sends(Side& side) {
    while (side.sent < side.out_length) {
        std::size_t chunk = side.out_length - side.sent < 65536 ? side.out_length - side.sent : 65536;
        auto sent = side.stack->tcp_send(side.socket, side.out + side.sent, chunk, world.now);
        if (sent.error() == Error::kWouldBlock) return true;
        if (!sent.ok()) {
            record_error(side, sent.error());
            return false;
        }
        side.sent += *sent;
    }
    if (!side.shut) {
        (void)side.stack->tcp_shutdown(side.socket, world.now);
        side.shut = true;
    }
    return true;
}

bool side_receives(Side& side, int index) {
    while (!side.eof) {
        auto received = side.stack->tcp_receive(side.socket, scratch, sizeof scratch, world.now);
        if (received.error() == Error::kWouldBlock) return true;
        if (!received.ok()) {
            record_error(side, received.error());
            return false;
        }
        std::size_t length = *received;
        if (length == 0) {
            side.eof = true;
            PAIR_CHECK(world.forged || side.received == side.in_length,
                       "the stream ended before its last byte (lost bytes)", index);
            break;
        }
        bool in_stream = side.received + length <= side.in_length &&
                         std::memcmp(scratch, side.in + side.received, length) == 0;
        PAIR_CHECK(world.forged || in_stream,
                   "a byte received is not the sender's at that offset (lost, duplicated or reordered)",
                   index);
        side.received += length;
    }
    return true;
}

void application(int index) {
    Side& side = world.sides[index];
    if (side.closed || !side_connected(side, index)) return;
    if (!side_sends(side) || !side_receives(side, index)) return;
    if (side.eof && side.shut) {
        (void)side.stack->tcp_close(side.socket, false, world.now);
        side.closed = true;
    }
}

// Connections give up only when a timer runs, so the count is read only
// after a poll that was due (stats() walks the tables: a tenth of the
// time when read at every poll).
void poll_all() {
    bool due = false;
    for (Side& side : world.sides) {
        due |= side.deadline <= world.now;
        side.deadline = side.stack->poll(world.now);
    }
    if (!due) return;
    std::uint64_t timeouts = 0;
    for (Side& side : world.sides) timeouts += side.stack->stats().tcp_retry_timeouts;
    if (timeouts > world.timeouts && world.first_timeout_at == kNoDeadline) world.first_timeout_at = world.now;
    world.timeouts = timeouts;
}

// After every event: both applications take their turn, then both
// stacks run what fell due and say when they are next needed.
void settle() {
    PAIR_CHECK(++world.steps < kMaxSteps, "the stacks trade frames without end (livelock)", 0);
    application(0);
    application(1);
    poll_all();
}

std::uint64_t next_deadline() {
    std::uint64_t a = world.sides[0].deadline, b = world.sides[1].deadline;
    return a < b ? a : b;
}

// The clock moves to `when` (never back), and the stacks run what is due.
void advance_to(std::uint64_t when) {
    if (when > world.now) world.now = when;
    poll_all();
    settle();
}

void inject(int to, const std::uint8_t* bytes, std::size_t length) {
    Stack& stack = *world.sides[to].stack;
    Packet* packet = stack.pool().acquire();
    if (packet == nullptr) return stack.count_drop();  // the driver drops it
    std::memcpy(packet->data, bytes, length);
    packet->length = static_cast<std::uint16_t>(length);
    stack.input(packet, world.now);
}

// Takes the frame off the wire first: what the stack sends in answer
// joins the queue behind it.
void deliver(std::size_t index) {
    static std::uint8_t bytes[kFrameBytes];
    WireFrame& frame = wire.at(index);
    int to = frame.to;
    std::size_t length = frame.length;
    std::memcpy(bytes, frame.bytes, length);
    wire.remove(index);
    trace_frame("deliver", to, bytes, length, world.now);
    inject(to, bytes, length);
}

bool is_tcp(const WireFrame& frame) {
    if (frame.length < 14 + 20 + 20 || get16(frame.bytes + 12) != 0x0800) return false;
    const std::uint8_t* ip = frame.bytes + 14;
    std::size_t header = (ip[0] & 0x0F) * 4u;
    std::size_t total = get16(ip + 2);
    return ip[9] == 6 && header >= 20 && total >= header + 20 && 14 + total <= frame.length;
}

// A header byte changed and the TCP checksum made right again, so the
// stack cannot tell it from a segment the peer sent.
void forge(WireFrame& frame, std::size_t field, std::uint8_t mask) {
    std::uint8_t* ip = frame.bytes + 14;
    std::size_t header = (ip[0] & 0x0F) * 4u;
    std::size_t tcp_length = get16(ip + 2) - header;
    std::uint8_t* tcp = ip + header;
    tcp[field] ^= mask;
    tcp[16] = tcp[17] = 0;
    toro::net::Checksum checksum;
    toro::net::add_pseudo_header(checksum, {get32(ip + 12)}, {get32(ip + 16)}, toro::net::kProtocolTcp,
                                 tcp_length);
    checksum.add(tcp, tcp_length);
    std::uint16_t sum = checksum.finish();
    tcp[16] = static_cast<std::uint8_t>(sum >> 8);
    tcp[17] = static_cast<std::uint8_t>(sum);
}

// A router's CE mark (RFC 3168 §5): on an ECN-capable datagram only, its
// header checksum made right again. False for a datagram it leaves.
bool mark_congested(WireFrame& frame) {
    std::uint8_t* ip = frame.bytes + 14;
    if (frame.length < 34 || (ip[1] & 3) == 0) return false;
    ip[1] |= 3;
    ip[10] = ip[11] = 0;
    std::uint16_t sum = toro::net::internet_checksum(ip, (ip[0] & 0x0F) * 4u);
    ip[10] = static_cast<std::uint8_t>(sum >> 8);
    ip[11] = static_cast<std::uint8_t>(sum);
    return true;
}

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool has(std::size_t n) const { return size_ - at_ >= n; }
    std::uint8_t byte() { return data_[at_++]; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

void mutate(std::size_t index, Reader& input) {
    WireFrame& frame = wire.at(index);
    if (!input.has(2)) return deliver(index);
    std::uint8_t how = input.byte(), where = input.byte();
    std::uint8_t mask = static_cast<std::uint8_t>((how >> 2) + 1);
    if (get16(frame.bytes + 12) != 0x0800) return wire.remove(index);  // Ethernet's FCS drops it
    switch (how & 3) {
        case 0:
        case 1: {
            if (where == 1) {
                trace_frame(mark_congested(frame) ? "marked " : "unmarked", frame.to, frame.bytes, frame.length,
                            world.now);
                return deliver(index);
            }
            std::size_t at = where < 64 ? 14u + where : where * frame.length / 256;
            if (at < frame.length) frame.bytes[at] ^= mask;
            break;
        }
        case 2: frame.length = where * frame.length / 256; break;
        default:
            if (!is_tcp(frame)) return wire.remove(index);
            forge(frame, where % 20, mask);
            world.forged = true;
    }
    static const char* const kinds[] = {"flipped", "flipped", "cut    ", "forged "};
    trace_frame(kinds[how & 3], frame.to, frame.bytes, frame.length, world.now);
    deliver(index);
}

void decide(Reader& input) {
    std::uint8_t decision = input.byte();
    std::size_t index = (decision >> 3) % wire.count();
    switch (decision & 7) {
        case 3:
            trace_frame("drop   ", wire.at(index).to, wire.at(index).bytes, wire.at(index).length, world.now);
            wire.remove(index);
            break;
        case 4: {
            WireFrame& frame = wire.at(index);
            trace_frame("copy   ", frame.to, frame.bytes, frame.length, world.now);
            inject(frame.to, frame.bytes, frame.length);
            break;
        }
        case 5: wire.move_to_back(index); break;
        case 6: mutate(index, input); break;
        case 7: {
            std::uint8_t ticks = input.has(1) ? input.byte() : 0;
            std::uint64_t when = ticks == 0 ? next_deadline() : world.now + ticks * 4 * kMs;
            if (when != kNoDeadline) advance_to(when);
            return;
        }
        default: deliver(index);
    }
    settle();
}

bool both_quiet() {
    for (Side& side : world.sides) {
        if (side.stack->pool().in_use() != 0 || side.stack->stats().tcp_sockets != 0) return false;
    }
    return true;
}

bool both_done() {
    for (Side& side : world.sides) {
        if (!side.closed) return false;
    }
    return both_quiet();
}

// Everything in flight is delivered in order; when nothing is, the clock
// jumps to the next timer. Until `done` or the clock passes `until`.
void run_perfect_wire(std::uint64_t until, bool (*done)()) {
    world.steps = 0;
    for (;;) {
        while (wire.count() > 0) {
            deliver(0);
            settle();
        }
        if (done()) return;
        std::uint64_t next = next_deadline();
        if (next == kNoDeadline || next > until) return;
        advance_to(next);
    }
}

void run_input(Reader& input) {
    while (input.has(1) && !both_done()) {
        if (wire.count() > 0) {
            decide(input);
            continue;
        }
        std::uint64_t next = next_deadline();
        if (next == kNoDeadline) break;
        advance_to(next);
    }
}

// A connection giving up on its retries while the input held the wire,
// or before a timer armed then could fire on the perfect one, is the
// wire's doing; so is all that follows (the RST it sends, or the one a
// listener sends for a half-open connection given up).
bool any_legitimate_timeout() {
    std::uint64_t limit = world.perfect_from + world.sides[0].stack->tcp_settings().max_rto_ns;
    return world.first_timeout_at != kNoDeadline && world.first_timeout_at <= limit;
}

void check_outcome(Outcome& outcome) {
    bool timed_out = any_legitimate_timeout();
    outcome.forged = world.forged;
    outcome.timed_out = timed_out;
    outcome.cookie_reset = world.cookies && world.sides[1].stack->stats().tcp_resets_sent > 0;
    outcome.completed = world.sides[0].finished() && world.sides[1].finished();
    if (world.forged || timed_out || outcome.cookie_reset) return;
    for (int i = 0; i < 2; ++i) {
        PAIR_CHECK(world.sides[i].error == Error::kOk, "a connection failed, and nothing on the wire explains it", i);
        PAIR_CHECK(world.sides[i].finished(), "the transfer is not done after the perfect wire's time (a hang)", i);
    }
}

// Whatever is still open is closed (aborted, if it never finished), and
// the clock runs until TIME-WAIT and every retry is over: each stack must
// be back where it started.
void tear_down() {
    for (Side& side : world.sides) {
        if (side.listener >= 0) (void)side.stack->tcp_close(side.listener, false, world.now);
        if (side.socket >= 0 && !side.closed) (void)side.stack->tcp_close(side.socket, true, world.now);
        side.listener = -1;
        side.closed = true;
    }
    poll_all();
    run_perfect_wire(world.now + kTeardown, both_quiet);
    for (int i = 0; i < 2; ++i) {
        toro::net::NetStats stats = world.sides[i].stack->stats();
        if (stats.tcp_sockets == 0 && stats.tcp_buffer_bytes == 0 && world.sides[i].stack->pool().in_use() == 0) {
            continue;
        }
        std::fprintf(stderr, "tcp_pair: left behind: %zu sockets, %zu buffer bytes, %zu packets\n",
                     stats.tcp_sockets, stats.tcp_buffer_bytes, world.sides[i].stack->pool().in_use());
        fail("the stack's memory is not back to its baseline", i, world.now);
    }
    for (int i = 0; i < 2; ++i) {
        PAIR_CHECK(world.sides[i].stack->tcp_tables_consistent(), "the socket table's index or counts are off", i);
    }
}

// Fresh stacks on the same memory (default-initialized: `Stack()` would
// zero it all first), the server listening and the client connecting.
void start(std::uint8_t seed, std::uint8_t client_size, std::uint8_t server_size) {
    hal_posix::set_unbooted_random_seed(seed);
    world = World{};
    wire.clear();
    world.now = 1000'000 * kMs;
    toro::net::StackLimits limits;
    limits.tcp_send_buffer_bytes = limits.tcp_receive_buffer_bytes = std::size_t{4096} << (seed & 3);
    for (int i = 0; i < 2; ++i) {
        Side& side = world.sides[i];
        side.stack = new (stack_memory[i]) Stack;
        side.stack->set_buffer_allocator(&buffers);
        nics[i].set_offload((seed >> 2 & 1) != 0);
        toro::net::InterfaceConfig config{kAddresses[i], 24, {}};
        side.stack->initialize(&nics[i], pool_memory[i], kPoolBytes, config, limits, world.now);
    }
    if ((seed & 8) != 0) {
        toro::net::tcp::TcpSettings settings = world.sides[0].stack->tcp_settings();
        settings.ecn = toro::net::tcp::EcnMode::kRequest;
        world.sides[0].stack->set_tcp_settings(settings);
    }
    world.cookies = (seed & 16) != 0;
    if (world.cookies) {
        toro::net::tcp::TcpSettings settings = world.sides[1].stack->tcp_settings();
        settings.syn_cookies = toro::net::tcp::SynCookies::kAlways;
        world.sides[1].stack->set_tcp_settings(settings);
    }
    Side& client = world.sides[0];
    Side& server = world.sides[1];
    client.out = table.bytes + seed * 1021u;
    client.out_length = client_size * 64u;
    server.out = table.bytes + kTableBytes / 2 + seed * 1021u;
    server.out_length = server_size * 16u;
    client.in = server.out, client.in_length = server.out_length;
    server.in = client.out, server.in_length = client.out_length;
    server.listener = *server.stack->tcp_open();
    PAIR_CHECK(server.stack->tcp_bind(server.listener, {{0}, kPort}) == Error::kOk, "bind", 1);
    PAIR_CHECK(server.stack->tcp_listen(server.listener, 4) == Error::kOk, "listen", 1);
    client.socket = *client.stack->tcp_open();
    PAIR_CHECK(client.stack->tcp_connect(client.socket, {kAddresses[1], kPort}, world.now) == Error::kOk,
               "connect", 0);
    poll_all();
}

}  // namespace

Outcome run(const std::uint8_t* data, std::size_t size) {
    Reader header(data, size);
    std::uint8_t seed = header.has(1) ? header.byte() : 0;
    std::uint8_t client_size = header.has(1) ? header.byte() : 0;
    std::uint8_t server_size = header.has(1) ? header.byte() : 0;
    start(seed, client_size, server_size);
    std::uint64_t began = world.now;
    std::size_t skip = size < 3 ? size : 3;
    Reader input(data + skip, size - skip);
    run_input(input);
    world.perfect_from = world.now;
    if (tracing) std::fprintf(stderr, "the wire is perfect from here\n");
    run_perfect_wire(world.now + kPerfectWire, both_done);
    Outcome outcome;
    for (int i = 0; i < 2; ++i) {
        PAIR_CHECK(world.sides[i].stack->tcp_tables_consistent(), "the socket table's index or counts are off", i);
    }
    check_outcome(outcome);
    tear_down();
    outcome.simulated_ns = world.now - began;
    for (Side& side : world.sides) side.stack->~Stack();
    return outcome;
}

}  // namespace tcp_pair
