// libFuzzer target: a sequence of frames and time advances fed to one
// network stack through a memory NIC, on a virtual clock. No machine is
// booted: the stack is an object (kernel/net/stack.h) made afresh for each
// input in this process's memory, so an input runs in microseconds.
//
// The input is a flags byte (bit 7: start without an address, so the DHCP
// client runs and takes replies), then records, each a kind byte and its
// body:
//   0 LENGTH(2, big-endian) BYTES   a frame arrives (at most 1514 bytes)
//   1 MILLISECONDS(2)               the clock moves on, and the stack polls
//   2 PORT(2) LENGTH(2)             the application sends a datagram of
//                                   LENGTH % 4501 bytes to 198.18.0.1:PORT
//                                   (the first kMaxSends of an input)
//   3                               the application takes one datagram from
//                                   every socket
// Sockets are bound on UDP ports 7 and 9 before the first record. After the
// input, the sockets are closed and the clock runs from deadline to deadline
// until the pool is empty, for at most an hour: if a packet is still held
// then (leaked, or behind a timer that never ends), the target aborts.
// Every frame the stack sent must fit an Ethernet frame. ASan and UBSan
// catch reads and writes out of bounds.
//
// Reproduce a crash: build-fuzz/tests/fuzz/net_input_fuzz crash-XXXX
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "hal/devices.h"
#include "hal_posix/machine.h"
#include "net/stack.h"

// The hosted HAL links the kernel's entry, which names an application; no
// machine is booted here, so it never runs.
extern const char toro_app_name[];
const char toro_app_name[] = "net_input_fuzz";
int toro_main(int, char**) { std::abort(); }

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using toro::net::Packet;
using toro::net::Stack;

constexpr std::uint8_t kToroMac[6] = {0x02, 0, 0, 0, 0, 0x01};
constexpr std::size_t kPoolBytes = 512 * 1024;  // 256 packets: pressure is part of the test
constexpr std::uint64_t kHour = 3600 * toro::net::kSecond;
// Each send costs a checksum of up to 4.5 KB and four frames: without a
// bound, 5-byte send records would make a 4 KiB input a thousand sends.
constexpr unsigned kMaxSends = 8;
constexpr unsigned kMaxPolls = 64;

#define FUZZ_CHECK(condition)                                                                \
    do {                                                                                     \
        if (!(condition)) {                                                                  \
            std::fprintf(stderr, "net_input_fuzz: %s:%d: check failed: %s\n", __FILE__,      \
                         __LINE__, #condition);                                              \
            std::abort();                                                                    \
        }                                                                                    \
    } while (0)

alignas(64) std::uint8_t pool_memory[kPoolBytes];
alignas(Stack) std::uint8_t stack_memory[sizeof(Stack)];
std::uint8_t payload[toro::net::kMaxUdpPayload];

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool has(std::size_t bytes) const { return size_ - at_ >= bytes; }
    std::uint8_t byte() { return data_[at_++]; }
    std::uint16_t word() {
        std::uint16_t value = static_cast<std::uint16_t>(data_[at_] << 8 | data_[at_ + 1]);
        at_ += 2;
        return value;
    }
    const std::uint8_t* take(std::size_t bytes) {
        const std::uint8_t* start = data_ + at_;
        at_ += bytes;
        return start;
    }
    std::size_t left() const { return size_ - at_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// The far end: checks each frame the stack sends, then forgets it (a
// MemoryNic would allocate per frame, a third of the time per input).
class CheckingNic final : public hal::NetDevice {
public:
    virtual ~CheckingNic() = default;
    const char* name() const override { return "fuzz0"; }
    void mac_address(std::uint8_t out[6]) const override { std::memcpy(out, kToroMac, 6); }
    std::size_t max_frame_size() const override { return 1514; }
    void attach(hal::EventId) override {}
    hal::DeviceStatus transmit(const hal::FramePiece* pieces, std::size_t count) override {
        std::size_t length = 0;
        for (std::size_t i = 0; i < count; ++i) {
            FUZZ_CHECK(pieces[i].bytes != nullptr || pieces[i].length == 0);
            length += pieces[i].length;
            if (pieces[i].length > 0) last_byte_ ^= pieces[i].bytes[pieces[i].length - 1];  // readable
        }
        FUZZ_CHECK(length >= 60 && length <= 1514);
        return hal::DeviceStatus::kOk;
    }
    hal::DeviceStatus receive(std::uint8_t*, std::size_t, std::size_t*) override {
        return hal::DeviceStatus::kWouldBlock;
    }
    bool link_up() const override { return true; }
    hal::NetCounters counters() const override { return {}; }

private:
    std::uint8_t last_byte_ = 0;
};

void deliver(Stack& stack, const std::uint8_t* bytes, std::size_t length, std::uint64_t now) {
    Packet* packet = stack.pool().acquire();
    if (packet == nullptr) return;  // the NIC drops it, as the driver does
    std::memcpy(packet->data, bytes, length);
    packet->length = static_cast<std::uint16_t>(length);
    stack.input(packet, now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static CheckingNic nic;
    // The same input draws the same ports, IP ids and DHCP transaction:
    // reproducible, and a comparison the fuzzer can learn.
    hal_posix::set_unbooted_random_seed(1);
    // Default-initialized: value-initialization (`Stack()`) would first zero
    // all of it, then run the members' initializers anyway.
    Stack* stack = new (stack_memory) Stack;
    std::uint64_t now = 1000 * toro::net::kSecond;
    toro::net::InterfaceConfig config{toro::net::Ipv4Address::from(198, 18, 0, 2), 24,
                                      toro::net::Ipv4Address::from(198, 18, 0, 254)};
    bool dhcp = size > 0 && (data[0] & 0x80) != 0;
    if (dhcp) config = {};
    stack->initialize(&nic, pool_memory, kPoolBytes, config, toro::net::StackLimits{}, now);
    int sockets[2] = {*stack->udp_open(), *stack->udp_open()};
    FUZZ_CHECK(stack->udp_bind(sockets[0], {{0}, 7}) == toro::Error::kOk);
    FUZZ_CHECK(stack->udp_bind(sockets[1], {{0}, 9}) == toro::Error::kOk);
    Reader input(data, size);
    if (input.has(1)) input.byte();  // the flags
    unsigned sends = 0;
    unsigned polls = 0;
    while (input.has(1)) {
        std::uint8_t kind = input.byte() % 4;
        if (kind == 0 && input.has(2)) {
            std::size_t length = input.word() % 1515;
            if (length > input.left()) length = input.left();
            deliver(*stack, input.take(length), length, now);
        } else if (kind == 1 && input.has(2)) {
            now += input.word() * 1'000'000ull;
            if (++polls <= kMaxPolls) stack->poll(now);
        } else if (kind == 2 && input.has(4) && ++sends <= kMaxSends) {
            toro::net::Endpoint peer{toro::net::Ipv4Address::from(198, 18, 0, 1), input.word()};
            // Up to 4500 bytes: fragmented in 4, and quick to checksum.
            std::size_t length = input.word() % 4501;
            (void)stack->udp_send(sockets[0], payload, length, &peer, now);
        } else if (kind == 3) {
            for (int socket : sockets) (void)stack->udp_receive(socket, payload, sizeof payload, nullptr);
        }
    }
    for (int socket : sockets) FUZZ_CHECK(stack->udp_close(socket) == toro::Error::kOk);
    // Run the clock forward deadline by deadline, as the driver's timer
    // does, until every packet is back (at most an hour of virtual time):
    // frames waiting for ARP and fragments waiting for the rest must be
    // dropped by their timers. The clock stops as soon as the pool is
    // empty; running on would only repeat DHCP's retries.
    std::uint64_t end = now + kHour;
    for (std::uint64_t next = stack->poll(now);
         stack->pool().in_use() != 0 && next != toro::net::kNoDeadline && next <= end;) {
        next = stack->poll(next);
    }
    if (stack->pool().in_use() != 0) {
        toro::net::NetStats stats = stack->stats();
        std::fprintf(stderr, "net_input_fuzz: %zu packets leaked (arp entries %zu, reassembly %zu)\n",
                     stack->pool().in_use(), stats.arp_entries, stats.reassembly_in_progress);
    }
    FUZZ_CHECK(stack->pool().in_use() == 0);
    stack->~Stack();
    return 0;
}
