// `tree PATH`: every entry below PATH, depth first, names in byte order:
//   f SIZE SHA256 PATH | d - - PATH | l - TARGET PATH | o - - PATH (other)
// A damaged directory is reported and skipped; the walk goes on. A
// directory that contains one of its ancestors (a loop on a corrupt disk)
// is reported and not entered.
#include "fstool.h"
#include "sha256.h"

namespace fstool {

namespace {

constexpr std::size_t kMaxPath = 4096;
constexpr unsigned kMaxDepth = 256;  // frames are small: 64 KiB of stack suffice

int compare_names(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

// Shell sort (Ciura's gaps): no library, no recursion.
void sort_names(char** names, std::size_t count) {
    static constexpr std::size_t kGaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (std::size_t gap : kGaps) {
        for (std::size_t i = gap; i < count; ++i) {
            char* moving = names[i];
            std::size_t j = i;
            for (; j >= gap && compare_names(names[j - gap], moving) > 0; j -= gap) {
                names[j] = names[j - gap];
            }
            names[j] = moving;
        }
    }
}

std::size_t length_of(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return length;
}

struct Names {
    char** items = nullptr;
    std::size_t count = 0;
    std::size_t capacity = 0;

    ~Names() {
        for (std::size_t i = 0; i < count; ++i) toro::free(items[i]);
        toro::free(items);
    }
    bool add(const char* name) {
        if (count == capacity) {
            std::size_t grown = capacity ? capacity * 2 : 64;
            auto** larger = static_cast<char**>(toro::allocate(grown * sizeof(char*)));
            if (larger == nullptr) return false;
            for (std::size_t i = 0; i < count; ++i) larger[i] = items[i];
            toro::free(items);
            items = larger;
            capacity = grown;
        }
        std::size_t length = length_of(name);
        char* copy = static_cast<char*>(toro::allocate(length + 1));
        if (copy == nullptr) return false;
        __builtin_memcpy(copy, name, length + 1);
        items[count++] = copy;
        return true;
    }
};

class TreeWalk {
public:
    explicit TreeWalk(char* path) : path_(path) {}
    bool ok() const { return ok_; }

    void walk_directory(std::size_t path_length, unsigned depth);
    void print_entry(std::size_t path_length, unsigned depth);

private:
    void fail(toro::Error error) {
        report("tree", path_[0] != '\0' ? path_ : "/", error);
        ok_ = false;
    }
    void emit(const char* prefix, const char* middle) {
        // One write per line: a path may be longer than print() takes.
        std::size_t prefix_length = length_of(prefix), middle_length = length_of(middle);
        std::size_t path_length = length_of(path_);
        auto* line = static_cast<char*>(toro::allocate(prefix_length + middle_length + path_length + 2));
        if (line == nullptr) return fail(toro::Error::kNoMemory);
        __builtin_memcpy(line, prefix, prefix_length);
        __builtin_memcpy(line + prefix_length, middle, middle_length);
        __builtin_memcpy(line + prefix_length + middle_length, path_, path_length);
        line[prefix_length + middle_length + path_length] = '\n';
        toro::write_console(line, prefix_length + middle_length + path_length + 1);
        toro::free(line);
    }
    void print_file(const toro::Stat& status);
    void print_link();

    char* path_;
    std::uint64_t ancestors_[kMaxDepth + 1];
    bool ok_ = true;
};

void TreeWalk::print_file(const toro::Stat& status) {
    toro::Result<int> fd = toro::open(path_, toro::kOpenRead | toro::kOpenNoFollow);
    if (!fd.ok()) return fail(fd.error());
    auto* buffer = static_cast<std::uint8_t*>(toro::allocate(kChunkBytes));
    toro::Error error = buffer == nullptr ? toro::Error::kNoMemory : toro::Error::kOk;
    Sha256 hash;
    std::uint64_t size = 0;
    while (error == toro::Error::kOk) {
        toro::Result<std::size_t> got = toro::read(*fd, buffer, kChunkBytes);
        if (!got.ok()) error = got.error();
        else if (*got == 0) break;
        else {
            hash.update(buffer, *got);
            size += *got;
        }
    }
    toro::free(buffer);
    (void)toro::close(*fd);  // opened to read: closing it loses nothing
    if (error != toro::Error::kOk) return fail(error);
    if (size != status.size) return fail(toro::Error::kIo);  // read less than stat said
    char digest[65];
    hash.finish_hex(digest);
    char prefix[96];
    toro::format(prefix, sizeof prefix, "f %llu %s ", static_cast<unsigned long long>(size), digest);
    emit(prefix, "");
}

void TreeWalk::print_link() {
    auto* target = static_cast<char*>(toro::allocate(kMaxPath + 2));
    if (target == nullptr) return fail(toro::Error::kNoMemory);
    toro::Result<std::size_t> length = toro::readlink(path_, target, kMaxPath);
    if (length.ok()) {
        std::size_t length_with_space = *length;
        target[length_with_space] = ' ';
        target[length_with_space + 1] = '\0';
        emit("l - ", target);
    } else {
        fail(length.error());
    }
    toro::free(target);
}

void TreeWalk::print_entry(std::size_t path_length, unsigned depth) {
    toro::Stat status{};
    toro::Error error = toro::lstat(path_, &status);
    if (error != toro::Error::kOk) return fail(error);
    switch (status.type) {
        case toro::FileType::kRegular: return print_file(status);
        case toro::FileType::kSymlink: return print_link();
        case toro::FileType::kDirectory:
            emit("d - - ", "");
            for (unsigned i = 0; i < depth; ++i) {
                if (ancestors_[i] == status.inode) return fail(toro::Error::kLoop);
            }
            if (depth >= kMaxDepth) return fail(toro::Error::kNameTooLong);
            ancestors_[depth] = status.inode;
            return walk_directory(path_length, depth + 1);
        default:
            emit("o - - ", "");
    }
}

void TreeWalk::walk_directory(std::size_t path_length, unsigned depth) {
    Names names;
    {
        toro::Result<int> fd = toro::open(path_length ? path_ : "/", toro::kOpenRead | toro::kOpenDirectory);
        if (!fd.ok()) return fail(fd.error());
        auto* entry = toro::make<toro::DirectoryEntry>();
        for (;;) {
            toro::Result<bool> more = entry ? toro::readdir(*fd, entry) : toro::Error::kNoMemory;
            if (!more.ok()) {
                fail(more.error());
                break;
            }
            if (!*more) break;
            if (compare_names(entry->name, ".") == 0 || compare_names(entry->name, "..") == 0) continue;
            if (!names.add(entry->name)) {
                fail(toro::Error::kNoMemory);
                break;
            }
        }
        toro::destroy(entry);
        (void)toro::close(*fd);  // a directory read; before descending: deep trees must not run out of descriptors
    }
    sort_names(names.items, names.count);
    for (std::size_t i = 0; i < names.count; ++i) {
        std::size_t name_length = length_of(names.items[i]);
        if (path_length + 1 + name_length >= kMaxPath) {
            fail(toro::Error::kNameTooLong);
            continue;
        }
        path_[path_length] = '/';
        __builtin_memcpy(path_ + path_length + 1, names.items[i], name_length + 1);
        print_entry(path_length + 1 + name_length, depth);
        path_[path_length] = '\0';
    }
}

}  // namespace

bool print_tree(const char* path) {
    auto* buffer = static_cast<char*>(toro::allocate(kMaxPath));
    auto* walk = buffer != nullptr ? toro::make<TreeWalk>(buffer) : nullptr;
    if (walk == nullptr) {
        toro::free(buffer);
        report("tree", path, toro::Error::kNoMemory);
        return false;
    }
    std::size_t length = length_of(path);
    while (length > 0 && path[length - 1] == '/') --length;  // "/" walks from the root
    bool ok = length < kMaxPath;
    if (ok) {
        __builtin_memcpy(buffer, path, length);
        buffer[length] = '\0';
        toro::Stat status{};
        toro::Error error = toro::stat(length ? buffer : "/", &status);
        if (error != toro::Error::kOk) {
            report("tree", path, error);
            ok = false;
        } else if (status.type != toro::FileType::kDirectory) {
            walk->print_entry(length, 0);
        } else {
            walk->walk_directory(length, 0);
        }
        ok = ok && walk->ok();
    } else {
        report("tree", path, toro::Error::kNameTooLong);
    }
    toro::destroy(walk);
    toro::free(buffer);
    return ok;
}

}  // namespace fstool
