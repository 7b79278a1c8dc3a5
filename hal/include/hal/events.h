// Event delivery: how interrupts (bare) and host I/O readiness (hosted)
// reach the kernel.
//
// An event is bound to one CPU and a handler. Raising it marks it pending
// and wakes that CPU; the handler then runs on that CPU at its next safe
// point: inside cpu_idle_until() or events_dispatch(). So a handler never
// runs in the middle of a kernel thread, and the kernel needs no
// interrupt-safe locking. Raises that happen before the handler runs are
// coalesced into one call. On bare metal the device interrupts that raise
// events are taken at those same points only (idle, and a short window in
// events_dispatch), so a CPU that always has a thread to run still serves
// its disk and NIC, as long as its threads reach scheduling points.
#pragma once

#include <cstdint>

namespace hal {

using EventHandler = void (*)(void* argument);
using EventId = std::uint32_t;
inline constexpr EventId kNoEvent = ~EventId{0};

// Binds a new event to `cpu_id`. Returns kNoEvent when the CPU already has
// its maximum (64) of events. Thread context.
EventId event_bind(unsigned cpu_id, EventHandler handler, void* argument);

// Marks the event pending and wakes its CPU. Any context, any CPU, HAL host
// threads and interrupt handlers included; lock-free. An id that names no
// bound event (kNoEvent, a CPU past the last, a slot never bound) is
// ignored, so a device whose event was never attached may raise it.
void event_raise(EventId event);

// Runs the handlers of the events pending on the calling CPU. The scheduler
// calls it at each scheduling point so a busy CPU still serves events.
// Bare metal first opens an interrupt window (sti; nop; cli), so the
// interrupts waiting for this CPU are taken, on the caller's stack, and
// the events they raise are served in the same call: call it from thread
// context with no spinlock held. Costs one atomic load (and, bare, the
// window: a few cycles) when nothing is pending. Handlers must not block;
// they may wake threads and raise events.
void events_dispatch();

}  // namespace hal
