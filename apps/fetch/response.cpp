// The status line and the two headers that frame a body (RFC 9112 §4,
// §6.3): Content-Length and Transfer-Encoding.
#include "fetch.h"

namespace fetch {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool names_equal(const char* name, std::size_t length, const char* expected) {
    std::size_t i = 0;
    for (; i < length && expected[i] != '\0'; ++i) {
        if (lower(name[i]) != expected[i]) return false;
    }
    return i == length && expected[i] == '\0';
}

bool contains_word(const char* value, std::size_t length, const char* word) {
    for (std::size_t start = 0; start < length; ++start) {
        std::size_t i = 0;
        while (word[i] != '\0' && start + i < length && lower(value[start + i]) == word[i]) ++i;
        if (word[i] == '\0') return true;
    }
    return false;
}

// One "Name: value" line (without its CRLF).
bool parse_header(const char* line, std::size_t length, ResponseHead* head) {
    std::size_t colon = 0;
    while (colon < length && line[colon] != ':') ++colon;
    if (colon == 0 || colon == length) return false;
    const char* value = line + colon + 1;
    std::size_t value_length = length - colon - 1;
    while (value_length > 0 && (*value == ' ' || *value == '\t')) ++value, --value_length;
    if (names_equal(line, colon, "content-length")) {
        if (value_length == 0) return false;
        std::uint64_t number = 0;
        for (std::size_t i = 0; i < value_length; ++i) {
            if (value[i] == ' ' || value[i] == '\t') break;
            if (value[i] < '0' || value[i] > '9' || number > (~std::uint64_t{0} - 9) / 10) return false;
            number = number * 10 + static_cast<std::uint64_t>(value[i] - '0');
        }
        head->has_length = true;
        head->content_length = number;
    } else if (names_equal(line, colon, "transfer-encoding")) {
        head->chunked = contains_word(value, value_length, "chunked");
    }
    return true;
}

}  // namespace

bool parse_response_head(const char* bytes, std::size_t length, ResponseHead* head) {
    *head = ResponseHead{};
    // "HTTP/1.x NNN reason"
    if (length < 12 || bytes[0] != 'H' || bytes[1] != 'T' || bytes[2] != 'T' || bytes[3] != 'P' ||
        bytes[4] != '/' || bytes[8] != ' ') {
        return false;
    }
    for (int i = 9; i < 12; ++i) {
        if (bytes[i] < '0' || bytes[i] > '9') return false;
        head->status = head->status * 10 + static_cast<unsigned>(bytes[i] - '0');
    }
    std::size_t at = 0;
    while (at + 1 < length && !(bytes[at] == '\r' && bytes[at + 1] == '\n')) ++at;
    at += 2;
    while (at + 1 < length) {
        std::size_t end = at;
        while (end + 1 < length && !(bytes[end] == '\r' && bytes[end + 1] == '\n')) ++end;
        if (end == at) break;  // the blank line
        if (end + 1 >= length || !parse_header(bytes + at, end - at, head)) return false;
        at = end + 2;
    }
    return true;
}

}  // namespace fetch
