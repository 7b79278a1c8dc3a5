// hello: the first application. Greets, then starts one thread on every CPU
// and joins them all.
#include <toro/toro.h>

namespace {

int greet(void*) {
    toro::print("cpu %u: hello\n", toro::current_cpu());
    return 0;
}

}  // namespace

int toro_main(int, char**) {
    toro::print("Hello World from Toro\n");
    unsigned cpus = toro::cpu_count();
    toro::Thread* threads[64] = {};
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        toro::ThreadOptions options;
        options.cpu = cpu;
        options.name = "greeter";
        threads[cpu] = toro::spawn(greet, nullptr, options);
        if (threads[cpu] == nullptr) {
            toro::print("hello: cannot start a thread on cpu %u\n", cpu);
            return 1;
        }
    }
    int failures = 0;
    for (unsigned cpu = 0; cpu < cpus; ++cpu) failures += toro::join(threads[cpu]) != 0;
    return failures == 0 ? 0 : 1;
}
