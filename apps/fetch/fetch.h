// fetch: an HTTP/1.1 client over Toro's TCP (its active open), for tests
// against real servers and as an example of a client application.
#pragma once

#include <cstddef>
#include <cstdint>

#include <toro/net.h>

namespace fetch {

struct Url {
    toro::net::Endpoint server;
    const char* host;           // as written, for the Host header
    std::size_t host_length;
    const char* path;           // from its '/' on
};
// "http://A.B.C.D[:PORT][/PATH]": false, with `why` set, for anything else
// (names need DNS, which Toro does not have yet).
bool parse_url(const char* text, Url* url, const char** why);

// The status line and the headers fetch reads: the code, and the body's
// length when the server gave one (else the body runs to the end of the
// stream).
struct ResponseHead {
    unsigned status = 0;
    bool has_length = false;
    std::uint64_t content_length = 0;
    bool chunked = false;
};
// Parses `length` bytes ending in the blank line: false if malformed.
bool parse_response_head(const char* bytes, std::size_t length, ResponseHead* head);

}  // namespace fetch
