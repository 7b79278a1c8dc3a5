// Status lines, media types and dates.
#include "response.h"

#include <toro/print.h>

#include "text.h"

namespace webserver {
namespace {

struct MediaType {
    std::string_view extension;
    const char* type;
};

constexpr MediaType kMediaTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"css", "text/css"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"webp", "image/webp"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"xml", "application/xml"},
};

struct CivilDate {
    std::int64_t year;
    unsigned month, day;  // 1-12, 1-31
};

// Days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year
// eras that start on March 1st, so the leap day is each era-year's last.
CivilDate civil_from_days(std::int64_t days) {
    days += 719468;  // from 1970-01-01 to 0000-03-01
    const std::int64_t era = days / 146097;
    const std::int64_t day_of_era = days - era * 146097;
    const std::int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
    const auto day = static_cast<unsigned>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    const auto month =
        static_cast<unsigned>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
    return {year, month, day};
}

}  // namespace

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 301:
            return "Moved Permanently";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 414:
            return "URI Too Long";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "";
    }
}

const char* content_type_for(std::string_view path) {
    std::size_t slash = text::find_last(path, '/');
    std::string_view name = slash == text::kNotFound ? path : text::slice(path, slash + 1);
    std::size_t dot = text::find_last(name, '.');
    if (dot != text::kNotFound) {
        std::string_view extension = text::slice(name, dot + 1);
        for (const MediaType& media : kMediaTypes) {
            if (text::equals_ignoring_case(extension, media.extension)) return media.type;
        }
    }
    return "application/octet-stream";
}

void format_http_date(std::int64_t seconds, char out[kHttpDateSize]) {
    static constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (seconds < 0) seconds = 0;
    // Beyond year 9999 the format has no room: clamp to its last second.
    constexpr std::int64_t kLastSecond = 253402300799;
    if (seconds > kLastSecond) seconds = kLastSecond;
    const std::int64_t days = seconds / 86400;
    const std::int64_t second_of_day = seconds % 86400;
    CivilDate date = civil_from_days(days);
    toro::format(out, kHttpDateSize, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", kDays[days % 7],
                 date.day, kMonths[date.month - 1], static_cast<long long>(date.year),
                 static_cast<long long>(second_of_day / 3600),
                 static_cast<long long>(second_of_day / 60 % 60),
                 static_cast<long long>(second_of_day % 60));
}

std::size_t format_head(const ResponseHead& head, char* out, std::size_t capacity) {
    std::size_t length = toro::format(out, capacity, "HTTP/1.1 %d %s\r\nServer: Toro\r\n",
                                      head.status, reason_phrase(head.status));
    auto add = [&](const char* name, const char* value, std::size_t value_length) {
        if (length < capacity) {
            length += toro::format(out + length, capacity - length, "%s: %.*s\r\n", name,
                                   static_cast<int>(value_length), value);
        }
    };
    char date[kHttpDateSize];
    if (head.date >= 0) {
        format_http_date(head.date, date);
        add("Date", date, kHttpDateSize - 1);
    }
    if (head.content_type != nullptr) add("Content-Type", head.content_type, 200);
    char number[24];
    std::size_t digits = toro::format(number, sizeof number, "%llu",
                                      static_cast<unsigned long long>(head.content_length));
    add("Content-Length", number, digits);
    if (head.last_modified >= 0) {
        format_http_date(head.last_modified, date);
        add("Last-Modified", date, kHttpDateSize - 1);
    }
    if (head.status == 405) add("Allow", "GET, HEAD", 9);
    if (!head.location.empty()) add("Location", head.location.data(), head.location.size());
    const char* connection = head.keep_alive ? "keep-alive" : "close";
    add("Connection", connection, head.keep_alive ? 10 : 5);
    if (length < capacity) length += toro::format(out + length, capacity - length, "\r\n");
    return length < capacity ? length : 0;
}

}  // namespace webserver
