// disktest: exercises disk 0 (and disk 1 if asked) through toro::Disk, the
// same source hosted (--disk IMAGE) and booted (an ATA disk). Checksums are
// FNV-1a 64 over the bytes read, so a test can compare them with the same
// sum computed on the host over the image (tests/integration/disk_image.py).
//
//   disktest                       name, size, checksum of the first 8 MiB
//                                  (or the whole disk), and reads past the end
//   disktest read FIRST COUNT      checksum of sectors [FIRST, FIRST+COUNT)
//   disktest write FIRST COUNT SEED  writes the pattern, flushes, reads back
//   disktest bench MB              reads MB MiB from sector 0, prints the time
//   disktest two                   checksums disks 0 and 1 at once, from two
//                                  threads (on two CPUs when there are two)
//
// `on N` before a command runs it on disk N; `busy N` before it (after any
// `on`) keeps N threads that only yield running on this CPU meanwhile, so
// the CPU never idles while the command waits for its disk; commands
// separated by a lone `;` run in turn; `--timeout-ms MS` first sets every
// disk's request timeout (tests of a device that never answers).
#include <toro/disk.h>
#include <toro/toro.h>

#include <atomic>

namespace {

constexpr std::size_t kBufferBytes = 1024 * 1024;
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

std::uint64_t fnv1a(std::uint64_t hash, const std::uint8_t* bytes, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) hash = (hash ^ bytes[i]) * kFnvPrime;
    return hash;
}

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The pattern of `sector` for `seed`: 64-bit little-endian words, word k
// being splitmix64(seed << 40 | (sector * 64 + k)).
void fill_pattern(std::uint8_t* sector_bytes, std::uint64_t sector, std::uint64_t seed,
                  std::size_t sector_size) {
    for (std::size_t k = 0; k < sector_size / 8; ++k) {
        std::uint64_t word = splitmix64((seed << 40) + sector * (sector_size / 8) + k);
        for (int b = 0; b < 8; ++b) sector_bytes[8 * k + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
}

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

bool parse_number(const char* text, std::uint64_t* value) {
    if (text == nullptr || *text == '\0') return false;
    *value = 0;
    for (; *text != '\0'; ++text) {
        if (*text < '0' || *text > '9') return false;
        *value = *value * 10 + static_cast<std::uint64_t>(*text - '0');
    }
    return true;
}

// Checksums [first, first + count) of `disk`, reading 1 MiB at a time.
toro::Error checksum(toro::Disk* disk, std::uint64_t first, std::uint64_t count,
                     std::uint8_t* buffer, std::uint64_t* hash) {
    *hash = kFnvOffset;
    std::size_t per_read = kBufferBytes / disk->sector_size();
    while (count > 0) {
        std::size_t chunk = count < per_read ? static_cast<std::size_t>(count) : per_read;
        TORO_TRY(disk->read(first, chunk, buffer));
        *hash = fnv1a(*hash, buffer, chunk * disk->sector_size());
        first += chunk;
        count -= chunk;
    }
    return toro::Error::kOk;
}

int fail(const char* what, toro::Error error) {
    toro::print("disktest: %s: %s\n", what, toro::error_message(error));
    return 1;
}

std::uint64_t default_span(toro::Disk* disk) {
    std::uint64_t eight_mib = 8 * 1024 * 1024 / disk->sector_size();
    return disk->sector_count() < eight_mib ? disk->sector_count() : eight_mib;
}

int info(toro::Disk* disk, std::uint8_t* buffer) {
    toro::print("disktest: %s: %llu sectors of %zu bytes\n", disk->name(),
                static_cast<unsigned long long>(disk->sector_count()), disk->sector_size());
    std::uint64_t span = default_span(disk);
    std::uint64_t hash;
    toro::Error error = checksum(disk, 0, span, buffer, &hash);
    if (error != toro::Error::kOk) return fail("read", error);
    toro::print("disktest: checksum 0+%llu %016llx\n", static_cast<unsigned long long>(span),
                static_cast<unsigned long long>(hash));
    // Past the end: refused with kRange, nothing read, no crash.
    std::uint64_t end = disk->sector_count();
    toro::Error past = disk->read(end, 1, buffer);
    toro::Error straddling = disk->read(end - 1, 2, buffer);
    if (past != toro::Error::kRange || straddling != toro::Error::kRange) {
        toro::print("disktest: reads past the end gave '%s' and '%s', not ERANGE\n",
                    toro::error_message(past), toro::error_message(straddling));
        return 1;
    }
    toro::print("disktest: reads past the end refused: %s\n", toro::error_message(past));
    return 0;
}

int read_range(toro::Disk* disk, std::uint64_t first, std::uint64_t count, std::uint8_t* buffer) {
    std::uint64_t hash;
    toro::Error error = checksum(disk, first, count, buffer, &hash);
    if (error != toro::Error::kOk) return fail("read", error);
    toro::print("disktest: checksum %llu+%llu %016llx\n", static_cast<unsigned long long>(first),
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(hash));
    return 0;
}

int write_range(toro::Disk* disk, std::uint64_t first, std::uint64_t count, std::uint64_t seed,
                std::uint8_t* buffer) {
    std::size_t sector_size = disk->sector_size();
    std::size_t per_write = kBufferBytes / sector_size;
    for (std::uint64_t done = 0; done < count;) {
        std::size_t chunk = count - done < per_write ? static_cast<std::size_t>(count - done) : per_write;
        for (std::size_t i = 0; i < chunk; ++i) {
            fill_pattern(buffer + i * sector_size, first + done + i, seed, sector_size);
        }
        toro::Error error = disk->write(first + done, chunk, buffer);
        if (error != toro::Error::kOk) return fail("write", error);
        done += chunk;
    }
    toro::Error error = disk->flush();
    if (error != toro::Error::kOk) return fail("flush", error);
    // Read back and compare, one sector's pattern at a time.
    alignas(16) static std::uint8_t expected[4096];
    for (std::uint64_t done = 0; done < count;) {
        std::size_t chunk = count - done < per_write ? static_cast<std::size_t>(count - done) : per_write;
        error = disk->read(first + done, chunk, buffer);
        if (error != toro::Error::kOk) return fail("read back", error);
        for (std::size_t i = 0; i < chunk; ++i) {
            fill_pattern(expected, first + done + i, seed, sector_size);
            for (std::size_t b = 0; b < sector_size; ++b) {
                if (buffer[i * sector_size + b] != expected[b]) {
                    toro::print("disktest: sector %llu byte %zu reads %02x, wrote %02x\n",
                                static_cast<unsigned long long>(first) + done + i, b,
                                buffer[i * sector_size + b], expected[b]);
                    return 1;
                }
            }
        }
        done += chunk;
    }
    toro::print("disktest: wrote and read back %llu+%llu seed %llu\n",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(seed));
    return 0;
}

int bench(toro::Disk* disk, std::uint64_t megabytes, std::uint8_t* buffer) {
    std::uint64_t sectors = megabytes * 1024 * 1024 / disk->sector_size();
    if (sectors > disk->sector_count()) {
        toro::print("disktest: the disk holds less than %llu MiB\n",
                    static_cast<unsigned long long>(megabytes));
        return 1;
    }
    std::uint64_t start = toro::now_ns();
    std::uint64_t hash;
    toro::Error error = checksum(disk, 0, sectors, buffer, &hash);
    std::uint64_t elapsed = toro::now_ns() - start;
    if (error != toro::Error::kOk) return fail("read", error);
    std::uint64_t kib_per_second = megabytes * 1024 * 1000000000ull / (elapsed ? elapsed : 1);
    toro::print("disktest: bench %llu MiB in %llu ns (%llu KiB/s) checksum %016llx\n",
                static_cast<unsigned long long>(megabytes), static_cast<unsigned long long>(elapsed),
                static_cast<unsigned long long>(kib_per_second),
                static_cast<unsigned long long>(hash));
    return 0;
}

struct Reader {
    toro::Disk* disk;
    std::uint64_t hash;
    toro::Error error;
};

int read_whole_span(void* argument) {
    auto* reader = static_cast<Reader*>(argument);
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kBufferBytes));
    if (buffer == nullptr) return 1;
    reader->error = checksum(reader->disk, 0, default_span(reader->disk), buffer, &reader->hash);
    toro::free(buffer);
    return 0;
}

// Both disks at once: on one ATA channel they share the registers, so the
// driver must queue one behind the other.
int two_disks() {
    if (toro::disk_count() < 2) {
        toro::print("disktest: two: only %zu disk(s)\n", toro::disk_count());
        return 1;
    }
    Reader readers[2] = {{toro::disk(0), 0, toro::Error::kOk}, {toro::disk(1), 0, toro::Error::kOk}};
    toro::Thread* threads[2];
    for (unsigned i = 0; i < 2; ++i) {
        toro::ThreadOptions options;
        options.cpu = i % toro::cpu_count();
        options.name = "reader";
        threads[i] = toro::spawn(read_whole_span, &readers[i], options);
        if (threads[i] == nullptr) return fail("spawn", toro::Error::kNoMemory);
    }
    int failures = toro::join(threads[0]) + toro::join(threads[1]);
    for (Reader& reader : readers) {
        if (reader.error != toro::Error::kOk) return fail("read", reader.error);
        toro::print("disktest: %s checksum 0+%llu %016llx\n", reader.disk->name(),
                    static_cast<unsigned long long>(default_span(reader.disk)),
                    static_cast<unsigned long long>(reader.hash));
    }
    return failures == 0 ? 0 : 1;
}

// `busy N`: threads on this CPU that do nothing but yield until stopped.
// A thread waiting for its disk then never leaves the CPU idle, so the
// completion must reach the CPU at a scheduling point (on bare metal, in
// the interrupt window every scheduling point opens).
class BusyThreads {
public:
    static constexpr std::uint64_t kMax = 16;

    // Starts them and lets each run once before the command begins.
    bool start(std::uint64_t count) {
        for (; count_ < count; ++count_) {
            toro::ThreadOptions options;
            options.name = "busy";
            threads_[count_] = toro::spawn(spin, this, options);
            if (threads_[count_] == nullptr) return false;
        }
        toro::yield();
        return true;
    }

    // Stops and joins them; prints how often they yielded, which shows the
    // CPU had them to run.
    void stop() {
        stopping_.store(true, std::memory_order_relaxed);
        for (unsigned i = 0; i < count_; ++i) toro::join(threads_[i]);
        if (count_ != 0) {
            toro::print("disktest: %u busy threads yielded %llu times\n", count_,
                        static_cast<unsigned long long>(yields_.load()));
        }
    }

private:
    static int spin(void* argument) {
        auto* busy = static_cast<BusyThreads*>(argument);
        while (!busy->stopping_.load(std::memory_order_relaxed)) {
            busy->yields_.fetch_add(1, std::memory_order_relaxed);
            toro::yield();
        }
        return 0;
    }

    toro::Thread* threads_[kMax] = {};
    unsigned count_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> yields_{0};
};

int usage() {
    toro::print(
        "usage: disktest [--timeout-ms MS] [COMMAND [; COMMAND]...]\n"
        "  COMMAND: [on N] [busy N] read FIRST COUNT | [on N] [busy N] write FIRST COUNT SEED |\n"
        "           [on N] [busy N] bench MB | [busy N] two\n");
    return 2;
}

// Runs `words` [at, count) on `disk`: one command and its numbers.
int run_on(toro::Disk* disk, char** words, int at, int count, std::uint8_t* buffer) {
    auto word = [&](int i) -> const char* { return i < count ? words[i] : nullptr; };
    std::uint64_t a, b, c;
    const char* command = word(at);
    if (command == nullptr) return info(disk, buffer);
    if (same(command, "read") && parse_number(word(at + 1), &a) && parse_number(word(at + 2), &b)) {
        return read_range(disk, a, b, buffer);
    }
    if (same(command, "write") && parse_number(word(at + 1), &a) &&
        parse_number(word(at + 2), &b) && parse_number(word(at + 3), &c)) {
        return write_range(disk, a, b, c, buffer);
    }
    if (same(command, "bench") && parse_number(word(at + 1), &a)) return bench(disk, a, buffer);
    if (same(command, "two")) return two_disks();
    return usage();
}

// Runs one command, words[0 .. count), on disk 0 or the one `on N` names,
// with the busy threads `busy N` asks for.
int run_command(char** words, int count, std::uint8_t* buffer) {
    auto word = [&](int i) -> const char* { return i < count ? words[i] : nullptr; };
    std::uint64_t index = 0, busy_count = 0;
    int at = 0;
    bool on_given = word(at) != nullptr && same(word(at), "on");
    if (on_given) {
        if (!parse_number(word(at + 1), &index)) return usage();
        at += 2;
    }
    if (word(at) != nullptr && same(word(at), "busy")) {
        if (!parse_number(word(at + 1), &busy_count) || busy_count > BusyThreads::kMax) return usage();
        at += 2;
    }
    if (on_given && word(at) != nullptr && same(word(at), "two")) return usage();  // both disks
    toro::Disk* disk = index < toro::disk_count() ? toro::disk(index) : nullptr;
    if (disk == nullptr) {
        toro::print("disktest: no disk %llu\n", static_cast<unsigned long long>(index));
        return 1;
    }
    BusyThreads busy;
    int status = busy.start(busy_count) ? run_on(disk, words, at, count, buffer)
                                        : fail("spawn", toro::Error::kNoMemory);
    busy.stop();
    return status;
}

}  // namespace

// Every command runs, even after one fails (a test of error recovery needs
// the next one); the status is 1 if any failed.
int toro_main(int argc, char** argv) {
    toro::print("disktest: %zu disk(s) on %u cpu(s)\n", toro::disk_count(), toro::cpu_count());
    int first = 1;
    std::uint64_t timeout_ms = 0;
    if (first + 1 < argc && same(argv[first], "--timeout-ms")) {
        if (!parse_number(argv[first + 1], &timeout_ms) || timeout_ms == 0) return usage();
        first += 2;
    }
    for (std::size_t i = 0; timeout_ms != 0 && i < toro::disk_count(); ++i) {
        toro::disk(i)->set_request_timeout(timeout_ms * 1000000);
    }
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kBufferBytes));
    if (buffer == nullptr) return fail("buffer", toro::Error::kNoMemory);
    int status = 0;
    do {
        int end = first;
        while (end < argc && !same(argv[end], ";")) ++end;
        int result = run_command(argv + first, end - first, buffer);
        if (result == 2) {
            status = 2;
            break;
        }
        if (result != 0) status = 1;
        first = end + 1;
    } while (first <= argc);
    toro::free(buffer);
    if (status == 0) toro::print("disktest: ok\n");
    return status;
}
