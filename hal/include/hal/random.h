// Random numbers: the kernel's one source of them (TCP initial sequence
// numbers, ephemeral ports, ARP and DHCP jitter use nothing else).
//
// Unless the machine is seeded the bytes are unpredictable: hosted, the
// host's getrandom(2); bare metal, RDRAND (or RDSEED) where CPUID reports
// it, else a generator stirred with the time-stamp counter on every draw,
// hard to guess but not fit for keys. A hosted machine started with
// --seed N draws a reproducible sequence instead: the same N and the same
// calls (same lengths, same order, across all its CPUs) give the same
// bytes on every run, so a failing run can be replayed. Seeded draws are
// for tests, never secrets. Both calls work before kernel_main and, hosted,
// with no machine running (a fuzz target): the host's getrandom then.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hal {

// Fills `length` bytes with random bytes. Any context, any CPU; never
// blocks for long, never fails. Seeded, each 8 bytes (and a shorter tail)
// take one draw of the sequence.
void random_fill(void* buffer, std::size_t length);

// One random 64-bit value: the same draw as random_fill of 8 bytes, read
// little-endian. Any context, any CPU.
std::uint64_t random_u64();

}  // namespace hal
