// Runs a parsed script against the TCP stack: one net::Stack on a memory
// NIC, handed a virtual clock (no machine is booted and nothing sleeps, so
// a result does not depend on the host's load). The script's system calls
// go to the stack's socket calls, its `<` packets are injected, and every
// segment the stack sends must be the next `>` line: flags, sequence and
// acknowledgment numbers relative to the ISNs, window, options, payload
// length, and time within --tolerance_usecs.
#pragma once

#include <string>

#include "host_commands.h"
#include "script.h"

namespace tcp_scripts {

struct RunOptions {
    HostSettings defaults = freebsd_defaults();
    // Compare NOP and EOL too; by default options are compared in order
    // with the padding between them left out (it carries no meaning).
    bool strict_padding = false;
};

struct RunResult {
    bool passed = false;
    // The first mismatch: "line N: expected `...`: sent `...`" (or "none").
    std::string failure;
    // Settings the script asked for that the stack does not have (see
    // host_commands.h), in the order met; they explain a failure after them.
    std::vector<std::string> unsupported;
};

RunResult run_script(const Script& script, const RunOptions& options = {});

}  // namespace tcp_scripts
