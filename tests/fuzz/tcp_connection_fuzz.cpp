// libFuzzer target: one TCP connection from ESTABLISHED, fed segments,
// time and the application's calls, on a virtual clock with no machine
// booted (a fresh net::Stack per input, as net_input_fuzz makes).
//
// The harness is the peer: it has completed a handshake with a listener
// on port 80, and the input's records say what it does next. Segments are
// built by the harness around the input's choices (flags, sequence and
// acknowledgment numbers relative to what the connection expects,
// window, raw option bytes, payload length), with correct checksums, so
// the fuzzer explores TCP rather than the checksum. Records, each a kind
// byte and its body:
//   0 FLAGS SEQ(2) ACK(2) WINDOW(2) OPTLEN OPTIONS... LENGTH(2)
//       a segment from the peer: SEQ and ACK are signed offsets from the
//       next byte Toro expects and from the highest byte Toro sent;
//       LENGTH % 1461 payload bytes, taken from the peer's stream at SEQ
//   1 MILLISECONDS(2)     the clock moves on, and the stack polls
//   2 LENGTH(2)           the application sends LENGTH % 20000 bytes
//   3 LENGTH(2)           the application receives up to LENGTH bytes
//   4                     the application shuts its side down (FIN)
// The input's last byte also picks TcpSettings' optional rules, a bit
// each (drop_syn_fin, time_wait_ignores_rst, window_is_buffer_space,
// window_rounded_up, fin_on_every_segment, reset_reported_after_fin,
// old_segments_acknowledge, time_wait_drops_without_ack), so that the
// paths only tests/tcp_scripts' freebsd profile takes are fuzzed too.
// Invariants, each an abort: every byte the application receives is the
// peer's stream byte at that offset, in order, each once; every byte Toro
// sends (first copy or retransmission) is the application's stream byte
// at that sequence number; every frame fits Ethernet; after the input the
// socket is closed and the clock runs on until all TCP memory and every
// packet is back; before that, the socket table's demux index and
// listener counts agree with the table (Stack::tcp_tables_consistent).
//
// Reproduce a crash: build-fuzz/tests/fuzz/tcp_connection_fuzz crash-XXXX
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sanitizer/asan_interface.h>

#include "hal/devices.h"
#include "hal_posix/machine.h"
#include "net/checksum.h"
#include "net/stack.h"

extern const char toro_app_name[];
const char toro_app_name[] = "tcp_connection_fuzz";
int toro_main(int, char**) { std::abort(); }

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using toro::net::Packet;
using toro::net::Stack;

#define FUZZ_CHECK(condition)                                                                \
    do {                                                                                     \
        if (!(condition)) {                                                                  \
            std::fprintf(stderr, "tcp_connection_fuzz: %s:%d: check failed: %s\n", __FILE__, \
                         __LINE__, #condition);                                              \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

constexpr std::uint8_t kToroMac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr std::uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x02};
constexpr std::uint32_t kToroIp = 0xC6120002;  // 198.18.0.2
constexpr std::uint32_t kPeerIp = 0xC6120001;  // 198.18.0.1
constexpr std::uint16_t kPort = 80, kPeerPort = 40000;
constexpr std::uint32_t kPeerIsn = 0xFFFFF000;  // the peer's numbers wrap early on
constexpr std::size_t kPoolBytes = 1024 * 1024;
constexpr std::uint64_t kMs = 1'000'000;
constexpr unsigned kMaxRecords = 256;

alignas(64) std::uint8_t pool_memory[kPoolBytes];
alignas(Stack) std::uint8_t stack_memory[sizeof(Stack)];
std::uint8_t scratch[65536];

// The two byte streams: a byte is a function of its offset, repeating
// every 256 bytes, so a run of them is a slice of a table.
std::uint8_t peer_byte(std::uint64_t offset) { return static_cast<std::uint8_t>(offset * 7 + 3); }
std::uint8_t app_byte(std::uint64_t offset) { return static_cast<std::uint8_t>(offset * 13 + 5); }
constexpr std::size_t kLongestRun = 65536;
struct StreamTables {
    std::uint8_t peer[256 + kLongestRun];
    std::uint8_t app[256 + kLongestRun];
    StreamTables() {
        for (std::size_t i = 0; i < sizeof peer; ++i) peer[i] = peer_byte(i), app[i] = app_byte(i);
    }
};
const StreamTables tables;
// `length` (at most kLongestRun) bytes of a stream from `offset` on.
const std::uint8_t* peer_run(std::uint64_t offset) { return tables.peer + offset % 256; }
const std::uint8_t* app_run(std::uint64_t offset) { return tables.app + offset % 256; }

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void put16(std::uint8_t* p, std::uint32_t v) { p[0] = static_cast<std::uint8_t>(v >> 8), p[1] = static_cast<std::uint8_t>(v); }
void put32(std::uint8_t* p, std::uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }

// The kernel's checksum (tested against tshark and the unit tests' own):
// a byte loop here was a tenth of each input's time.
std::uint16_t header_checksum(std::uint32_t pseudo, const std::uint8_t* p, std::size_t n) {
    toro::net::Checksum checksum;
    checksum.add32(pseudo);
    checksum.add(p, n);
    return checksum.finish();
}

// What the peer knows of Toro: from the segments Toro sent.
struct Peer {
    bool synchronized = false;
    std::uint32_t toro_isn = 0;
    std::uint32_t toro_max = 0;  // the highest sequence number Toro sent, plus one
    std::uint64_t app_sent = 0;     // bytes send() took
    std::uint64_t app_offered = 0;  // and what the call in progress offers (sent as it runs)
};
Peer peer;

// The far end of the NIC: reads each frame Toro sends and checks it.
class PeerNic final : public hal::NetDevice {
public:
    virtual ~PeerNic() = default;
    const char* name() const override { return "fuzz0"; }
    void mac_address(std::uint8_t out[6]) const override { std::memcpy(out, kToroMac, 6); }
    std::size_t max_frame_size() const override { return 1514; }
    void attach(hal::EventId) override {}
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override {
        std::size_t length = 0;
        for (std::size_t i = 0; i < count; ++i) {
            FUZZ_CHECK(length + pieces[i].length <= sizeof frame_);
            std::memcpy(frame_ + length, pieces[i].bytes, pieces[i].length);
            length += pieces[i].length;
        }
        FUZZ_CHECK(length >= 60 && length <= 1514);
        if (get16(frame_ + 12) == 0x0800 && frame_[14 + 9] == 6) check_segment(length);
        return hal::DeviceStatus::kOk;
    }
    hal::DeviceStatus receive(std::uint8_t*, std::size_t, std::size_t*) override {
        return hal::DeviceStatus::kWouldBlock;
    }
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override { return {}; }

private:
    void check_segment(std::size_t length) {
        const std::uint8_t* ip = frame_ + 14;
        std::size_t ip_length = get16(ip + 2);
        FUZZ_CHECK(ip_length + 14 <= length && ip_length >= 40);
        const std::uint8_t* tcp = ip + 20;
        std::size_t header = static_cast<std::size_t>(tcp[12] >> 4) * 4;
        FUZZ_CHECK(header >= 20 && header <= ip_length - 20);
        std::size_t payload = ip_length - 20 - header;
        std::uint32_t sequence = get32(tcp + 4);
        std::uint8_t flags = tcp[13];
        if (flags & 0x02) {  // SYN: Toro's ISN
            peer.toro_isn = sequence;
            peer.toro_max = sequence + 1;
            return;
        }
        if (!peer.synchronized) return;
        // Every data byte is the application's, at its place in the stream.
        if (payload > 0) {
            std::uint64_t offset = static_cast<std::uint32_t>(sequence - (peer.toro_isn + 1));
            FUZZ_CHECK(offset + payload <= peer.app_offered);
            FUZZ_CHECK(std::memcmp(tcp + header, app_run(offset), payload) == 0);
        }
        std::uint32_t end = sequence + static_cast<std::uint32_t>(payload) + ((flags & 0x01) != 0);
        if (static_cast<std::int32_t>(end - peer.toro_max) > 0) peer.toro_max = end;
    }
    std::uint8_t frame_[1600];
};

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool has(std::size_t n) const { return size_ - at_ >= n; }
    std::uint8_t byte() { return data_[at_++]; }
    std::uint16_t word() {
        std::uint16_t v = get16(data_ + at_);
        at_ += 2;
        return v;
    }
    const std::uint8_t* take(std::size_t n) {
        const std::uint8_t* p = data_ + at_;
        at_ += n;
        return p;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// The connection's buffers: one block, kept from input to input (malloc
// would map and unmap 128 KiB each time, a tenth of the run in page
// faults). A second allocation while it is out falls back to malloc. The
// block is poisoned while it is not handed out, so ASan still sees a use
// after release.
class Buffers final : public toro::net::BufferAllocator {
public:
    void* allocate(std::size_t bytes) override {
        if (in_use_ || bytes > sizeof block_) return std::malloc(bytes);
        in_use_ = true;
        ASAN_UNPOISON_MEMORY_REGION(block_, sizeof block_);
        return block_;
    }
    void release(void* memory, std::size_t) override {
        if (memory == block_) {
            in_use_ = false;
            ASAN_POISON_MEMORY_REGION(block_, sizeof block_);
        } else {
            std::free(memory);
        }
    }

private:
    alignas(64) std::uint8_t block_[256 * 1024];
    bool in_use_ = false;
};

void inject(Stack& stack, const std::uint8_t* frame, std::size_t length, std::uint64_t now) {
    Packet* packet = stack.pool().acquire();
    if (packet == nullptr) return;
    std::memcpy(packet->data, frame, length);
    packet->length = static_cast<std::uint16_t>(length);
    stack.input(packet, now);
}

// A segment from the peer, checksums and all. `payload_offset` is where
// its bytes start in the peer's stream.
void peer_segment(Stack& stack, std::uint32_t sequence, std::uint32_t ack, std::uint8_t flags,
                  std::uint16_t window, const std::uint8_t* options, std::size_t options_length,
                  std::uint64_t payload_offset, std::size_t payload, std::uint64_t now) {
    static std::uint8_t frame[1600];
    std::size_t padded = (options_length + 3) / 4 * 4;
    std::size_t tcp_length = 20 + padded + payload;
    std::memset(frame, 0, 14 + 20 + 20 + padded);
    std::memcpy(frame, kToroMac, 6);
    std::memcpy(frame + 6, kPeerMac, 6);
    put16(frame + 12, 0x0800);
    std::uint8_t* ip = frame + 14;
    ip[0] = 0x45;
    put16(ip + 2, static_cast<std::uint32_t>(20 + tcp_length));
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, kPeerIp);
    put32(ip + 16, kToroIp);
    put16(ip + 10, header_checksum(0, ip, 20));
    std::uint8_t* tcp = ip + 20;
    put16(tcp, kPeerPort);
    put16(tcp + 2, kPort);
    put32(tcp + 4, sequence);
    put32(tcp + 8, ack);
    tcp[12] = static_cast<std::uint8_t>((20 + padded) / 4 << 4);
    tcp[13] = flags;
    put16(tcp + 14, window);
    if (options_length > 0) std::memcpy(tcp + 20, options, options_length);
    std::memcpy(tcp + 20 + padded, peer_run(payload_offset), payload);
    toro::net::Checksum checksum;
    toro::net::add_pseudo_header(checksum, {kPeerIp}, {kToroIp}, toro::net::kProtocolTcp, tcp_length);
    checksum.add(tcp, tcp_length);
    put16(tcp + 16, checksum.finish());
    inject(stack, frame, 14 + 20 + tcp_length, now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static PeerNic nic;
    static Buffers buffers;
    hal_posix::set_unbooted_random_seed(1);
    peer = Peer{};
    Stack* stack = new (stack_memory) Stack;
    std::uint64_t now = 1000'000 * kMs;
    stack->set_buffer_allocator(&buffers);
    toro::net::InterfaceConfig config{toro::net::Ipv4Address{kToroIp}, 24, {}};
    stack->initialize(&nic, pool_memory, kPoolBytes, config, toro::net::StackLimits{}, now);
    // The end of every input retransmits to a silent peer until TCP gives
    // up: 12 retries backing off to 60 s made it a fifth of the run. Four,
    // with a ceiling of 8 s, still reach both the give-up and the ceiling.
    toro::net::tcp::TcpSettings settings = stack->tcp_settings();
    settings.data_retries = 4;
    settings.max_rto_ns = 8000 * kMs;
    std::uint8_t rules = size > 0 ? data[size - 1] : 0;
    settings.drop_syn_fin = (rules & 1) != 0;
    settings.time_wait_ignores_rst = (rules & 2) != 0;
    settings.window_is_buffer_space = (rules & 4) != 0;
    settings.window_rounded_up = (rules & 8) != 0;
    settings.fin_on_every_segment = (rules & 16) != 0;
    settings.reset_reported_after_fin = (rules & 32) != 0;
    settings.old_segments_acknowledge = (rules & 64) != 0;
    settings.time_wait_drops_without_ack = (rules & 128) != 0;
    stack->set_tcp_settings(settings);
    // The peer resolves Toro, then connects: MSS 1460, window scale 2.
    static const std::uint8_t arp_request[42] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1,
        0x02, 0, 0, 0, 0, 0x02, 0xC6, 0x12, 0, 1, 0, 0, 0, 0, 0, 0, 0xC6, 0x12, 0, 2};
    std::uint8_t arp_frame[60] = {};
    std::memcpy(arp_frame, arp_request, sizeof arp_request);
    inject(*stack, arp_frame, sizeof arp_frame, now);
    int listener = *stack->tcp_open();
    FUZZ_CHECK(stack->tcp_bind(listener, {{0}, kPort}) == toro::Error::kOk);
    FUZZ_CHECK(stack->tcp_listen(listener, 4) == toro::Error::kOk);
    // MSS, SACK-permitted, timestamps (TSval 1), window scale, as Linux
    // offers them: the input's segments then meet PAWS, TS.Recent and the
    // SACK scoreboard when their options carry TSopt or SACK blocks.
    static const std::uint8_t syn_options[] = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1,
                                               0, 0, 0, 0, 1, 3, 3, 2};
    peer_segment(*stack, kPeerIsn, 0, 0x02, 65535, syn_options, sizeof syn_options, 0, 0, now);
    peer_segment(*stack, kPeerIsn + 1, peer.toro_isn + 1, 0x10, 16384, nullptr, 0, 0, 0, now);
    peer.synchronized = true;
    auto accepted = stack->tcp_accept(listener, nullptr, now);
    FUZZ_CHECK(accepted.ok());
    int socket = *accepted;

    std::uint64_t delivered = 0;  // peer bytes the application has received
    Reader input(data, size);
    for (unsigned records = 0; records < kMaxRecords && input.has(1); ++records) {
        std::uint8_t kind = input.byte() % 5;
        if (kind == 0 && input.has(10)) {
            std::uint8_t flags = input.byte();
            std::int16_t sequence_offset = static_cast<std::int16_t>(input.word());
            std::int16_t ack_offset = static_cast<std::int16_t>(input.word());
            std::uint16_t window = input.word();
            std::size_t options_length = input.byte() % 41;
            if (!input.has(options_length + 2)) break;
            const std::uint8_t* options = input.take(options_length);
            std::size_t payload = input.word() % 1461;
            // Offsets count from what the application has read: bytes
            // buffered but unread lie just after, within reach of SEQ.
            std::int64_t at = static_cast<std::int64_t>(delivered) + sequence_offset;
            std::uint64_t stream_offset = at < 0 ? 0 : static_cast<std::uint64_t>(at);
            std::uint32_t sequence = kPeerIsn + 1 + static_cast<std::uint32_t>(stream_offset);
            std::uint32_t ack = peer.toro_max + static_cast<std::uint32_t>(static_cast<std::int32_t>(ack_offset));
            peer_segment(*stack, sequence, ack, flags, window, options, options_length, stream_offset,
                         payload, now);
        } else if (kind == 1 && input.has(2)) {
            now += input.word() * kMs;
            stack->poll(now);
        } else if (kind == 2 && input.has(2)) {
            std::size_t length = input.word() % 20000;
            peer.app_offered = peer.app_sent + length;
            auto sent = stack->tcp_send(socket, app_run(peer.app_sent), length, now);
            if (sent.ok()) peer.app_sent += *sent;
            peer.app_offered = peer.app_sent;
        } else if (kind == 3 && input.has(2)) {
            std::size_t capacity = input.word();
            auto received = stack->tcp_receive(socket, scratch, capacity, now);
            if (received.ok()) {
                FUZZ_CHECK(std::memcmp(scratch, peer_run(delivered), *received) == 0);
                delivered += *received;
            }
        } else if (kind == 4) {
            (void)stack->tcp_shutdown(socket, now);
        }
    }
    FUZZ_CHECK(stack->tcp_tables_consistent());
    FUZZ_CHECK(stack->tcp_close(socket, false, now) == toro::Error::kOk);
    FUZZ_CHECK(stack->tcp_close(listener, false, now) == toro::Error::kOk);
    // The peer goes silent: Toro retries, gives up or waits out TIME-WAIT,
    // and then holds nothing.
    std::uint64_t end = now + 4 * 3600 * 1000 * kMs;
    for (std::uint64_t next = stack->poll(now);
         (stack->stats().tcp_sockets != 0 || stack->pool().in_use() != 0) && next <= end;) {
        next = stack->poll(next);
    }
    toro::net::NetStats stats = stack->stats();
    if (stats.tcp_sockets != 0 || stats.tcp_buffer_bytes != 0 || stack->pool().in_use() != 0) {
        std::fprintf(stderr,
                     "tcp_connection_fuzz: left behind: %zu sockets, %zu buffer bytes, %zu packets"
                     " (arp entries %zu, reassembly %zu)\n",
                     stats.tcp_sockets, stats.tcp_buffer_bytes, stack->pool().in_use(), stats.arp_entries,
                     stats.reassembly_in_progress);
        std::abort();
    }
    stack->~Stack();
    return 0;
}
