// The hosted machine's disks: files (pread/pwrite) and memory buffers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/devices.h"
#include "hal_posix/machine.h"

namespace hal_posix {

// Opens every disk of `config`. On failure, `error` says which and why, and
// nothing stays open.
bool attach_disks(const MachineConfig& config, std::string* error);
// Closes them (after the CPUs stopped).
void detach_disks();

}  // namespace hal_posix
