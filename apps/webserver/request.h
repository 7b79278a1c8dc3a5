// The HTTP/1.1 request head (RFC 9112 §2-§5): the request line and the
// header fields a static file server acts on. Pure: no kernel calls, so the
// unit tests feed it every hostile byte string they like.
#pragma once

#include <cstddef>
#include <string_view>

namespace webserver {

// The request line and all header fields together, terminator included,
// must fit in this many bytes; a longer head is refused (414 or 431).
inline constexpr std::size_t kMaxRequestHead = 8 * 1024;

enum class Method { kGet, kHead, kOther };

enum class ParseStatus {
    kComplete,      // *request describes the first request in the bytes
    kIncomplete,    // no error so far; more bytes are needed
    kBadRequest,    // 400: malformed
    kUriTooLong,    // 414: the request line alone exceeds kMaxRequestHead
    kHeadTooLarge,  // 431: the head exceeds kMaxRequestHead
    kBadVersion,    // 505: HTTP/x.y other than 1.0 and 1.1
};

struct Request {
    Method method = Method::kOther;
    std::string_view target;      // origin-form ("/a/b?q"), points into the bytes
    unsigned minor_version = 1;   // HTTP/1.minor
    bool keep_alive = true;       // from the version and Connection (RFC 9112 §9.3)
    bool has_body = false;        // Content-Length > 0 or Transfer-Encoding: not read
    std::size_t head_length = 0;  // bytes of the head, blank line included
};

// Parses the request at the start of bytes[0, length). A complete line that
// is malformed is reported at once, before the head is complete.
ParseStatus parse_request(const char* bytes, std::size_t length, Request* request);

}  // namespace webserver
