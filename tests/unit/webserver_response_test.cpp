// apps/webserver's response heads: dates in IMF-fixdate, media types, and
// the fields each status carries.

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "response.h"

namespace {

std::string http_date(std::int64_t seconds) {
    char out[webserver::kHttpDateSize];
    webserver::format_http_date(seconds, out);
    return out;
}

TEST(WebserverResponse, FormatsImfFixdate) {
    EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 §5.6.7
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(http_date(-5), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(WebserverResponse, DatesAgreeWithTheHostsStrftime) {
    // Every 3 days and 7 hours and a bit, over 1970-2100.
    for (std::int64_t seconds = 0; seconds < 4102444800; seconds += 284407) {
        std::time_t t = static_cast<std::time_t>(seconds);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char expected[64];
        std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        ASSERT_EQ(http_date(seconds), expected) << seconds;
    }
}

TEST(WebserverResponse, MediaTypeByExtension) {
    EXPECT_STREQ(webserver::content_type_for("/www/index.html"), "text/html; charset=utf-8");
    EXPECT_STREQ(webserver::content_type_for("/a/PICTURE.SVG"), "image/svg+xml");
    EXPECT_STREQ(webserver::content_type_for("/a/b.png"), "image/png");
    EXPECT_STREQ(webserver::content_type_for("/big.bin"), "application/octet-stream");
    EXPECT_STREQ(webserver::content_type_for("/a.d/noextension"), "application/octet-stream");
    EXPECT_STREQ(webserver::content_type_for("/a/.html"), "text/html; charset=utf-8");
    EXPECT_STREQ(webserver::content_type_for("/a/b."), "application/octet-stream");
}

std::string head_of(const webserver::ResponseHead& head) {
    char out[1024];
    std::size_t length = webserver::format_head(head, out, sizeof out);
    return std::string(out, length);
}

TEST(WebserverResponse, AFileHeadHasItsFields) {
    webserver::ResponseHead head;
    head.content_type = "text/plain";
    head.content_length = 5242883;
    head.last_modified = 784111777;
    head.date = 0;
    EXPECT_EQ(head_of(head),
              "HTTP/1.1 200 OK\r\nServer: Toro\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
              "Content-Type: text/plain\r\nContent-Length: 5242883\r\n"
              "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: keep-alive\r\n\r\n");
}

TEST(WebserverResponse, MethodNotAllowedSaysWhatIs) {
    webserver::ResponseHead head;
    head.status = 405;
    head.keep_alive = false;
    EXPECT_EQ(head_of(head),
              "HTTP/1.1 405 Method Not Allowed\r\nServer: Toro\r\nContent-Length: 0\r\n"
              "Allow: GET, HEAD\r\nConnection: close\r\n\r\n");
}

TEST(WebserverResponse, ARedirectCarriesItsLocation) {
    webserver::ResponseHead head;
    head.status = 301;
    head.location = std::string_view("/docs/ and more", 6);
    std::string text = head_of(head);
    EXPECT_NE(text.find("\r\nLocation: /docs/\r\n"), std::string::npos) << text;
}

TEST(WebserverResponse, TooSmallABufferGivesNothing) {
    webserver::ResponseHead head;
    head.date = 0;
    char out[1024];
    std::size_t whole = webserver::format_head(head, out, sizeof out);
    ASSERT_GT(whole, 0u);
    for (std::size_t capacity = 0; capacity <= whole; ++capacity) {
        EXPECT_EQ(webserver::format_head(head, out, capacity), 0u) << capacity;
    }
    EXPECT_EQ(webserver::format_head(head, out, whole + 1), whole);
}

}  // namespace
