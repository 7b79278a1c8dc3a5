// From a request target to a path under the document root (RFC 3986 §2.1
// percent-decoding, §3.3 path segments). Pure: the unit tests give it every
// escape attempt they can think of. Symbolic links are the file layer's
// business (files.h): this only guarantees the path names nothing above
// the root.
#pragma once

#include <cstddef>
#include <string_view>

namespace webserver {

// The longest path handed to the filesystem, NUL included.
inline constexpr std::size_t kMaxPath = 1024;

enum class PathStatus {
    kOk,
    kBadRequest,  // a bad escape, "..", an encoded '/', a NUL
    kTooLong,     // the mapped path would not fit in kMaxPath
};

struct MappedPath {
    char path[kMaxPath];  // NUL-terminated: root, then the segments
    bool trailing_slash;  // the target named a directory ("/docs/")
};

// Maps `target` (origin-form, from the parser; any query is dropped) under
// `root` (an absolute directory, "/" or "/www" without a trailing slash).
// Empty and "." segments are dropped; a ".." segment, before or after
// decoding, is refused rather than resolved, so no request climbs out.
PathStatus map_target(std::string_view target, std::string_view root, MappedPath* out);

}  // namespace webserver
