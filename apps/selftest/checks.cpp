#include "checks.h"

#include <toro/toro.h>

#include "hal/random.h"

namespace selftest {

namespace {

toro::ThreadOptions on_cpu(unsigned cpu) {
    toro::ThreadOptions options;
    options.cpu = cpu % toro::cpu_count();
    return options;
}

// Three threads on one CPU, each yielding between steps, run round robin.
const char* yield_is_round_robin() {
    char log[10] = {};
    unsigned used = 0;
    toro::Thread* threads[3];
    for (int i = 0; i < 3; ++i) {
        threads[i] = toro::spawn([&log, &used, i] {
            for (int round = 0; round < 3; ++round) {
                log[used++] = static_cast<char>('A' + i);
                toro::yield();
            }
            return 0;
        });
        if (threads[i] == nullptr) return "spawn failed";
    }
    for (toro::Thread* thread : threads) toro::join(thread);
    const char* expected = "ABCABCABC";
    for (unsigned i = 0; i < 9; ++i) {
        if (log[i] != expected[i]) return "threads did not alternate in creation order";
    }
    return nullptr;
}

const char* sleep_is_never_early() {
    for (std::uint64_t ns : {1000ull, 100000ull, 2000000ull}) {
        std::uint64_t start = toro::now_ns();
        toro::sleep_ns(ns);
        if (toro::now_ns() - start < ns) return "a sleep returned before its time";
    }
    return nullptr;
}

const char* threads_run_on_their_cpu_and_join() {
    unsigned cpus = toro::cpu_count();
    toro::Thread* threads[64];
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        threads[cpu] = toro::spawn([cpu] {
            for (int i = 0; i < 10; ++i) {
                if (toro::current_cpu() != cpu) return 1;
                toro::yield();
            }
            return static_cast<int>(100 + cpu);
        }, on_cpu(cpu));
        if (threads[cpu] == nullptr) return "spawn failed";
    }
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        if (toro::join(threads[cpu]) != static_cast<int>(100 + cpu)) {
            return "a thread ran on another cpu or returned the wrong code";
        }
    }
    return nullptr;
}

const char* event_wait_times_out() {
    toro::Event event;
    std::uint64_t deadline = toro::now_ns() + 1000000;
    if (event.wait_until(deadline)) return "an unsignalled event reported a signal";
    if (toro::now_ns() < deadline) return "the timeout came early";
    event.signal();
    if (!event.wait_for(0)) return "a signal sent before the wait was lost";
    return nullptr;
}

struct Message {
    std::uint32_t sender;
    std::uint32_t sequence;
};

// Every CPU sends to one queue, every CPU receives: each message once.
const char* message_queue_loses_nothing() {
    constexpr std::uint32_t kPerSender = 5000;
    unsigned cpus = toro::cpu_count();
    if (cpus > 64) cpus = 64;  // two threads per CPU in threads[]
    using Queue = toro::MessageQueue<Message, 64>;
    Queue* queue = toro::make<Queue>();
    auto* seen = static_cast<std::uint8_t*>(toro::allocate(cpus * kPerSender));
    if (queue == nullptr || seen == nullptr) return "out of memory";
    for (std::uint32_t i = 0; i < cpus * kPerSender; ++i) seen[i] = 0;
    toro::Thread* threads[2 * 64] = {};
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        threads[2 * cpu] = toro::spawn([queue, cpu] {
            for (std::uint32_t i = 0; i < kPerSender; ++i) queue->send({cpu, i});
            return 0;
        }, on_cpu(cpu));
        threads[2 * cpu + 1] = toro::spawn([queue, seen, cpus] {
            for (std::uint32_t n = 0; n < kPerSender; ++n) {
                Message m{};
                queue->receive(m);
                if (m.sender >= cpus || m.sequence >= kPerSender) return 1;
                seen[m.sender * kPerSender + m.sequence]++;
            }
            return 0;
        }, on_cpu(cpu));
    }
    int failures = 0;
    for (unsigned i = 0; i < 2 * cpus; ++i) {
        if (threads[i] == nullptr) return "out of memory for a thread";  // the rest would hang
        failures += toro::join(threads[i]);
    }
    bool exact = failures == 0;
    for (std::uint32_t i = 0; i < cpus * kPerSender; ++i) exact = exact && seen[i] == 1;
    toro::free(seen);
    toro::destroy(queue);
    return exact ? nullptr : "a message was lost, duplicated or garbled";
}

std::uint64_t next_random(std::uint64_t& state) {  // splitmix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Patterned objects: byte b of object i of `owner` is a function of all
// three, so a byte from another object, or shifted, shows.
std::uint8_t pattern_byte(unsigned owner, unsigned i, std::size_t b) {
    return static_cast<std::uint8_t>(owner * 31 + i * 7 + b);
}

struct PatternedObjects {
    std::uint8_t** objects;
    std::uint16_t* sizes;
    unsigned per_cpu;
};

// Allocates object i of `owner` (a size between 1 and 2048 bytes).
bool make_object(PatternedObjects& set, unsigned owner, unsigned i, std::uint64_t& random) {
    std::size_t size = 1 + next_random(random) % 2048;
    auto* object = static_cast<std::uint8_t*>(toro::allocate(size));
    if (object == nullptr) return false;
    for (std::size_t b = 0; b < size; ++b) object[b] = pattern_byte(owner, i, b);
    set.objects[owner * set.per_cpu + i] = object;
    set.sizes[owner * set.per_cpu + i] = static_cast<std::uint16_t>(size);
    return true;
}

// Checks every byte of object i of `owner`, then frees it; 1 if any changed.
int check_and_free(PatternedObjects& set, unsigned owner, unsigned i) {
    std::uint8_t* object = set.objects[owner * set.per_cpu + i];
    int bad = 0;
    for (std::size_t b = 0; b < set.sizes[owner * set.per_cpu + i]; ++b) {
        if (object[b] != pattern_byte(owner, i, b)) bad = 1;
    }
    toro::free(object);
    return bad;
}

// Each CPU allocates patterned objects (round 1). Then all CPUs at once:
// each frees the odd half of the previous CPU's objects (remote frees,
// through that CPU's inbox) while it allocates a second round of its own
// and frees its own even half, so remote frees race the owner's
// allocations, which drain its inbox. Every byte of every object is
// checked before it is freed, and once every CPU reclaimed, the object
// count is back where it started.
const char* allocator_survives_remote_frees() {
    constexpr unsigned kObjects = 2000;
    unsigned cpus = toro::cpu_count();
    auto reclaim_everywhere = [cpus] {
        for (unsigned cpu = 0; cpu < cpus; ++cpu) {
            toro::join(toro::spawn([] { toro::memory_reclaim(); return 0; }, on_cpu(cpu)));
        }
    };
    reclaim_everywhere();
    std::size_t before = toro::memory_stats().objects_in_use;
    PatternedObjects rounds[2];
    for (PatternedObjects& round : rounds) {
        round.per_cpu = kObjects;
        round.objects = static_cast<std::uint8_t**>(toro::allocate(cpus * kObjects * sizeof(void*)));
        round.sizes = static_cast<std::uint16_t*>(toro::allocate(cpus * kObjects * sizeof(std::uint16_t)));
        if (round.objects == nullptr || round.sizes == nullptr) return "out of memory";
    }
    PatternedObjects* first = &rounds[0];
    PatternedObjects* second = &rounds[1];
    int failures = 0;
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        failures += toro::join(toro::spawn([first, cpu] {
            std::uint64_t random = cpu + 1;
            for (unsigned i = 0; i < kObjects; ++i) {
                if (!make_object(*first, cpu, i, random)) return 1;
            }
            return 0;
        }, on_cpu(cpu)));
    }
    if (failures != 0) return "out of memory";
    auto** racers = static_cast<toro::Thread**>(toro::allocate(cpus * sizeof(toro::Thread*)));
    if (racers == nullptr) return "out of memory";
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        racers[cpu] = toro::spawn([first, second, cpu, cpus] {
            unsigned previous = (cpu + cpus - 1) % cpus;
            std::uint64_t random = cpu + 1000;
            int bad = 0;
            for (unsigned i = 0; i < kObjects; ++i) {
                if (!make_object(*second, cpu, i, random)) return 100;
                if (i % 2 == 1) bad |= check_and_free(*first, previous, i);  // remote
                if (i % 2 == 0) bad |= check_and_free(*first, cpu, i);       // local
            }
            for (unsigned i = 0; i < kObjects; ++i) bad |= check_and_free(*second, cpu, i);
            return bad;
        }, on_cpu(cpu));
        if (racers[cpu] == nullptr) return "out of threads";
    }
    int corrupt = 0;
    for (unsigned cpu = 0; cpu < cpus; ++cpu) corrupt |= toro::join(racers[cpu]);
    toro::free(racers);
    for (PatternedObjects& round : rounds) {
        toro::free(round.objects);
        toro::free(round.sizes);
    }
    reclaim_everywhere();
    if (corrupt >= 100) return "out of memory";
    if (corrupt != 0) return "an object's contents changed while it was allocated";
    if (toro::memory_stats().objects_in_use != before) return "objects leaked";
    return nullptr;
}

// The time of day is plausible (after the day this check was written, so
// a misread RTC century, BCD digit or epoch shows) and moves with the
// monotonic clock.
const char* wall_clock_tells_the_date() {
    constexpr std::uint64_t kSecond = 1000000000;
    constexpr std::uint64_t k2026 = 1767225600;  // 2026-01-01 00:00:00 UTC
    constexpr std::uint64_t k2100 = 4102444800;
    std::uint64_t wall = toro::wall_clock_ns(), now = toro::now_ns();
    if (wall == 0) return "no real-time clock";
    if (wall < k2026 * kSecond || wall >= k2100 * kSecond) return "the date is not in 2026..2099";
    toro::sleep_ms(20);
    std::int64_t wall_step = static_cast<std::int64_t>(toro::wall_clock_ns() - wall);
    std::int64_t now_step = static_cast<std::int64_t>(toro::now_ns() - now);
    std::int64_t skew = wall_step - now_step;
    if (wall_step < 20000000 || skew > 50000000 || skew < -50000000) {
        return "the time of day does not move with the monotonic clock";
    }
    return nullptr;
}

// The HAL's random numbers (RDRAND, RDSEED or the TSC generator on bare
// metal, getrandom or the --seed sequence hosted): 64 draws, no two alike;
// a fill of 13 bytes writes them, not all zero, and nothing beside them.
const char* random_draws_differ() {
    std::uint64_t values[64];
    for (std::uint64_t& value : values) value = hal::random_u64();
    for (unsigned i = 0; i < 64; ++i) {
        for (unsigned j = i + 1; j < 64; ++j) {
            if (values[i] == values[j]) return "two of 64 random draws were equal";
        }
    }
    unsigned char buffer[16];
    for (unsigned char& byte : buffer) byte = 0xA5;
    hal::random_fill(buffer + 1, 13);
    if (buffer[0] != 0xA5 || buffer[14] != 0xA5 || buffer[15] != 0xA5) {
        return "random_fill wrote outside its buffer";
    }
    unsigned zeros = 0, unchanged = 0;
    for (unsigned i = 1; i < 14; ++i) {
        zeros += buffer[i] == 0;
        unchanged += buffer[i] == 0xA5;
    }
    if (zeros == 13 || unchanged == 13) return "random_fill left its bytes zero or untouched";
    return nullptr;
}

}  // namespace

const NamedCheck kChecks[] = {
    {"scheduler: yield is round robin", yield_is_round_robin},
    {"scheduler: sleep is never early", sleep_is_never_early},
    {"scheduler: threads on every cpu, never migrate, join", threads_run_on_their_cpu_and_join},
    {"events: wait times out, signal is kept", event_wait_times_out},
    {"message queue: every cpu sends and receives", message_queue_loses_nothing},
    {"memory: remote frees across cpus", allocator_survives_remote_frees},
    {"clock: the time of day is set and moves", wall_clock_tells_the_date},
    {"random: draws differ, fills write their bytes", random_draws_differ},
};
const unsigned kCheckCount = sizeof kChecks / sizeof kChecks[0];

}  // namespace selftest
