// Events on the host: a pending bit per event in its CPU's mask. Raised by
// device threads (Boost.Asio, later) or other CPUs; dispatched by the CPU.
#include "hal/events.h"

#include "hal/cpu.h"
#include "machine_state.h"

namespace hal {

EventId event_bind(unsigned cpu_id, EventHandler handler, void* argument) {
    if (cpu_id >= cpu_count() || handler == nullptr) return kNoEvent;
    hal_posix::CpuState& cpu = hal_posix::machine->cpus[cpu_id];
    unsigned slot = cpu.event_count.fetch_add(1);
    if (slot >= hal_posix::kEventsPerCpu) {
        cpu.event_count.fetch_sub(1);
        return kNoEvent;
    }
    cpu.events[slot] = {handler, argument};
    cpu.bound_events.fetch_or(std::uint64_t{1} << slot, std::memory_order_release);
    return cpu_id * hal_posix::kEventsPerCpu + slot;
}

// An id that names no bound event is ignored (events.h): the acquire load
// of the bound bit also makes the handler's slot visible to the dispatcher.
void event_raise(EventId event) {
    unsigned cpu_id = event / hal_posix::kEventsPerCpu;
    if (cpu_id >= cpu_count()) return;
    std::uint64_t bit = std::uint64_t{1} << (event % hal_posix::kEventsPerCpu);
    hal_posix::CpuState& cpu = hal_posix::machine->cpus[cpu_id];
    if ((cpu.bound_events.load(std::memory_order_acquire) & bit) == 0) return;
    cpu.pending_events.fetch_or(bit, std::memory_order_release);
    cpu_wake(cpu_id);
}

void events_dispatch() { hal_posix::dispatch_events_of(hal_posix::this_cpu_state()); }

}  // namespace hal
