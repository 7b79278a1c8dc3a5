// Local APIC registers (Intel SDM vol. 3 §10.4-10.6), memory-mapped at the
// architectural default base, which the identity map covers.
#include "arch/apic.h"

#include "hal/clock.h"

namespace bare {

namespace {

constexpr std::uintptr_t kApicBase = 0xFEE00000;
constexpr std::uint32_t kId = 0x20, kSpuriousInterrupt = 0xF0, kInterruptCommandLow = 0x300,
                        kInterruptCommandHigh = 0x310, kTimerVectorTable = 0x320,
                        kTimerInitialCount = 0x380, kTimerCurrentCount = 0x390,
                        kTimerDivide = 0x3E0;
constexpr std::uint32_t kEnable = 1u << 8;
constexpr std::uint32_t kMasked = 1u << 16;
constexpr std::uint32_t kDivideBy16 = 0x3;
constexpr std::uint32_t kDeliveryPending = 1u << 12;

volatile std::uint32_t& reg(std::uint32_t offset) {
    return *reinterpret_cast<volatile std::uint32_t*>(kApicBase + offset);
}

void send_command(std::uint32_t target, std::uint32_t command) {
    reg(kInterruptCommandHigh) = target << 24;
    reg(kInterruptCommandLow) = command;
    while (reg(kInterruptCommandLow) & kDeliveryPending) {
    }
}

void wait_microseconds(std::uint64_t microseconds) {
    std::uint64_t start = hal::clock_now_ns();
    while (hal::clock_now_ns() - start < microseconds * 1000) {
    }
}

// Timer ticks per microsecond at divide-by-16, measured once against the
// (TSC) clock the first time a timer is armed.
std::uint64_t ticks_per_microsecond = 0;

void calibrate_timer() {
    reg(kTimerVectorTable) = kMasked | kTimerVector;
    reg(kTimerInitialCount) = 0xFFFFFFFF;
    wait_microseconds(1000);
    std::uint32_t elapsed = 0xFFFFFFFF - reg(kTimerCurrentCount);
    reg(kTimerInitialCount) = 0;
    ticks_per_microsecond = elapsed / 1000;
    if (ticks_per_microsecond == 0) ticks_per_microsecond = 1;
}

}  // namespace

void apic_enable() {
    reg(kSpuriousInterrupt) = kEnable | kSpuriousVector;
    reg(kTimerDivide) = kDivideBy16;
    reg(kTimerVectorTable) = kMasked | kTimerVector;
}

void apic_arm_timer(std::uint64_t now_ns, std::uint64_t deadline_ns) {
    if (ticks_per_microsecond == 0) calibrate_timer();
    std::uint64_t microseconds = deadline_ns > now_ns ? (deadline_ns - now_ns + 999) / 1000 : 0;
    std::uint64_t ticks = microseconds * ticks_per_microsecond;
    if (ticks == 0) ticks = 1;
    if (ticks > 0xFFFFFFFF) ticks = 0xFFFFFFFF;  // wakes early; idle re-arms
    reg(kTimerVectorTable) = kTimerVector;       // one-shot, unmasked
    reg(kTimerInitialCount) = static_cast<std::uint32_t>(ticks);
}

// Fixed delivery, physical destination.
void apic_send_wake(std::uint32_t target) { send_command(target, kWakeVector); }

// SDM vol. 3 §8.4.4.1: INIT, 10 ms, STARTUP, 200 us, STARTUP.
void apic_start_processor(std::uint32_t target, std::uint8_t page) {
    constexpr std::uint32_t kInit = 0x4500, kStartup = 0x4600;
    send_command(target, kInit);
    wait_microseconds(10000);
    send_command(target, kStartup | page);
    wait_microseconds(200);
    send_command(target, kStartup | page);
}

std::uint32_t apic_id() { return reg(kId) >> 24; }

}  // namespace bare
