// The request head, line by line, as RFC 9112 defines it: §2.2 message
// parsing, §3 the request line, §5 field lines. Every read stays inside
// the bytes given and inside kMaxRequestHead.
#include "request.h"

#include <cstdint>

#include "text.h"

namespace webserver {
namespace {

// What the header fields said, gathered before the blank line ends the head.
struct Fields {
    bool host_seen = false;
    bool content_length_seen = false;
    std::uint64_t content_length = 0;
    bool transfer_encoding = false;
    bool close = false;
    bool keep_alive = false;
};

// RFC 9110 §5.6.2 tchar.
bool is_token_char(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    for (char allowed : std::string_view("!#$%&'*+-.^_`|~")) {
        if (c == static_cast<unsigned char>(allowed)) return true;
    }
    return false;
}

bool is_token(std::string_view candidate) {
    if (candidate.empty()) return false;
    for (char c : candidate) {
        if (!is_token_char(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

bool is_whitespace(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view value) {
    while (!value.empty() && is_whitespace(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_whitespace(value.back())) value.remove_suffix(1);
    return value;
}

// RFC 3986 §3.3 origin-form: a path from '/', visible ASCII only.
bool is_origin_form(std::string_view target) {
    if (target.empty() || target.front() != '/') return false;
    for (char c : target) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7F) return false;
    }
    return true;
}

// "HTTP/1.1": RFC 9112 §2.3, one digit each side of the dot.
ParseStatus parse_version(std::string_view version, Request* request) {
    constexpr std::string_view kPrefix = "HTTP/";
    if (version.size() != kPrefix.size() + 3 ||
        text::slice(version, 0, kPrefix.size()) != kPrefix) {
        return ParseStatus::kBadRequest;
    }
    char major = version[5], dot = version[6], minor = version[7];
    if (major < '0' || major > '9' || dot != '.' || minor < '0' || minor > '9') {
        return ParseStatus::kBadRequest;
    }
    if (major != '1' || minor > '1') return ParseStatus::kBadVersion;
    request->minor_version = static_cast<unsigned>(minor - '0');
    return ParseStatus::kComplete;
}

// RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
ParseStatus parse_request_line(std::string_view line, Request* request) {
    std::size_t first_space = text::find(line, ' ');
    if (first_space == text::kNotFound) return ParseStatus::kBadRequest;
    std::size_t second_space = text::find(line, ' ', first_space + 1);
    if (second_space == text::kNotFound) return ParseStatus::kBadRequest;
    std::string_view method = text::slice(line, 0, first_space);
    std::string_view target = text::slice(line, first_space + 1, second_space - first_space - 1);
    if (!is_token(method) || !is_origin_form(target)) return ParseStatus::kBadRequest;
    // Methods are case-sensitive (RFC 9110 §9.1).
    request->method = method == "GET"    ? Method::kGet
                      : method == "HEAD" ? Method::kHead
                                         : Method::kOther;
    request->target = target;
    return parse_version(text::slice(line, second_space + 1), request);
}

// Digits only (RFC 9110 §8.6); a list or a sign is refused, as is overflow.
bool parse_content_length(std::string_view value, std::uint64_t* length) {
    if (value.empty() || value.size() > 18) return false;
    std::uint64_t result = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
        result = result * 10 + static_cast<std::uint64_t>(c - '0');
    }
    *length = result;
    return true;
}

// Connection: a comma-separated list of options (RFC 9110 §7.6.1).
void parse_connection(std::string_view value, Fields* fields) {
    while (!value.empty()) {
        std::size_t comma = text::find(value, ',');
        std::string_view option = trim(text::slice(value, 0, comma));
        if (text::equals_ignoring_case(option, "close")) fields->close = true;
        if (text::equals_ignoring_case(option, "keep-alive")) fields->keep_alive = true;
        if (comma == text::kNotFound) break;
        value.remove_prefix(comma + 1);
    }
}

// RFC 9110 §5.5: field-value bytes are VCHAR, SP, HTAB and obs-text.
bool is_field_value(std::string_view value) {
    for (char c : value) {
        auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return false;
    }
    return true;
}

// RFC 9112 §5: name ":" OWS value OWS; no space before the colon, no
// obsolete line folding (both are refused with 400, as §5.1 and §5.2 allow).
ParseStatus parse_field(std::string_view line, Fields* fields) {
    std::size_t colon = text::find(line, ':');
    if (colon == text::kNotFound) return ParseStatus::kBadRequest;
    std::string_view name = text::slice(line, 0, colon);
    std::string_view value = trim(text::slice(line, colon + 1));
    if (!is_token(name) || !is_field_value(value)) return ParseStatus::kBadRequest;
    if (text::equals_ignoring_case(name, "host")) {
        if (fields->host_seen) return ParseStatus::kBadRequest;  // RFC 9112 §3.2
        fields->host_seen = true;
    } else if (text::equals_ignoring_case(name, "content-length")) {
        std::uint64_t length = 0;
        if (!parse_content_length(value, &length)) return ParseStatus::kBadRequest;
        if (fields->content_length_seen && length != fields->content_length) {
            return ParseStatus::kBadRequest;
        }
        fields->content_length_seen = true;
        fields->content_length = length;
    } else if (text::equals_ignoring_case(name, "transfer-encoding")) {
        fields->transfer_encoding = true;
    } else if (text::equals_ignoring_case(name, "connection")) {
        parse_connection(value, fields);
    }
    return ParseStatus::kComplete;
}

// The blank line came: what the fields mean together.
ParseStatus finish(const Fields& fields, Request* request) {
    if (request->minor_version == 1 && !fields.host_seen) return ParseStatus::kBadRequest;
    // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only if "keep-alive".
    request->keep_alive = !fields.close && (request->minor_version == 1 || fields.keep_alive);
    request->has_body = fields.transfer_encoding || fields.content_length > 0;
    return ParseStatus::kComplete;
}

// A line without its LF and the CR before it; a CR anywhere else is
// refused (RFC 9112 §2.2).
bool take_line(const char* bytes, std::size_t begin, std::size_t end, std::string_view* line) {
    std::string_view line_text(bytes + begin, end - begin);
    if (!line_text.empty() && line_text.back() == '\r') line_text.remove_suffix(1);
    if (text::find(line_text, '\r') != text::kNotFound) return false;
    *line = line_text;
    return true;
}

}  // namespace

ParseStatus parse_request(const char* bytes, std::size_t length, Request* request) {
    *request = Request{};
    const std::size_t window = length < kMaxRequestHead ? length : kMaxRequestHead;
    Fields fields;
    bool have_request_line = false;
    std::size_t position = 0;
    for (;;) {
        std::size_t end = position;
        while (end < window && bytes[end] != '\n') ++end;
        if (end == window) {
            if (length < kMaxRequestHead) return ParseStatus::kIncomplete;
            return have_request_line ? ParseStatus::kHeadTooLarge : ParseStatus::kUriTooLong;
        }
        std::string_view line;
        if (!take_line(bytes, position, end, &line)) return ParseStatus::kBadRequest;
        position = end + 1;
        ParseStatus status = ParseStatus::kComplete;
        if (!have_request_line) {
            if (line.empty()) continue;  // RFC 9112 §2.2: blank lines before it are ignored
            status = parse_request_line(line, request);
            have_request_line = true;
        } else if (line.empty()) {
            request->head_length = position;
            return finish(fields, request);
        } else if (is_whitespace(line.front())) {
            status = ParseStatus::kBadRequest;  // obs-fold
        } else {
            status = parse_field(line, &fields);
        }
        if (status != ParseStatus::kComplete) return status;
    }
}

}  // namespace webserver
