// The body of tcp_pair_fuzz: two network stacks joined by a wire the input
// drives (see tcp_pair.cpp for the input format and the invariants). The
// fuzz target calls it per input; tests/unit/tcp_pair_test.cpp runs it
// over the seeds in the default build, so a regression shows in ctest
// without libFuzzer. A broken invariant prints why and aborts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcp_pair {

struct Outcome {
    // Both byte streams arrived whole and both connections closed normally.
    bool completed = false;
    // Why an incomplete run was not a failure: a forged segment (a header
    // changed, its checksum made right again) reached a stack, or a
    // connection gave up on its retries while the input held the wire.
    bool forged = false;
    bool timed_out = false;
    // With SYN cookies (SEED & 16), the server's listener answered a
    // segment with a RST: the cookie's ACK was lost and a later segment
    // came first, which a cookie cannot place (RFC 4987 §3.6's price).
    bool cookie_reset = false;
    std::uint64_t simulated_ns = 0;  // from the first frame to the last memory returned
};

Outcome run(const std::uint8_t* data, std::size_t size);

}  // namespace tcp_pair
