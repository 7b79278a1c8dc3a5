// The Memory unit's interface to the rest of the kernel (not to apps).
#pragma once

#include "hal/boot.h"

namespace toro::memory {

// Takes the boot memory map; forgets any earlier state. Boot CPU, before
// any allocation and before the other CPUs start.
void initialize(const hal::BootInfo& boot_info);

}  // namespace toro::memory
