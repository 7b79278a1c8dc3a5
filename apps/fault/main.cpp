// fault: faults on purpose, to show the fault report. `fault null` (the
// default) dereferences a null pointer in a kernel thread on the last CPU;
// `fault overflow` recurses until the thread's stack hits its guard page
// (both HALs: the default 64 KiB stack holds a few dozen of its frames);
// `fault stack` points the stack pointer at unmapped memory and pushes, so
// that the CPU's own exception frame cannot be written there (bare: the
// page fault is taken on its own stack, IST2); `fault noncanonical` pushes
// onto a non-canonical stack pointer (bare: the stack fault cannot be
// delivered on that stack either, so the CPU double-faults, on IST1).
#include <toro/toro.h>

namespace {

int dereference_null(void*) {
    volatile int* nowhere = nullptr;
    toro::print("fault: reading address 0 on cpu %u\n", toro::current_cpu());
    return *nowhere;  // NOLINT(clang-analyzer-core.NullDereference): the point of it
}

// Each frame holds a buffer the compiler cannot drop.
int recurse(int depth) {
    volatile char frame[512];
    frame[0] = static_cast<char>(depth);
    if (depth > (1 << 30)) return frame[0];  // never: the guard page comes first
    return recurse(depth + 1) + frame[0];
}

int overflow_stack(void*) {
    toro::print("fault: overflowing the stack on cpu %u\n", toro::current_cpu());
    return recurse(0);
}

int break_stack_pointer(void*) {
    toro::print("fault: pushing onto an unmapped stack on cpu %u\n", toro::current_cpu());
    asm volatile("movq $0x800, %%rsp\n\tpushq %%rax" ::: "memory");
    return 0;
}

int make_stack_pointer_noncanonical(void*) {
    toro::print("fault: pushing onto a non-canonical stack on cpu %u\n", toro::current_cpu());
    asm volatile("movabsq $0x8000000000000000, %%rsp\n\tpushq %%rax" ::: "memory");
    return 0;
}

bool equals(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

}  // namespace

int toro_main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "null";
    toro::ThreadOptions options;
    options.cpu = toro::cpu_count() - 1;
    options.name = "faulter";
    toro::ThreadEntry entry = dereference_null;
    if (equals(mode, "overflow")) {
        entry = overflow_stack;
        options.name = "overflower";
    } else if (equals(mode, "stack")) {
        entry = break_stack_pointer;
    } else if (equals(mode, "noncanonical")) {
        entry = make_stack_pointer_noncanonical;
    } else if (!equals(mode, "null")) {
        toro::print("fault: unknown mode '%s' (null, overflow, stack, noncanonical)\n", mode);
        return 2;
    }
    toro::Thread* thread = toro::spawn(entry, nullptr, options);
    if (thread == nullptr) return 1;
    toro::join(thread);
    toro::print("fault: the fault did not stop the machine\n");
    return 1;
}
