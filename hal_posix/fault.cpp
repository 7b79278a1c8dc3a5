// Fatal faults in kernel code: which thread and CPU, the signal, the
// address, a backtrace; then the process exits with 128 + the signal.
// Handlers run on a per-CPU alternate stack, so a stack overflow into a
// guard page can still be reported.
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "machine_state.h"
#include "symbols/symbol_table.h"

namespace hal_posix {

namespace {

constexpr std::size_t kSignalStackBytes = 64 * 1024;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

void write_all(const char* text, std::size_t length) {
    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written <= 0) return;
        text += written;
        length -= static_cast<std::size_t>(written);
    }
}

bool in_guard_page(const hal::Context* context, std::uintptr_t address) {
    if (context == nullptr || !context->has_guard_page) return false;
    auto base = reinterpret_cast<std::uintptr_t>(context->stack_base);
    return address >= base && address < base + hal::kPageSize;
}

// One line per frame: the address and function+offset from the image's
// own symbol table (which names internal-linkage functions too), else the
// library and its exported symbol, as dladdr knows them.
void print_frames(void* const* frames, int depth) {
    for (int i = 0; i < depth; ++i) {
        auto address = reinterpret_cast<std::uintptr_t>(frames[i]);
        char line[512];
        int length;
        hal::symbols::Symbol symbol;
        Dl_info info;
        if (hal::symbols::find(address, &symbol)) {
            length = std::snprintf(line, sizeof line, "  0x%lx %s+0x%lx\n",
                                   static_cast<unsigned long>(address), symbol.name,
                                   static_cast<unsigned long>(symbol.offset));
        } else if (dladdr(frames[i], &info) != 0 && info.dli_fname != nullptr) {
            bool named = info.dli_sname != nullptr && info.dli_saddr != nullptr;
            auto start = reinterpret_cast<std::uintptr_t>(named ? info.dli_saddr : info.dli_fbase);
            length = std::snprintf(line, sizeof line, "  0x%lx %s+0x%lx (%s)\n",
                                   static_cast<unsigned long>(address),
                                   named ? info.dli_sname : "", static_cast<unsigned long>(address - start),
                                   info.dli_fname);
        } else {
            length = std::snprintf(line, sizeof line, "  0x%lx ?\n", static_cast<unsigned long>(address));
        }
        if (length > 0) write_all(line, static_cast<std::size_t>(length) < sizeof line ? length : sizeof line - 1);
    }
}

// addr2line gives the source lines from the executable's offsets.
void print_addr2line_hint(void* const* frames, int depth) {
    char executable[256];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0) return;
    executable[length] = '\0';
    char line[2048];
    int used = std::snprintf(line, sizeof line, "toro: source lines: addr2line -Cfipe %s", executable);
    for (int i = 0; i < depth && used < static_cast<int>(sizeof line) - 24; ++i) {
        Dl_info info;
        if (dladdr(frames[i], &info) == 0 || info.dli_fname == nullptr) continue;
        if (std::strstr(info.dli_fname, "libc.so") != nullptr) continue;
        auto offset = reinterpret_cast<std::uintptr_t>(frames[i]) -
                      reinterpret_cast<std::uintptr_t>(info.dli_fbase);
        used += std::snprintf(line + used, sizeof line - used, " 0x%lx",
                              static_cast<unsigned long>(offset));
    }
    used += std::snprintf(line + used, sizeof line - used, "\n");
    write_all(line, std::strlen(line));
}

void report_fault(int signal_number, siginfo_t* info, void*) {
    auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    const hal::Context* context = nullptr;
    if (machine != nullptr && this_cpu_id != kNoCpu) context = this_cpu_state().current;
    char line[512];
    int length = std::snprintf(
        line, sizeof line, "toro: fatal %s (signal %d) at address 0x%lx in thread '%s' on cpu %d%s\n",
        sigabbrev_np(signal_number) ? sigabbrev_np(signal_number) : "signal", signal_number,
        static_cast<unsigned long>(address), context && context->name ? context->name : "(host)",
        this_cpu_id == kNoCpu ? -1 : static_cast<int>(this_cpu_id),
        in_guard_page(context, address) ? ": stack overflow into the guard page" : "");
    write_all(line, static_cast<std::size_t>(length) < sizeof line ? length : sizeof line - 1);
    write_all("toro: backtrace:\n", 17);
    void* frames[64];
    int depth = backtrace(frames, 64);
    print_frames(frames, depth);
    print_addr2line_hint(frames, depth);
    _exit(128 + signal_number);
}

}  // namespace

void install_fault_handlers() {
    void* warm_up[1];
    backtrace(warm_up, 1);  // loads the unwinder now, not inside a handler
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = report_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int signal_number : kFatalSignals) sigaction(signal_number, &action, nullptr);
}

void enter_fault_reporting(CpuState& cpu) {
    cpu.signal_stack = mmap(nullptr, kSignalStackBytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cpu.signal_stack == MAP_FAILED) {
        cpu.signal_stack = nullptr;
        return;
    }
    stack_t stack{};
    stack.ss_sp = cpu.signal_stack;
    stack.ss_size = kSignalStackBytes;
    // Keep the thread's previous stack (ASan installs its own) to put back:
    // ASan frees its stack at thread exit only if it is still installed.
    sigaltstack(&stack, &cpu.previous_signal_stack);
}

void leave_fault_reporting(CpuState& cpu) {
    if (cpu.signal_stack == nullptr) return;
    stack_t previous = cpu.previous_signal_stack;
    if (previous.ss_sp == nullptr) previous.ss_flags = SS_DISABLE;
    sigaltstack(&previous, nullptr);
    munmap(cpu.signal_stack, kSignalStackBytes);
    cpu.signal_stack = nullptr;
}

}  // namespace hal_posix
