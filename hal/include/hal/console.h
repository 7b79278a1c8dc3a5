// The console: the serial port on bare metal, standard output hosted.
#pragma once

#include <cstddef>

namespace hal {

// Writes `length` bytes to the console before returning. One call's bytes
// are not interleaved with another CPU's call. Any context; may spin but
// never blocks a kernel thread.
void console_write(const char* bytes, std::size_t length);

}  // namespace hal
