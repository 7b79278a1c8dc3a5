// The self-test's checks: Process and Memory behaviour, the clocks and the
// HAL's random numbers, as seen from inside the kernel, the same source on
// both HALs.
// Each returns nullptr on success or a short description of what went
// wrong.
#pragma once

namespace selftest {

using Check = const char* (*)();

struct NamedCheck {
    const char* name;
    Check run;
};

extern const NamedCheck kChecks[];
extern const unsigned kCheckCount;

}  // namespace selftest
