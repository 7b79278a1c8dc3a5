// The bare machine's NICs. The e1000 driver (issue 8, item 5) is not
// written yet, so a booted machine has none: the Networking unit's start()
// answers kNoDevice, and an application says there is no network.
#include "hal/devices.h"

namespace hal {

std::size_t net_device_count() { return 0; }
NetDevice* net_device(std::size_t) { return nullptr; }

}  // namespace hal
