// Execution contexts on the host: stacks switched by toro_switch_stacks,
// made known to AddressSanitizer and Valgrind, with a guard page below.
#include <sys/mman.h>

#include <cstdint>

#include "hal/cpu.h"
#include "machine_state.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(start, end) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TORO_ASAN 1
#endif
#endif

#ifdef TORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" void toro_switch_stacks(void** save_stack_pointer, void* load_stack_pointer);
extern "C" void toro_context_trampoline();

namespace {

// Tells AddressSanitizer which stack the CPU is about to run on.
void before_switch(hal::Context* from, const hal::Context* to) {
#ifdef TORO_ASAN
    __sanitizer_start_switch_fiber(from ? &from->sanitizer_state : nullptr, to->stack_base,
                                   to->stack_size);
#else
    (void)from;
    (void)to;
#endif
}

void after_switch(hal::Context* resumed) {
#ifdef TORO_ASAN
    __sanitizer_finish_switch_fiber(resumed ? resumed->sanitizer_state : nullptr, nullptr, nullptr);
#else
    (void)resumed;
#endif
}

}  // namespace

// The first C++ code of every new context (called by the trampoline).
extern "C" [[noreturn]] void toro_context_entry(hal::Context* context, void (*entry)(void*),
                                                void* argument) {
    after_switch(nullptr);
    hal_posix::this_cpu_state().current = context;
    entry(argument);
    __builtin_trap();  // entries never return (hal/cpu.h)
}

namespace hal {

void context_create(Context* context, void* stack_base, std::size_t stack_size,
                    void (*entry)(void*), void* argument, const char* name) {
    *context = Context{};
    context->stack_base = stack_base;
    context->stack_size = stack_size;
    context->name = name;
    context->has_guard_page = mprotect(stack_base, kPageSize, PROT_NONE) == 0;
    auto base = reinterpret_cast<std::uintptr_t>(stack_base);
    context->stack_registration =
        VALGRIND_STACK_REGISTER(base + kPageSize, base + stack_size);

    // The frame toro_switch_stacks pops: r15 r14 r13 r12 rbx rbp, then the
    // return address; the trampoline starts with rsp 16-byte aligned.
    auto top = (base + stack_size) & ~std::uintptr_t{15};
    auto* frame = reinterpret_cast<std::uintptr_t*>(top - 72);
    frame[0] = 0;                                                // r15
    frame[1] = 0;                                                // r14
    frame[2] = reinterpret_cast<std::uintptr_t>(argument);       // r13
    frame[3] = reinterpret_cast<std::uintptr_t>(entry);          // r12
    frame[4] = reinterpret_cast<std::uintptr_t>(context);        // rbx
    frame[5] = 0;                                                // rbp
    frame[6] = reinterpret_cast<std::uintptr_t>(&toro_context_trampoline);
    frame[7] = 0;  // a null return address above the first frame
    frame[8] = 0;
    context->stack_pointer = frame;
}

// The kernel adopts the boot context the CPU thread started it on: the
// same stack, under the kernel's own record.
void context_adopt_current(Context* context, const char* name) {
    hal_posix::CpuState& cpu = hal_posix::this_cpu_state();
    *context = Context{};
    context->name = name;
    context->stack_base = cpu.current->stack_base;
    context->stack_size = cpu.current->stack_size;
    cpu.current = context;
}

void context_switch(Context* from, Context* to) {
    hal_posix::CpuState& cpu = hal_posix::this_cpu_state();
    if (hal_posix::machine->stopping.load(std::memory_order_relaxed)) hal_posix::stop_this_cpu();
    cpu.current = to;
    before_switch(from, to);
    toro_switch_stacks(&from->stack_pointer, to->stack_pointer);
    after_switch(from);
    cpu.current = from;
}

void context_destroy(Context* context) {
    if (context->has_guard_page) {
        mprotect(context->stack_base, kPageSize, PROT_READ | PROT_WRITE);
    }
    hal_posix::forget_sanitizer_state(context->stack_base, context->stack_size);
    if (context->stack_registration != 0) VALGRIND_STACK_DEREGISTER(context->stack_registration);
    *context = Context{};
}

const Context* context_current() {
    if (hal_posix::machine == nullptr || hal_posix::this_cpu_id == hal_posix::kNoCpu) return nullptr;
    return hal_posix::this_cpu_state().current;
}

}  // namespace hal

namespace hal_posix {

// A context that ended never returned from its last frames, whose red
// zones AddressSanitizer still marks; the memory will be reused.
void forget_sanitizer_state(void* memory, std::size_t length) {
#ifdef TORO_ASAN
    __asan_unpoison_memory_region(memory, length);
#else
    (void)memory;
    (void)length;
#endif
}

// Used by the CPU thread to enter its boot context, and to come back.
void switch_raw(hal::Context* from, hal::Context* to) {
    before_switch(from, to);
    toro_switch_stacks(&from->stack_pointer, to->stack_pointer);
    after_switch(from);
}

void stop_this_cpu() {
    CpuState& cpu = this_cpu_state();
    hal::Context abandoned;
    cpu.current = &cpu.host;
    before_switch(nullptr, &cpu.host);  // this stack is never resumed
    toro_switch_stacks(&abandoned.stack_pointer, cpu.host.stack_pointer);
    __builtin_unreachable();
}

}  // namespace hal_posix
