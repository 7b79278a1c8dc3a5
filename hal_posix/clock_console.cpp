// The clocks and the console on the host.
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "hal/clock.h"
#include "hal/console.h"
#include "machine_state.h"

namespace hal {

std::uint64_t clock_now_ns() {
    return hal_posix::host_monotonic_ns() - hal_posix::machine->clock_origin_ns;
}

std::uint64_t clock_wall_ns() {
    timespec now{};
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 || now.tv_sec < 0) return 0;
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
           static_cast<std::uint64_t>(now.tv_nsec);
}

// One write(2) per call: a pipe or terminal keeps it in one piece (pipes
// guarantee it up to PIPE_BUF, which covers a print() line).
void console_write(const char* bytes, std::size_t length) {
    while (length > 0) {
        ssize_t written = write(STDOUT_FILENO, bytes, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;  // a closed console loses output, never the machine
        }
        bytes += written;
        length -= static_cast<std::size_t>(written);
    }
}

}  // namespace hal
