// apps/webserver's mapping of request targets to paths under the document
// root: decoding, and every way of climbing out of the root refused.

#include <gtest/gtest.h>

#include <string>

#include "path.h"

namespace {

using webserver::kMaxPath;
using webserver::MappedPath;
using webserver::PathStatus;

struct Mapping {
    PathStatus status;
    std::string path;
    bool trailing_slash;
};

Mapping map(const std::string& target, const std::string& root = "/www") {
    MappedPath mapped;
    PathStatus status = webserver::map_target(target, root, &mapped);
    if (status != PathStatus::kOk) return {status, "", false};
    return {status, mapped.path, mapped.trailing_slash};
}

TEST(WebserverPath, MapsUnderTheRoot) {
    EXPECT_EQ(map("/index.html").path, "/www/index.html");
    EXPECT_EQ(map("/a/b/c.txt").path, "/www/a/b/c.txt");
    EXPECT_EQ(map("/index.html", "/").path, "/index.html");
    EXPECT_EQ(map("/", "/").path, "/");
    EXPECT_EQ(map("/").path, "/www");
}

TEST(WebserverPath, NotesTheTrailingSlash) {
    EXPECT_TRUE(map("/docs/").trailing_slash);
    EXPECT_FALSE(map("/docs").trailing_slash);
    EXPECT_TRUE(map("/").trailing_slash);
    EXPECT_TRUE(map("/docs/?q=1").trailing_slash);
}

TEST(WebserverPath, DropsTheQuery) {
    EXPECT_EQ(map("/a.html?x=/../../etc").path, "/www/a.html");
    EXPECT_EQ(map("/?").path, "/www");
}

TEST(WebserverPath, DecodesPercentEscapes) {
    EXPECT_EQ(map("/name%20with%20spaces.txt").path, "/www/name with spaces.txt");
    EXPECT_EQ(map("/%41%62%7e").path, "/www/Ab~");
    EXPECT_EQ(map("/%c3%A9").path, "/www/\xc3\xa9");
    EXPECT_EQ(map("/a+b").path, "/www/a+b");  // '+' is not a space in a path
}

TEST(WebserverPath, DropsEmptyAndDotSegments) {
    EXPECT_EQ(map("//a///b/./c/.").path, "/www/a/b/c");
    EXPECT_EQ(map("/%2e/a").path, "/www/a");
    EXPECT_EQ(map("/./").path, "/www");
}

TEST(WebserverPath, RefusesDotDotHoweverItIsSpelled) {
    const char* targets[] = {
        "/..",     "/../",    "/../etc/passwd", "/a/../../b", "/a/..", "/%2e%2e/x",
        "/%2E%2E", "/.%2e/x", "/%2e./x",        "/a/%2e%2e",  "/..?x", "//../x",
    };
    for (const char* target : targets) {
        EXPECT_EQ(map(target).status, PathStatus::kBadRequest) << target;
        EXPECT_EQ(map(target, "/").status, PathStatus::kBadRequest) << target;
    }
    // Segments that only contain dots are names like any other.
    EXPECT_EQ(map("/...").path, "/www/...");
    EXPECT_EQ(map("/..a").path, "/www/..a");
    EXPECT_EQ(map("/a..").path, "/www/a..");
}

TEST(WebserverPath, RefusesEncodedSlashesAndNul) {
    const char* targets[] = {"/a%2Fb", "/a%2fb",    "/..%2F..%2Fetc", "/%2F",
                             "/a%00",  "/%00.html", "/%5c..%2f"};
    for (const char* target : targets) {
        EXPECT_EQ(map(target).status, PathStatus::kBadRequest) << target;
    }
    // A backslash is an ordinary byte in an ext2 name, not a separator.
    EXPECT_EQ(map("/a%5Cb").path, "/www/a\\b");
}

TEST(WebserverPath, RefusesBadEscapes) {
    const char* targets[] = {"/%", "/a%", "/a%2", "/%g0", "/%0g", "/%%", "/%-1", "/% 1", "/%2%46"};
    for (const char* target : targets) {
        EXPECT_EQ(map(target).status, PathStatus::kBadRequest) << target;
    }
}

TEST(WebserverPath, RefusesTargetsNotFromSlash) {
    EXPECT_EQ(map("").status, PathStatus::kBadRequest);
    EXPECT_EQ(map("index.html").status, PathStatus::kBadRequest);
    EXPECT_EQ(map("?/x").status, PathStatus::kBadRequest);
}

TEST(WebserverPath, ALongPathIsTooLongNotTruncated) {
    std::string fits = "/" + std::string(kMaxPath - 1 - 5, 'a');  // "/www" + it + NUL
    EXPECT_EQ(map(fits).path.size(), kMaxPath - 1);
    EXPECT_EQ(map(fits + "a").status, PathStatus::kTooLong);
    EXPECT_EQ(map("/" + std::string(3 * kMaxPath, 'a')).status, PathStatus::kTooLong);
    // Escapes shrink: three bytes of target make one of path.
    std::string escaped = "/";
    for (std::size_t i = 0; i < kMaxPath - 1 - 5; ++i) escaped += "%61";
    EXPECT_EQ(map(escaped).path, map(fits).path);
}

}  // namespace
