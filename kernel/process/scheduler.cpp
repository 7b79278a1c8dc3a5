#include "process/scheduler.h"

#include <new>

#include "hal/clock.h"
#include "hal/cpu.h"
#include "hal/events.h"
#include "toro/memory.h"
#include "toro/print.h"

namespace toro::process {

namespace {

CpuScheduler cpus[hal::kMaxCpus];
unsigned initialized_cpus = 0;

void push_run_queue(CpuScheduler& cpu, Thread* thread) {
    thread->state = ThreadState::kReady;
    thread->run_queue_next = nullptr;
    if (cpu.run_queue_tail != nullptr) {
        cpu.run_queue_tail->run_queue_next = thread;
    } else {
        cpu.run_queue_head = thread;
    }
    cpu.run_queue_tail = thread;
}

Thread* pop_run_queue(CpuScheduler& cpu) {
    Thread* thread = cpu.run_queue_head;
    if (thread != nullptr) {
        cpu.run_queue_head = thread->run_queue_next;
        if (cpu.run_queue_head == nullptr) cpu.run_queue_tail = nullptr;
    }
    return thread;
}

// Moves threads other CPUs made ready onto the run queue, oldest first.
void drain_inbox(CpuScheduler& cpu) {
    if (cpu.inbox.load(std::memory_order_relaxed) == nullptr) return;
    Thread* newest_first = cpu.inbox.exchange(nullptr, std::memory_order_acquire);
    Thread* oldest_first = nullptr;
    while (newest_first != nullptr) {
        Thread* next = newest_first->inbox_next.load(std::memory_order_relaxed);
        newest_first->inbox_next.store(oldest_first, std::memory_order_relaxed);
        oldest_first = newest_first;
        newest_first = next;
    }
    while (oldest_first != nullptr) {
        Thread* next = oldest_first->inbox_next.load(std::memory_order_relaxed);
        push_run_queue(cpu, oldest_first);
        oldest_first = next;
    }
}

// Every scheduling point serves, in order: device events, threads woken
// from other CPUs, expired timers; then takes the oldest ready thread.
Thread* pick_next(CpuScheduler& cpu) {
    hal::events_dispatch();
    drain_inbox(cpu);
    if (!cpu.timers.empty()) cpu.timers.fire_expired(hal::clock_now_ns());
    return pop_run_queue(cpu);
}

void enlist(CpuScheduler& cpu, Thread* thread) {
    thread->cpu_list_prev = nullptr;
    thread->cpu_list_next = cpu.threads;
    if (cpu.threads != nullptr) cpu.threads->cpu_list_prev = thread;
    cpu.threads = thread;
}

void delist(CpuScheduler& cpu, Thread* thread) {
    if (thread->cpu_list_prev != nullptr) {
        thread->cpu_list_prev->cpu_list_next = thread->cpu_list_next;
    } else if (cpu.threads == thread) {
        cpu.threads = thread->cpu_list_next;
    }
    if (thread->cpu_list_next != nullptr) thread->cpu_list_next->cpu_list_prev = thread->cpu_list_prev;
    thread->cpu_list_prev = thread->cpu_list_next = nullptr;
}

// Runs on the new thread right after every switch: the thread that exited
// on this CPU is off its stack now, so the stack can go.
void reap_dead(CpuScheduler& cpu) {
    Thread* dead = cpu.dead;
    if (dead == nullptr) return;
    cpu.dead = nullptr;
    delist(cpu, dead);
    hal::context_destroy(&dead->context);
    free_pages(dead->stack, dead->stack_order);
    dead->stack = nullptr;
    if (dead->detached) {
        destroy(dead);
    } else {
        dead->exited.signal();  // the joiner frees the record
    }
}

void switch_to(CpuScheduler& cpu, Thread* next) {
    Thread* previous = cpu.current;
    cpu.current = next;
    next->state = ThreadState::kRunning;
    hal::context_switch(&previous->context, &next->context);
    reap_dead(this_cpu());
}

// Only the idle fields: other CPUs may already have dropped threads into
// this CPU's inbox before it started.
void adopt_boot_context(CpuScheduler& cpu, unsigned cpu_id) {
    cpu.idle.cpu = cpu_id;
    cpu.idle.name = "idle";
    cpu.idle.is_idle = true;
    cpu.idle.state = ThreadState::kRunning;
    hal::context_adopt_current(&cpu.idle.context, cpu.idle.name);
    cpu.current = &cpu.idle;
}

}  // namespace

CpuScheduler& this_cpu() { return cpus[hal::cpu_current()]; }
CpuScheduler* all_cpus() { return cpus; }
unsigned started_cpu_count() { return initialized_cpus; }

void initialize(unsigned cpu_count) {
    initialized_cpus = cpu_count < hal::kMaxCpus ? cpu_count : hal::kMaxCpus;
    for (unsigned i = 0; i < cpu_count && i < hal::kMaxCpus; ++i) new (&cpus[i]) CpuScheduler();
    adopt_boot_context(cpus[0], 0);
    publish_debug_layout();
}

void enter_secondary_cpu() {
    unsigned cpu_id = hal::cpu_current();
    adopt_boot_context(cpus[cpu_id], cpu_id);
}

void run_idle_loop() {
    CpuScheduler& cpu = this_cpu();
    for (;;) {
        if (Thread* next = pick_next(cpu)) {
            switch_to(cpu, next);
            continue;
        }
        hal::cpu_idle_until(cpu.timers.next_deadline());
    }
}

void make_ready(Thread* thread) {
    unsigned here = hal::cpu_current();
    if (thread->cpu == here) {
        push_run_queue(cpus[here], thread);
        return;
    }
    std::atomic<Thread*>& inbox = cpus[thread->cpu].inbox;
    Thread* head = inbox.load(std::memory_order_relaxed);
    do {
        thread->inbox_next.store(head, std::memory_order_relaxed);
    } while (!inbox.compare_exchange_weak(head, thread, std::memory_order_release,
                                          std::memory_order_relaxed));
    hal::cpu_wake(thread->cpu);
}

void switch_away() {
    CpuScheduler& cpu = this_cpu();
    Thread* previous = cpu.current;
    if (previous->is_idle) panic("the idle thread of cpu %u tried to block", previous->cpu);
    Thread* next = pick_next(cpu);
    if (next == previous) {  // it was ready again before it left
        previous->state = ThreadState::kRunning;
        return;
    }
    switch_to(cpu, next != nullptr ? next : &cpu.idle);
}

void yield_current() {
    CpuScheduler& cpu = this_cpu();
    push_run_queue(cpu, cpu.current);
    switch_away();
}

void finish_switch() {
    CpuScheduler& cpu = this_cpu();
    enlist(cpu, cpu.current);
    reap_dead(cpu);
}

void block_current() {
    this_cpu().current->state = ThreadState::kBlocked;
    switch_away();
}

}  // namespace toro::process
