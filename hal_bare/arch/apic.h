// The local APIC: the timer that ends an idle halt at a deadline, and the
// inter-processor interrupt that ends another CPU's halt.
#pragma once

#include <cstdint>

namespace bare {

inline constexpr std::uint8_t kTimerVector = 0x20;
inline constexpr std::uint8_t kWakeVector = 0x21;
inline constexpr std::uint8_t kSpuriousVector = 0xFF;

// Enables this CPU's local APIC with the timer in one-shot mode, masked
// until armed. Each CPU, once, before it idles.
void apic_enable();
// The timer fires at (about, never much before) `deadline_ns`.
void apic_arm_timer(std::uint64_t now_ns, std::uint64_t deadline_ns);
void apic_send_wake(std::uint32_t apic_id);
// INIT, then two STARTUPs at `page` (the AP starts at page*4096 in real mode).
void apic_start_processor(std::uint32_t apic_id, std::uint8_t page);
std::uint32_t apic_id();

}  // namespace bare
