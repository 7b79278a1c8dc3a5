// Finding the file a mapped path names, on the mounted filesystem.
#pragma once

#include <toro/fs.h>

#include "path.h"

namespace webserver {

struct FileLookup {
    int status;           // 200, 301 (a directory named without its '/'), 403, 404, 500
    int fd = -1;          // open for reading when status is 200
    toro::Stat stat{};    // the file's, when status is 200
    char path[kMaxPath];  // what was opened (the index.html of a directory)
};

// Opens the regular file `mapped` names, or a directory's index.html. Every
// component from below `root` down is lstat'ed: a symbolic link anywhere is
// refused (403), so no link leads out of the root; so are devices, FIFOs and
// sockets. A directory without index.html is 404.
void look_up(const MappedPath& mapped, std::string_view root, FileLookup* lookup);

}  // namespace webserver
