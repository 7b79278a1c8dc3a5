// The driver: one per machine, on the CPU that started the stack. It binds
// the NIC's event there, and at each raise drains the NIC into the stack
// (64 frames a turn, so threads on its CPU still run under a flood: it
// raises its own event to come back), then runs the stack's timers and
// arms a kernel timer for the next deadline.
#include "net/network_unit.h"

#include "net/faulty_nic.h"

#include "hal/boot.h"
#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"
#include "toro/boot_epoch.h"
#include "toro/kernel_options.h"
#include "toro/memory.h"
#include "toro/print.h"
#include "toro/spinlock.h"

// Tells the hosted HAL's process entry that this application uses the
// network (so it gets --nic user when given no NIC); see hal_posix/main.cpp.
extern "C" const bool toro_network_unit;
extern "C" const bool toro_network_unit = true;

namespace toro::net {

namespace {

// The packet pool: 2 KiB a packet, an eighth of RAM at most, between
// 256 KiB (128 packets) and 8 MiB (4096): a webserver booted with -m 4M
// still gets a pool, and one with gigabytes no more than it can use.
constexpr unsigned kMinPoolOrder = 6, kMaxPoolOrder = 11;
// TCP's buffers, all connections together: a quarter of RAM at most.
constexpr std::size_t kTcpMemoryShare = 4;
constexpr unsigned kFramesPerTurn = 64;

// TCP's buffers come from the kernel's allocator; the stack bounds the total.
class KernelBuffers final : public BufferAllocator {
public:
    void* allocate(std::size_t bytes) override { return toro::allocate(bytes); }
    void release(void* memory, std::size_t) override { toro::free(memory); }
};

struct NetworkUnit {
    Stack stack;
    KernelBuffers buffers;
    hal::NetDevice* device = nullptr;
    hal::EventId event = hal::kNoEvent;
    Timer timer{on_timer, this};
    std::uint8_t scratch[kPacketCapacity];  // where frames go when the pool is empty

    static void on_timer(void* argument);
    static void on_device_event(void* argument);
    static void wake(void* argument) { hal::event_raise(static_cast<NetworkUnit*>(argument)->event); }
    void rearm(std::uint64_t deadline);
};

SpinLock unit_lock;
NetworkUnit* unit = nullptr;
std::uint64_t unit_epoch = 0;  // the boot `unit` belongs to

void NetworkUnit::rearm(std::uint64_t deadline) {
    if (deadline == kNoDeadline) {
        timer.cancel();
    } else {
        timer.arm_at(deadline);
    }
}

void NetworkUnit::on_timer(void* argument) {
    auto* self = static_cast<NetworkUnit*>(argument);
    std::uint64_t deadline;
    {
        SpinLockGuard guard(self->stack.lock());
        deadline = self->stack.poll(hal::clock_now_ns());
    }
    self->rearm(deadline);
}

void NetworkUnit::on_device_event(void* argument) {
    auto* self = static_cast<NetworkUnit*>(argument);
    bool drained = false;
    std::uint64_t deadline;
    {
        SpinLockGuard guard(self->stack.lock());
        std::uint64_t now = hal::clock_now_ns();
        for (unsigned i = 0; i < kFramesPerTurn && !drained; ++i) {
            Packet* packet = self->stack.pool().acquire();
            std::uint8_t* buffer = packet != nullptr ? packet->data : self->scratch;
            std::size_t length = 0;
            hal::DeviceStatus status = self->device->receive(buffer, kPacketCapacity, &length);
            if (status == hal::DeviceStatus::kOk && packet != nullptr) {
                packet->length = static_cast<std::uint16_t>(length);
                self->stack.input(packet, now);
                continue;
            }
            self->stack.pool().release(packet);
            // A frame with no packet to hold it, too long, or lost by the
            // device is a drop. A failing device ends the turn without a
            // raise of our own: it raises when it works again (after its
            // reset), and looping on its errors would spin this CPU.
            if (status != hal::DeviceStatus::kWouldBlock) self->stack.count_drop();
            drained = status == hal::DeviceStatus::kWouldBlock || status == hal::DeviceStatus::kIoError;
        }
        deadline = self->stack.poll(now);
    }
    if (!drained) hal::event_raise(self->event);
    self->rearm(deadline);
}

// The value of the kernel option "KEY=VALUE" (kKey with its '='), and its
// length; null when the machine was given none.
template <std::size_t kKeyLength>
const char* option_value(const char (&key)[kKeyLength], std::size_t* length) {
    constexpr std::size_t kKeyChars = kKeyLength - 1;
    for (const char* word = kernel_options(); *word != '\0';) {
        while (*word == ' ') ++word;
        std::size_t word_length = 0;
        while (word[word_length] != '\0' && word[word_length] != ' ') ++word_length;
        bool match = word_length >= kKeyChars;
        for (std::size_t i = 0; match && i < kKeyChars; ++i) match = word[i] == key[i];
        if (match) {
            *length = word_length - kKeyChars;
            return word + kKeyChars;
        }
        word += word_length;
    }
    return nullptr;
}

// "toro.net.faults=SPEC" among the kernel options puts a FaultyNic in
// front of the device.
hal::NetDevice* with_faults(hal::NetDevice* device) {
    std::size_t length = 0;
    const char* spec = option_value("toro.net.faults=", &length);
    if (spec == nullptr) return device;
    LinkFaults faults;
    const char* bad = nullptr;
    if (!parse_link_faults(spec, length, &faults, &bad)) {
        print("net: ignoring toro.net.faults: bad setting at '%s'\n", bad);
        return device;
    }
    FaultyNic* faulty = faults.any() ? make<FaultyNic>(*device, faults) : nullptr;
    return faulty != nullptr ? faulty : device;
}

// "toro.tcp.syn_retries=N" (1 to 12) sets how often an unanswered SYN or
// SYN-ACK is sent again before the connection is given up (default 6,
// about two minutes at 1 s doubling). For tests whose spoofed SYNs leave
// half-open connections nobody answers, which hold their buffers that long.
void apply_tcp_options(Stack& stack) {
    std::size_t length = 0;
    const char* value = option_value("toro.tcp.syn_retries=", &length);
    if (value == nullptr) return;
    unsigned retries = 0;
    bool valid = length > 0 && length <= 2;
    for (std::size_t i = 0; valid && i < length; ++i) {
        valid = value[i] >= '0' && value[i] <= '9';
        retries = retries * 10 + static_cast<unsigned>(value[i] - '0');
    }
    if (!valid || retries < 1 || retries > 12) {
        print("net: ignoring toro.tcp.syn_retries: not 1 to 12\n");
        return;
    }
    tcp::TcpSettings settings = stack.tcp_settings();
    settings.syn_retries = retries;
    stack.set_tcp_settings(settings);
}

Result<NetworkUnit*> start_unit() {
    hal::NetDevice* device = hal::net_device(0);
    if (device == nullptr) return Error::kNoDevice;
    device = with_faults(device);
    InterfaceConfig config;
    const char* bad_word = nullptr;
    if (!parse_interface_options(kernel_options(), &config, &bad_word)) {
        print("net: ignoring the bad option '%s'\n", bad_word);
    }
    std::size_t ram = memory_stats().total_bytes;
    unsigned pool_order = kMaxPoolOrder;
    while (pool_order > kMinPoolOrder && (hal::kPageSize << pool_order) > ram / 8) --pool_order;
    void* pool = allocate_pages(pool_order);
    NetworkUnit* created = pool != nullptr ? make<NetworkUnit>() : nullptr;
    if (created == nullptr) {
        if (pool != nullptr) free_pages(pool, pool_order);
        return Error::kNoMemory;
    }
    created->device = device;
    created->event = hal::event_bind(hal::cpu_current(), NetworkUnit::on_device_event, created);
    if (created->event == hal::kNoEvent) {
        destroy(created);
        free_pages(pool, pool_order);
        return Error::kNoMemory;
    }
    // The NIC contract: attach before the first transmit (initialize sends
    // a gratuitous ARP). The event's handler runs only at a scheduling
    // point of this CPU, after the stack below is ready.
    device->attach(created->event);
    {
        SpinLockGuard guard(created->stack.lock());
        StackLimits limits;
        if (limits.tcp_memory_bytes > ram / kTcpMemoryShare) limits.tcp_memory_bytes = ram / kTcpMemoryShare;
        created->stack.initialize(device, pool, hal::kPageSize << pool_order, config, limits,
                                  hal::clock_now_ns());
        apply_tcp_options(created->stack);
        created->stack.set_wake_driver(NetworkUnit::wake, created);
        created->stack.set_buffer_allocator(&created->buffers);
    }
    hal::event_raise(created->event);  // frames that came before, and the first timer
    return created;
}

}  // namespace

Result<Stack*> machine_stack() {
    SpinLockGuard guard(unit_lock);
    if (unit == nullptr || unit_epoch != boot_epoch()) {
        // A unit of an earlier boot (tests boot many machines) lived in
        // that machine's memory, which is gone: start afresh.
        unit = nullptr;
        Result<NetworkUnit*> started = start_unit();
        if (!started.ok()) return started.error();
        unit = *started;
        unit_epoch = boot_epoch();
    }
    return &unit->stack;
}

}  // namespace toro::net
