// Random numbers on bare x86-64: RDRAND where CPUID reports it (Intel SDM
// vol. 1 §7.3.17, "Random Number Generator Instructions"), else RDSEED,
// else SplitMix64 stirred with the TSC on every draw. A draw may fail
// (CF=0) while the generator refills; Intel's "Digital Random Number
// Generator Software Implementation Guide" §5.2.1 retries 10 times and
// calls a failure past that the hardware's: that draw comes from the TSC.
#include <atomic>
#include <cstdint>

#include "bare.h"
#include "hal/random.h"

namespace {

enum class Source : int { kUnknown, kRdrand, kRdseed, kTsc };
std::atomic<Source> source{Source::kUnknown};  // found by the first draw

struct CpuidResult {
    std::uint32_t eax, ebx, ecx, edx;
};

CpuidResult cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

// SDM vol. 2A, CPUID: leaf 1 ECX bit 30 is RDRAND; leaf 7 subleaf 0 EBX
// bit 18 is RDSEED.
Source detect() {
    std::uint32_t max_leaf = cpuid(0, 0).eax;
    if (cpuid(1, 0).ecx & (1u << 30)) return Source::kRdrand;
    if (max_leaf >= 7 && (cpuid(7, 0).ebx & (1u << 18))) return Source::kRdseed;
    return Source::kTsc;
}

Source current_source() {
    Source found = source.load(std::memory_order_relaxed);
    if (found == Source::kUnknown) {
        found = detect();  // CPUs that race here find the same
        source.store(found, std::memory_order_relaxed);
    }
    return found;
}

// All ones with CF=1 is how some AMD parts (family 17h after a resume)
// fail, so it counts as a failure too.
bool hardware_draw(Source from, std::uint64_t* value) {
    for (int attempt = 0; attempt < 10; ++attempt) {
        bool ok;
        if (from == Source::kRdrand) {
            asm volatile("rdrand %0" : "=r"(*value), "=@ccc"(ok));
        } else {
            asm volatile("rdseed %0" : "=r"(*value), "=@ccc"(ok));
        }
        if (ok && *value != ~std::uint64_t{0}) return true;
        asm volatile("pause");
    }
    return false;
}

constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;
std::atomic<std::uint64_t> tsc_generator{0};

// SplitMix64's output function (Steele, Lea and Flood, OOPSLA 2014).
std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The counter keeps draws on several CPUs apart; the TSC, read at every
// draw, makes the values differ from boot to boot as much as the timing
// of the boot does: hard to guess, not fit for keys (hal/random.h).
std::uint64_t tsc_draw() {
    std::uint64_t state = tsc_generator.fetch_add(kGoldenGamma, std::memory_order_relaxed);
    return splitmix64_mix(state + kGoldenGamma + splitmix64_mix(bare::read_tsc()));
}

}  // namespace

namespace hal {

std::uint64_t random_u64() {
    Source from = current_source();
    std::uint64_t value;
    if (from != Source::kTsc && hardware_draw(from, &value)) return value;
    return tsc_draw();
}

void random_fill(void* buffer, std::size_t length) {
    auto* bytes = static_cast<unsigned char*>(buffer);
    while (length > 0) {
        std::uint64_t value = random_u64();
        std::size_t chunk = length < 8 ? length : 8;
        for (std::size_t i = 0; i < chunk; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
        bytes += chunk;
        length -= chunk;
    }
}

}  // namespace hal
