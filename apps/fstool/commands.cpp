// fstool's commands, each a thin use of toro/fs.h.
#include "fstool.h"

namespace fstool {

namespace {

bool equal(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

// Decimal, or hexadecimal after 0x.
bool parse_number(const char* text, std::uint64_t* value) {
    unsigned base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (*text == '\0') return false;
    std::uint64_t result = 0;
    for (; *text != '\0'; ++text) {
        unsigned digit;
        if (*text >= '0' && *text <= '9') digit = static_cast<unsigned>(*text - '0');
        else if (base == 16 && *text >= 'a' && *text <= 'f') digit = static_cast<unsigned>(*text - 'a' + 10);
        else if (base == 16 && *text >= 'A' && *text <= 'F') digit = static_cast<unsigned>(*text - 'A' + 10);
        else return false;
        if (result > (~std::uint64_t{0} - digit) / base) return false;
        result = result * base + digit;
    }
    *value = result;
    return true;
}

// splitmix64 (Steele, Lea, Flood 2014): the content of write and append.
struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

bool usage_error(const Command& command, const char* usage) {
    toro::print("fstool: %s: usage: %s\n", command.words[0], usage);
    return false;
}

bool check(const Command& command, const char* path, toro::Error error) {
    if (error == toro::Error::kOk) return true;
    report(command.words[0], path, error);
    return false;
}

bool write_stream(const Command& command, bool append) {
    std::uint64_t size = 0, seed = 0;
    if (command.count != 4 || !parse_number(command.words[2], &size) ||
        !parse_number(command.words[3], &seed)) {
        return usage_error(command, append ? "append PATH SIZE SEED" : "write PATH SIZE SEED");
    }
    const char* path = command.words[1];
    unsigned flags = toro::kOpenWrite | toro::kOpenCreate |
                     (append ? toro::kOpenAppend : toro::kOpenTruncate);
    toro::Result<int> fd = toro::open(path, flags);
    if (!fd.ok()) return check(command, path, fd.error());
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kChunkBytes));
    if (buffer == nullptr) {
        (void)toro::close(*fd);  // opened to read: closing it loses nothing
        return check(command, path, toro::Error::kNoMemory);
    }
    SplitMix64 generator{seed};
    toro::Error error = toro::Error::kOk;
    for (std::uint64_t done = 0; done < size && error == toro::Error::kOk;) {
        std::size_t chunk = size - done < kChunkBytes ? static_cast<std::size_t>(size - done) : kChunkBytes;
        for (std::size_t i = 0; i < chunk; i += 8) {
            std::uint64_t word = generator.next();
            for (std::size_t b = 0; b < 8 && i + b < chunk; ++b) buffer[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
        }
        toro::Result<std::size_t> written = toro::write(*fd, buffer, chunk);
        if (!written.ok()) error = written.error();
        else if (*written < chunk) error = toro::Error::kNoSpace;  // a short write: the disk filled
        done += chunk;
    }
    toro::free(buffer);
    toro::Error closed = toro::close(*fd);
    return check(command, path, error != toro::Error::kOk ? error : closed);
}

bool cat(const Command& command) {
    if (command.count != 2) return usage_error(command, "cat PATH");
    toro::Result<int> fd = toro::open(command.words[1], toro::kOpenRead);
    if (!fd.ok()) return check(command, command.words[1], fd.error());
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kChunkBytes));
    toro::Error error = buffer == nullptr ? toro::Error::kNoMemory : toro::Error::kOk;
    while (error == toro::Error::kOk) {
        toro::Result<std::size_t> got = toro::read(*fd, buffer, kChunkBytes);
        if (!got.ok()) error = got.error();
        else if (*got == 0) break;
        else toro::write_console(buffer, *got);
    }
    toro::free(buffer);
    (void)toro::close(*fd);  // opened to read: closing it loses nothing
    return check(command, command.words[1], error);
}

bool list(const Command& command) {
    if (command.count != 2) return usage_error(command, "ls PATH");
    toro::Stat status{};
    toro::Error error = toro::lstat(command.words[1], &status);
    if (error != toro::Error::kOk) return check(command, command.words[1], error);
    if (status.type != toro::FileType::kDirectory) {
        toro::print("%s\n", command.words[1]);
        return true;
    }
    toro::Result<int> fd = toro::open(command.words[1], toro::kOpenRead | toro::kOpenDirectory);
    if (!fd.ok()) return check(command, command.words[1], fd.error());
    toro::DirectoryEntry entry;
    for (;;) {
        toro::Result<bool> more = toro::readdir(*fd, &entry);
        if (!more.ok()) error = more.error();
        if (!more.ok() || !*more) break;
        if (!equal(entry.name, ".") && !equal(entry.name, "..")) toro::print("%s\n", entry.name);
    }
    (void)toro::close(*fd);  // a directory read: closing it loses nothing
    return check(command, command.words[1], error);
}

bool truncate(const Command& command) {
    std::uint64_t size = 0;
    if (command.count != 3 || !parse_number(command.words[2], &size)) {
        return usage_error(command, "truncate PATH SIZE");
    }
    return check(command, command.words[1], toro::truncate(command.words[1], size));
}

bool one_path(const Command& command, toro::Error (*call)(const char*), const char* usage) {
    if (command.count != 2) return usage_error(command, usage);
    return check(command, command.words[1], call(command.words[1]));
}

}  // namespace

void report(const char* name, const char* detail, toro::Error error) {
    if (detail != nullptr) {
        toro::print("fstool: %s: %s: %s\n", name, detail, toro::error_message(error));
    } else {
        toro::print("fstool: %s: %s\n", name, toro::error_message(error));
    }
}

bool run(const Command& command) {
    const char* name = command.words[0];
    if (equal(name, "ls")) return list(command);
    if (equal(name, "cat")) return cat(command);
    if (equal(name, "tree")) {
        if (command.count != 2) return usage_error(command, "tree PATH");
        return print_tree(command.words[1]);
    }
    if (equal(name, "write")) return write_stream(command, false);
    if (equal(name, "append")) return write_stream(command, true);
    if (equal(name, "truncate")) return truncate(command);
    if (equal(name, "mkdir")) return one_path(command, [](const char* p) { return toro::mkdir(p); }, "mkdir PATH");
    if (equal(name, "rmdir")) return one_path(command, toro::rmdir, "rmdir PATH");
    if (equal(name, "rm")) return one_path(command, toro::unlink, "rm PATH");
    if (equal(name, "mv")) {
        if (command.count != 3) return usage_error(command, "mv FROM TO");
        return check(command, command.words[1], toro::rename(command.words[1], command.words[2]));
    }
    if (equal(name, "ln")) {
        if (command.count != 4 || !equal(command.words[1], "-s")) {
            return usage_error(command, "ln -s TARGET PATH");
        }
        return check(command, command.words[3], toro::symlink(command.words[2], command.words[3]));
    }
    if (equal(name, "sync")) {
        if (command.count != 1) return usage_error(command, "sync");
        return check(command, nullptr, toro::sync());
    }
    toro::print("fstool: %s: unknown command\n", name);
    return false;
}

}  // namespace fstool
