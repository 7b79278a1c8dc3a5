// The words the HAL handed the kernel's units (hal::BootInfo's
// kernel_options): "name=value" separated by blanks, e.g.
// "ip=10.0.0.2/24 gw=10.0.0.1". Each unit picks out its own words.
#pragma once

namespace toro {

// Never null; "" when the machine was given none. Any thread, after boot.
const char* kernel_options();

}  // namespace toro
