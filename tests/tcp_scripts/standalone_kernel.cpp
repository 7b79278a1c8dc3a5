// The kernel's units are linked for their network stack alone: no machine
// is booted, so the application they would start is never called.
#include <cstdlib>

extern const char toro_app_name[];
const char toro_app_name[] = "tcp_scripts";
int toro_main(int, char**) {
    std::abort();
}
