// The hosted HAL's one I/O thread: a Boost.Asio io_context that waits on
// the host descriptors of every NIC (TAP now; pcap and slirp later) and
// moves what arrives towards the kernel's CPUs. The kernel never sees it.
#pragma once

#include <boost/asio/io_context.hpp>

namespace hal_posix {

// The machine's io_context; its thread starts with the first call.
boost::asio::io_context& io_context();
// Stops the thread and waits for it; every handler has returned after.
// The io_context itself stays, for the NICs' Asio objects to be destroyed
// while it lives; release_io_context() then frees it, and the next
// io_context() starts afresh.
void stop_io_thread();
void release_io_context();

}  // namespace hal_posix
