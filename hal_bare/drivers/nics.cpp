// The bare machine's NICs: the Intel 82540EM controllers (QEMU's
// `-device e1000`) on the PCI bus, in PCI order, probed the first time the
// kernel asks (drivers/e1000.cpp). A machine without one (microvm has no
// PCI at all) has none: the Networking unit's start() answers kNoDevice.
#include "drivers/e1000.h"
#include "hal/devices.h"

namespace hal {

std::size_t net_device_count() { return bare::e1000::controller_count(); }
NetDevice* net_device(std::size_t index) { return bare::e1000::controller(index); }

}  // namespace hal
