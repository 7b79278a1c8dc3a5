// The Networking unit of one machine: its stack, the NIC it drives, and
// the driver that feeds one to the other on the NIC's CPU.
#pragma once

#include "hal/devices.h"
#include "net/stack.h"
#include "toro/error.h"
#include "toro/timer.h"

namespace toro::net {

// The machine's stack, started on first use (by the calling CPU, which
// then drives the NIC); kNoDevice when the machine has no NIC. Any thread.
Result<Stack*> machine_stack();

// "ip=10.0.0.2/24 gw=10.0.0.1" (the words the HAL hands the kernel in
// BootInfo::kernel_options) -> config; other words are ignored. False, with
// `error` naming the bad word, when an ip= or gw= word does not parse.
bool parse_interface_options(const char* options, InterfaceConfig* config, const char** error);

}  // namespace toro::net
