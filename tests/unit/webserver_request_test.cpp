// apps/webserver's request parser on hostile bytes: every truncation of
// good requests, malformed lines, oversized heads, pipelined requests.
// Each input is parsed from a heap copy of exactly its length, so the
// sanitized build catches any read past the end.

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "request.h"

namespace {

using namespace std::string_literals;
using webserver::kMaxRequestHead;
using webserver::Method;
using webserver::ParseStatus;
using webserver::Request;

// The last input's copy: it lives until the next parse, as a request's
// target points into it.
std::unique_ptr<char[]> last_copy;

ParseStatus parse(const std::string& text, Request* request) {
    last_copy.reset(new char[text.size()]);
    text.copy(last_copy.get(), text.size());
    return webserver::parse_request(last_copy.get(), text.size(), request);
}

ParseStatus parse(const std::string& text) {
    Request request;
    return parse(text, &request);
}

const std::string kSimple = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";

TEST(WebserverRequest, ParsesASimpleGet) {
    Request request;
    ASSERT_EQ(parse(kSimple, &request), ParseStatus::kComplete);
    EXPECT_EQ(request.method, Method::kGet);
    EXPECT_EQ(request.target, "/index.html");
    EXPECT_EQ(request.minor_version, 1u);
    EXPECT_TRUE(request.keep_alive);
    EXPECT_FALSE(request.has_body);
    EXPECT_EQ(request.head_length, kSimple.size());
}

TEST(WebserverRequest, EveryTruncationOfGoodRequestsIsIncomplete) {
    const std::string requests[] = {
        kSimple,
        "HEAD /a%20b?x=1 HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: t\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",  // bare LFs (RFC 9112 §2.2 allows them)
        "\r\n\r\nGET / HTTP/1.1\r\nHost:x\r\nContent-Length: 0\r\n\r\n",
    };
    for (const std::string& text : requests) {
        for (std::size_t length = 0; length < text.size(); ++length) {
            EXPECT_EQ(parse(text.substr(0, length)), ParseStatus::kIncomplete)
                << "prefix of " << length << " bytes of " << text;
        }
        EXPECT_EQ(parse(text), ParseStatus::kComplete) << text;
    }
}

TEST(WebserverRequest, EveryTruncationOfBadRequestsIsNeverComplete) {
    const std::string requests[] = {
        "GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n"s,
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r",
        "G\rET / HTTP/1.1\r\n\r\n",
    };
    for (const std::string& text : requests) {
        for (std::size_t length = 0; length <= text.size(); ++length) {
            EXPECT_NE(parse(text.substr(0, length)), ParseStatus::kComplete) << length;
        }
    }
}

TEST(WebserverRequest, MalformedRequestLinesAreBadRequests) {
    const char* lines[] = {
        "GET\r\n",
        "GET /\r\n",
        "GET  / HTTP/1.1\r\n",
        "GET / HTTP/1.1 \r\n",
        " GET / HTTP/1.1\r\n",
        "GET / http/1.1\r\n",
        "GET / HTTP/1\r\n",
        "GET / HTTP/1.10\r\n",
        "GET / HTTP/a.b\r\n",
        "GET index.html HTTP/1.1\r\n",
        "GET http://x/ HTTP/1.1\r\n",
        "G(T / HTTP/1.1\r\n",
        "GET /a\tb HTTP/1.1\r\n",
        "GET /\x7f HTTP/1.1\r\n",
        "GET /\xc3\xa9 HTTP/1.1\r\n",
        "GET / HTTP/1.1\rX\r\n",
        "GET /\r HTTP/1.1\r\n",
    };
    for (const char* line : lines) {
        EXPECT_EQ(parse(std::string(line) + "Host: x\r\n\r\n"), ParseStatus::kBadRequest) << line;
    }
    EXPECT_EQ(parse("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n"s), ParseStatus::kBadRequest);
}

TEST(WebserverRequest, OtherVersionsAreNotSupported) {
    EXPECT_EQ(parse("GET / HTTP/2.0\r\n\r\n"), ParseStatus::kBadVersion);
    EXPECT_EQ(parse("GET / HTTP/1.2\r\n\r\n"), ParseStatus::kBadVersion);
    EXPECT_EQ(parse("GET / HTTP/0.9\r\n\r\n"), ParseStatus::kBadVersion);
}

TEST(WebserverRequest, MalformedFieldsAreBadRequests) {
    const char* fields[] = {
        "Host x",    // no colon
        "Host : x",  // space before the colon (RFC 9112 §5.1)
        ": x",       // no name
        " folded",   // obs-fold (RFC 9112 §5.2)
        "\tfolded",
        "X-A\x01: y",
        "X-A: a\x01z",  // a control byte in the value
        "X-A: a\x7fz",
        "Content-Length: -1",
        "Content-Length: 1x",
        "Content-Length: 99999999999999999999",
        "Content-Length: 1, 1",
        "Host: y",  // a second Host (RFC 9112 §3.2)
    };
    for (const char* field : fields) {
        std::string text = std::string("GET / HTTP/1.1\r\nHost: x\r\n") + field + "\r\n\r\n";
        EXPECT_EQ(parse(text), ParseStatus::kBadRequest) << field;
    }
    std::string nul = std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a") + '\0' + "b\r\n\r\n";
    EXPECT_EQ(parse(nul), ParseStatus::kBadRequest);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
              ParseStatus::kBadRequest);
}

TEST(WebserverRequest, Http11NeedsHost) {
    EXPECT_EQ(parse("GET / HTTP/1.1\r\n\r\n"), ParseStatus::kBadRequest);
    EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n"), ParseStatus::kComplete);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n"), ParseStatus::kComplete);
}

TEST(WebserverRequest, ErrorsInCompleteLinesComeBeforeTheHeadEnds) {
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost x\r\n"), ParseStatus::kBadRequest);
    EXPECT_EQ(parse("BAD LINE\r\n"), ParseStatus::kBadRequest);
}

TEST(WebserverRequest, KeepAliveFollowsVersionAndConnection) {
    struct Case {
        const char* text;
        bool keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: x\r\nconnection: Upgrade, CLOSE\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
    };
    for (const Case& c : cases) {
        Request request;
        ASSERT_EQ(parse(c.text, &request), ParseStatus::kComplete) << c.text;
        EXPECT_EQ(request.keep_alive, c.keep_alive) << c.text;
    }
}

TEST(WebserverRequest, MethodsAreCaseSensitiveTokens) {
    Request request;
    ASSERT_EQ(parse("HEAD / HTTP/1.0\r\n\r\n", &request), ParseStatus::kComplete);
    EXPECT_EQ(request.method, Method::kHead);
    ASSERT_EQ(parse("get / HTTP/1.0\r\n\r\n", &request), ParseStatus::kComplete);
    EXPECT_EQ(request.method, Method::kOther);
    ASSERT_EQ(parse("DELETE / HTTP/1.0\r\n\r\n", &request), ParseStatus::kComplete);
    EXPECT_EQ(request.method, Method::kOther);
}

TEST(WebserverRequest, BodiesAreNoticed) {
    Request request;
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", &request),
              ParseStatus::kComplete);
    EXPECT_TRUE(request.has_body);
    ASSERT_EQ(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &request),
              ParseStatus::kComplete);
    EXPECT_TRUE(request.has_body);
}

std::string request_with_target_of(std::size_t length) {
    return "GET /" + std::string(length - 1, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

TEST(WebserverRequest, AnOverlongRequestLineIsUriTooLong) {
    // Whatever arrives after the limit is never looked at.
    std::string text = "GET /" + std::string(kMaxRequestHead, 'a');
    EXPECT_EQ(parse(text), ParseStatus::kUriTooLong);
    EXPECT_EQ(parse(text.substr(0, kMaxRequestHead - 1)), ParseStatus::kIncomplete);
    EXPECT_EQ(parse(request_with_target_of(kMaxRequestHead)), ParseStatus::kUriTooLong);
}

TEST(WebserverRequest, AHeadOfExactlyTheLimitIsAcceptedAndOneMoreIsNot) {
    std::string fixed = "GET / HTTP/1.1\r\nHost: x\r\nX: \r\n\r\n";
    std::string fits =
        "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(kMaxRequestHead - fixed.size(), 'v') +
        "\r\n\r\n";
    ASSERT_EQ(fits.size(), kMaxRequestHead);
    Request request;
    EXPECT_EQ(parse(fits, &request), ParseStatus::kComplete);
    EXPECT_EQ(request.head_length, kMaxRequestHead);
    std::string over =
        "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(kMaxRequestHead - fixed.size() + 1, 'v') +
        "\r\n\r\n";
    EXPECT_EQ(parse(over), ParseStatus::kHeadTooLarge);
    std::string many_fields = "GET / HTTP/1.1\r\n";
    while (many_fields.size() <= kMaxRequestHead) many_fields += "X: y\r\n";
    EXPECT_EQ(parse(many_fields), ParseStatus::kHeadTooLarge);
}

TEST(WebserverRequest, PipelinedRequestsParseOneAfterAnother) {
    std::string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    std::string second = "HEAD /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string third = "GET /c HTTP/1.1\r\nHo";
    std::string all = first + second + third;
    Request request;
    ASSERT_EQ(parse(all, &request), ParseStatus::kComplete);
    EXPECT_EQ(request.target, "/a");
    ASSERT_EQ(request.head_length, first.size());
    std::string rest = all.substr(request.head_length);
    ASSERT_EQ(parse(rest, &request), ParseStatus::kComplete);
    EXPECT_EQ(request.target, "/b");
    EXPECT_EQ(request.method, Method::kHead);
    EXPECT_FALSE(request.keep_alive);
    EXPECT_EQ(parse(rest.substr(request.head_length)), ParseStatus::kIncomplete);
}

// Random mutations of good requests (bytes replaced, inserted, removed, cut
// short): whatever comes back, a complete request lies inside the bytes,
// and its target is origin-form within its head.
TEST(WebserverRequest, MutatedRequestsKeepTheInvariants) {
    const std::string seeds[] = {
        kSimple,
        "HEAD /a%20b?x=1 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n",
    };
    const char interesting[] = {'\r', '\n', ' ', ':', '\0', '\t', '/', '%', '\x7f', '\xff'};
    std::mt19937 random(20240601);
    int complete = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text = seeds[random() % std::size(seeds)];
        for (unsigned edits = 1 + random() % 4; edits > 0 && !text.empty(); --edits) {
            std::size_t at = random() % text.size();
            char c = random() % 2 ? interesting[random() % sizeof interesting]
                                  : static_cast<char>(random());
            switch (random() % 4) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(at, 1, c);
                    break;
                case 2:
                    text.erase(at, 1);
                    break;
                default:
                    text.resize(at);
                    break;
            }
        }
        Request request;
        if (parse(text, &request) != ParseStatus::kComplete) continue;
        ++complete;
        ASSERT_LE(request.head_length, text.size()) << text;
        ASSERT_FALSE(request.target.empty()) << text;
        ASSERT_EQ(request.target.front(), '/') << text;
        const char* begin = last_copy.get();
        ASSERT_GE(request.target.data(), begin) << text;
        ASSERT_LE(request.target.data() + request.target.size(), begin + request.head_length)
            << text;
        ASSERT_EQ(request.target.find_first_of(std::string(" \r\n\0", 4)), std::string::npos)
            << text;
    }
    // Enough of them still parse for the checks above to mean something.
    EXPECT_GT(complete, 2000);
}

}  // namespace
