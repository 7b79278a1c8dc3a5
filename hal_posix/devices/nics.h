// The hosted machine's NICs: TAP devices and the caller's own devices.
#pragma once

#include <string>

#include "hal_posix/machine.h"

namespace hal_posix {

// Opens every NIC of `config` (and starts the I/O thread if one needs it).
// On failure, `error` says which and why, and nothing stays open.
bool attach_nics(const MachineConfig& config, std::string* error);
// Stops the I/O thread and closes them (after the CPUs stopped).
void detach_nics();

}  // namespace hal_posix
