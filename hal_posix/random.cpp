// Random numbers on the host: getrandom(2), or, on a machine started with
// --seed, the SplitMix64 sequence of that seed (Steele, Lea and Flood,
// "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014).
#include "hal/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "machine_state.h"

namespace {

constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Draw n (from 1) of the seed's sequence. One atomic add per draw: draws on
// several CPUs each get their own, so the bytes depend only on the order.
std::uint64_t next_seeded(std::uint64_t seed, std::atomic<std::uint64_t>& draws) {
    std::uint64_t n = draws.fetch_add(1, std::memory_order_relaxed) + 1;
    return splitmix64_mix(seed + n * kGoldenGamma);
}

// Draws made while no machine runs (set_unbooted_random_seed).
std::atomic<bool> unbooted_seeded{false};
std::uint64_t unbooted_seed = 0;
std::atomic<std::uint64_t> unbooted_draws{0};

// getrandom(2) with no flags blocks only until the host's pool is first
// initialised (early in the host's boot) and returns at most 32 MiB per
// call; a signal may cut it short.
void fill_from_host(void* buffer, std::size_t length) {
    auto* bytes = static_cast<unsigned char*>(buffer);
    while (length > 0) {
        ssize_t got = getrandom(bytes, length, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            std::fprintf(stderr, "toro: getrandom: %s\n", std::strerror(errno));
            std::abort();  // the contract has no failure to report
        }
        bytes += got;
        length -= static_cast<std::size_t>(got);
    }
}

void fill_seeded(std::uint64_t seed, std::atomic<std::uint64_t>& draws, void* buffer,
                 std::size_t length) {
    auto* bytes = static_cast<unsigned char*>(buffer);
    while (length > 0) {
        std::uint64_t value = next_seeded(seed, draws);
        std::size_t chunk = length < 8 ? length : 8;
        for (std::size_t i = 0; i < chunk; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
        bytes += chunk;
        length -= chunk;
    }
}

}  // namespace

namespace hal_posix {

void set_unbooted_random_seed(std::uint64_t seed) {
    unbooted_seed = seed;
    unbooted_draws.store(0);
    unbooted_seeded.store(true);
}

}  // namespace hal_posix

namespace hal {

void random_fill(void* buffer, std::size_t length) {
    hal_posix::Machine* machine = hal_posix::machine;  // null: no machine runs
    if (machine != nullptr && machine->config.seed.has_value()) {
        fill_seeded(*machine->config.seed, machine->random_draws, buffer, length);
    } else if (machine == nullptr && unbooted_seeded.load(std::memory_order_relaxed)) {
        fill_seeded(unbooted_seed, unbooted_draws, buffer, length);
    } else {
        fill_from_host(buffer, length);
    }
}

std::uint64_t random_u64() {
    unsigned char bytes[8];
    random_fill(bytes, sizeof bytes);
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = value << 8 | bytes[i];
    return value;
}

}  // namespace hal
