// Stopping the machine.
#pragma once

namespace hal {

// Stops the whole machine with exit status `code` (0 success, 1-127 failure).
// Bare: writes `code` to the isa-debug-exit port when present (QEMU then
// exits 2*code+1), else halts every CPU. Hosted: every CPU stops at its next
// context switch or idle, and the process (or the embedding test) gets
// `code`. Console output written before the call is not lost. Any kernel
// thread, any CPU.
[[noreturn]] void power_off(int code);

}  // namespace hal
