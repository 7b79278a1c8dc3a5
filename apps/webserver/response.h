// The response head (RFC 9112 §4 status line, RFC 9110 fields): pure
// formatting into a caller's buffer, so the unit tests can read it back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace webserver {

// RFC 9110 §15's phrase for the statuses this server sends ("" otherwise).
const char* reason_phrase(int status);

// The media type for a file name's extension (RFC 9110 §8.3);
// application/octet-stream when the extension is unknown.
const char* content_type_for(std::string_view path);

// RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29
// characters and a NUL. Seconds before 1970 are written as 1970's first.
inline constexpr std::size_t kHttpDateSize = 30;
void format_http_date(std::int64_t seconds_since_1970, char out[kHttpDateSize]);

struct ResponseHead {
    int status = 200;
    const char* content_type = nullptr;  // omitted when null
    std::uint64_t content_length = 0;    // always sent
    std::int64_t last_modified = -1;     // seconds since 1970; omitted when < 0
    std::int64_t date = -1;              // now; omitted when < 0
    bool keep_alive = true;
    std::string_view location;  // for 301; omitted when empty
};

// Writes the status line, the fields and the blank line. Returns the
// length, or 0 if `capacity` is too small (nothing useful is written).
std::size_t format_head(const ResponseHead& head, char* out, std::size_t capacity);

}  // namespace webserver
