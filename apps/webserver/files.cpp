// Component-by-component lookup: the VFS follows symbolic links, so the
// server checks each prefix itself before it opens anything.
#include "files.h"

namespace webserver {
namespace {

int status_for(toro::Error error) {
    switch (error) {
        case toro::Error::kNoEntry:
        case toro::Error::kNotDirectory:
        case toro::Error::kNameTooLong:
            return 404;
        default:
            return 500;
    }
}

// lstat each prefix of `path` that ends after `first` (the root's length);
// all but the last must be directories, none a link. The last one's
// Stat is left in *last.
int check_components(const char* path, std::size_t first, toro::Stat* last) {
    char prefix[kMaxPath];
    std::size_t length = 0;
    while (path[length] != '\0') ++length;
    for (std::size_t end = first + 1; end <= length; ++end) {
        if (end != length && path[end] != '/') continue;
        for (std::size_t i = 0; i < end; ++i) prefix[i] = path[i];
        prefix[end] = '\0';
        toro::Error error = toro::lstat(prefix, last);
        if (error != toro::Error::kOk) return status_for(error);
        if (last->type == toro::FileType::kSymlink) return 403;
        if (end != length && last->type != toro::FileType::kDirectory) return 404;
    }
    if (first >= length) {  // the root itself
        toro::Error error = toro::lstat(length == 0 ? "/" : path, last);
        if (error != toro::Error::kOk) return status_for(error);
    }
    return 200;
}

bool append(char* path, const char* suffix) {
    std::size_t length = 0;
    while (path[length] != '\0') ++length;
    for (; *suffix != '\0'; ++suffix) {
        if (length + 1 >= kMaxPath) return false;
        path[length++] = *suffix;
    }
    path[length] = '\0';
    return true;
}

}  // namespace

void look_up(const MappedPath& mapped, std::string_view root, FileLookup* lookup) {
    lookup->fd = -1;
    for (std::size_t i = 0; i < kMaxPath; ++i) {
        lookup->path[i] = mapped.path[i];
        if (mapped.path[i] == '\0') break;
    }
    const std::size_t root_length = root == "/" ? 0 : root.size();
    toro::Stat stat{};
    lookup->status = check_components(lookup->path, root_length, &stat);
    if (lookup->status != 200) return;
    if (stat.type == toro::FileType::kDirectory) {
        // Without the '/', relative links in its index would resolve one
        // level up: send the client to the directory's own URL.
        if (!mapped.trailing_slash && lookup->path[root_length] != '\0') {
            lookup->status = 301;
            return;
        }
        if (!append(lookup->path, lookup->path[1] == '\0' ? "index.html" : "/index.html")) {
            lookup->status = 404;
            return;
        }
        lookup->status = check_components(lookup->path, root_length, &stat);
        if (lookup->status != 200) return;
    }
    if (stat.type != toro::FileType::kRegular) {
        lookup->status = stat.type == toro::FileType::kDirectory ? 404 : 403;
        return;
    }
    toro::Result<int> fd = toro::open(lookup->path, toro::kOpenRead | toro::kOpenNoFollow);
    if (!fd.ok()) {
        lookup->status = status_for(fd.error());
        return;
    }
    toro::Error error = toro::fstat(*fd, &lookup->stat);
    if (error != toro::Error::kOk) {
        (void)toro::close(*fd);
        lookup->status = 500;
        return;
    }
    lookup->fd = *fd;
}

}  // namespace webserver
