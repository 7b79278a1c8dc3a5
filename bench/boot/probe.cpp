// The boot-time probe: the real entry code (hal_bare, the same link layout
// as every application) with a kernel_main that exits at once, so the time
// from launching QEMU to its exit is the time to reach kernel_main.
#include "hal/boot.h"
#include "hal/power.h"

void kernel_main(const hal::BootInfo&) { hal::power_off(0); }
