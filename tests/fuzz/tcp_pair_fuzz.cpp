// libFuzzer target: two TCP stacks talking over a wire the input drives
// (drop, duplicate, reorder, corrupt, delay), then a perfect wire until
// the transfers end and the memory is back. The harness, its input format
// and its invariants are in tcp_pair.cpp; tests/unit/tcp_pair_test.cpp
// runs the same body over the seeds (tests/fuzz/make_tcp_pair_seeds.py).
//
// Reproduce a crash: build-fuzz/tests/fuzz/tcp_pair_fuzz crash-XXXX
#include <cstdint>
#include <cstdlib>

#include "tcp_pair.h"

// The hosted HAL links the kernel's entry, which names an application; no
// machine is booted here, so it never runs.
extern const char toro_app_name[];
const char toro_app_name[] = "tcp_pair_fuzz";
int toro_main(int, char**) { std::abort(); }

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)tcp_pair::run(data, size);
    return 0;
}
