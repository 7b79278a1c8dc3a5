// Percent-decoding and segment checks, one segment at a time.
#include "path.h"

#include "text.h"

namespace webserver {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Appends bytes to a bounded, NUL-terminated path.
class PathBuilder {
  public:
    explicit PathBuilder(char* out) : out_(out) { out_[0] = '\0'; }
    bool append(char c) {
        if (length_ + 1 >= kMaxPath) return false;
        out_[length_++] = c;
        out_[length_] = '\0';
        return true;
    }
    bool append(std::string_view text) {
        for (char c : text) {
            if (!append(c)) return false;
        }
        return true;
    }
    std::size_t length() const { return length_; }
    std::string_view since(std::size_t start) const { return {out_ + start, length_ - start}; }
    void truncate(std::size_t length) {
        length_ = length;
        out_[length_] = '\0';
    }

  private:
    char* out_;
    std::size_t length_ = 0;
};

// Decodes one raw segment (no '/') onto `builder`. An encoded '/' or NUL
// is refused: either would make the decoded path mean something the
// segment structure did not (RFC 3986 §7.3).
PathStatus append_decoded(std::string_view raw, PathBuilder* builder) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            if (raw.size() - i < 3) return PathStatus::kBadRequest;  // "%" or "%4" at the end
            int high = hex_value(raw[i + 1]), low = hex_value(raw[i + 2]);
            if (high < 0 || low < 0) return PathStatus::kBadRequest;
            c = static_cast<char>(high * 16 + low);
            if (c == '/' || c == '\0') return PathStatus::kBadRequest;
            i += 2;
        }
        if (!builder->append(c)) return PathStatus::kTooLong;
    }
    return PathStatus::kOk;
}

// One segment after the root: "" and "." add nothing; ".." is refused,
// whether it came literally or as "%2e%2e".
PathStatus append_segment(std::string_view raw, PathBuilder* builder) {
    std::size_t before = builder->length();
    if (!builder->append('/')) return PathStatus::kTooLong;
    PathStatus status = append_decoded(raw, builder);
    if (status != PathStatus::kOk) return status;
    std::string_view decoded = builder->since(before + 1);
    if (decoded == "..") return PathStatus::kBadRequest;
    if (decoded.empty() || decoded == ".") builder->truncate(before);
    return PathStatus::kOk;
}

}  // namespace

PathStatus map_target(std::string_view target, std::string_view root, MappedPath* out) {
    out->trailing_slash = false;
    PathBuilder builder(out->path);
    std::size_t query = text::find(target, '?');
    if (query != text::kNotFound) target = text::slice(target, 0, query);
    if (target.empty() || target.front() != '/') return PathStatus::kBadRequest;
    if (root == "/") root = "";
    if (!builder.append(root)) return PathStatus::kTooLong;
    std::string_view rest = text::slice(target, 1);
    for (;;) {
        std::size_t slash = text::find(rest, '/');
        PathStatus status = append_segment(text::slice(rest, 0, slash), &builder);
        if (status != PathStatus::kOk) return status;
        if (slash == text::kNotFound) break;
        rest.remove_prefix(slash + 1);
    }
    out->trailing_slash = target.back() == '/';
    if (builder.length() == 0 && !builder.append('/')) return PathStatus::kTooLong;
    return PathStatus::kOk;
}

}  // namespace webserver
