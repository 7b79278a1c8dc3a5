// Everything an application of the Process and Memory units uses.
#pragma once

#include "toro/app.h"
#include "toro/event.h"
#include "toro/memory.h"
#include "toro/message_queue.h"
#include "toro/print.h"
#include "toro/spinlock.h"
#include "toro/thread.h"
#include "toro/timer.h"
