// The whole HAL contract. The kernel includes this and nothing of
// hal_bare/ or hal_posix/.
#pragma once

#include "hal/boot.h"
#include "hal/clock.h"
#include "hal/console.h"
#include "hal/cpu.h"
#include "hal/devices.h"
#include "hal/events.h"
#include "hal/power.h"
#include "hal/random.h"
