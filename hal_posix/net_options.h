// The hosted machine's network flags (net_options.cpp).
#pragma once

#include <string>

#include "hal_posix/machine.h"

namespace hal_posix {

bool is_network_flag(const std::string& flag);
// One flag and its value; false with a one-line `error` when it is bad.
bool parse_network_flag(const std::string& flag, const std::string& value, MachineConfig* config,
                        std::string* error);

}  // namespace hal_posix
