// selftest: runs every check, prints one line each and "N passed, M failed";
// the exit status is 0 only when all passed.
#include <toro/toro.h>

#include "checks.h"

int toro_main(int, char**) {
    toro::print("selftest: %u cpus\n", toro::cpu_count());
    unsigned passed = 0, failed = 0;
    for (unsigned i = 0; i < selftest::kCheckCount; ++i) {
        const char* problem = selftest::kChecks[i].run();
        if (problem == nullptr) {
            ++passed;
            toro::print("ok   %s\n", selftest::kChecks[i].name);
        } else {
            ++failed;
            toro::print("FAIL %s: %s\n", selftest::kChecks[i].name, problem);
        }
    }
    toro::print("%u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
