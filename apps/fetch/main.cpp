// fetch URL [--out PATH]: GET one URL over HTTP/1.1 and report the status,
// the body's length, its SHA-256 and the rate. With --out the body is
// written to PATH on the first disk (ext2, mounted at /). Exit status 0
// for a 200 whose body arrived whole, 1 otherwise, 2 for bad arguments.
#include <toro/ext2.h>
#include <toro/net.h>
#include <toro/toro.h>

#include "../fstool/sha256.h"
#include "fetch.h"

namespace {

namespace net = toro::net;

constexpr std::size_t kBufferBytes = 64 * 1024;
constexpr std::size_t kMaxHead = 16 * 1024;
constexpr std::uint64_t kConfigureTimeout = 30'000'000'000;

int fail(const char* what, toro::Error error) {
    toro::print("fetch: %s: %s\n", what, toro::error_message(error));
    return 1;
}

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

// Reads until the blank line ending the head; the bytes after it (the
// body's start) stay in `buffer` from `*head_length` to `*filled`.
toro::Error read_head(int socket, char* buffer, std::size_t* filled, std::size_t* head_length) {
    *filled = 0;
    for (;;) {
        for (std::size_t i = 3; i < *filled; ++i) {
            if (buffer[i - 3] == '\r' && buffer[i - 2] == '\n' && buffer[i - 1] == '\r' && buffer[i] == '\n') {
                *head_length = i + 1;
                return toro::Error::kOk;
            }
        }
        if (*filled >= kMaxHead) return toro::Error::kMessageTooLong;
        toro::Result<std::size_t> got = net::receive(socket, buffer + *filled, kMaxHead - *filled);
        if (!got.ok()) return got.error();
        if (*got == 0) return toro::Error::kConnectionReset;  // closed before the head ended
        *filled += *got;
    }
}

struct Body {
    std::uint64_t bytes = 0;
    fstool::Sha256 digest;
    int out = -1;
};

toro::Error take(Body& body, const char* bytes, std::size_t length) {
    body.bytes += length;
    body.digest.update(bytes, length);
    if (body.out >= 0 && length > 0) {
        toro::Result<std::size_t> written = toro::write(body.out, bytes, length);
        if (!written.ok()) return written.error();
    }
    return toro::Error::kOk;
}

int run(const fetch::Url& url, int out) {
    toro::Error error = net::start();
    if (error != toro::Error::kOk) return fail("no network", error);
    error = net::wait_configured(kConfigureTimeout);
    if (error != toro::Error::kOk) return fail("no address", error);
    toro::Result<int> socket = net::socket(net::SocketType::kStream);
    if (!socket.ok()) return fail("socket", socket.error());
    std::uint64_t started = toro::now_ns();
    error = net::connect(*socket, url.server);
    if (error != toro::Error::kOk) return fail("connect", error);
    char request[1024];
    std::size_t length = toro::format(request, sizeof request,
                                      "GET %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: toro-fetch\r\n"
                                      "Connection: close\r\n\r\n",
                                      url.path, static_cast<int>(url.host_length), url.host);
    if (length >= sizeof request) return fail("request", toro::Error::kNameTooLong);
    toro::Result<std::size_t> sent = net::send(*socket, request, length);
    if (!sent.ok()) return fail("send", sent.error());
    auto* buffer = static_cast<char*>(toro::allocate(kBufferBytes));
    if (buffer == nullptr) return fail("buffer", toro::Error::kNoMemory);
    std::size_t filled = 0, head_length = 0;
    error = read_head(*socket, buffer, &filled, &head_length);
    if (error != toro::Error::kOk) return fail("response", error);
    fetch::ResponseHead head;
    if (!fetch::parse_response_head(buffer, head_length, &head)) return fail("response", toro::Error::kInvalid);
    if (head.chunked) return fail("response", toro::Error::kNotSupported);  // chunked: not yet
    Body body;
    body.out = out;
    error = take(body, buffer + head_length, filled - head_length);
    if (error != toro::Error::kOk) return fail("write", error);
    while (!head.has_length || body.bytes < head.content_length) {
        toro::Result<std::size_t> got = net::receive(*socket, buffer, kBufferBytes);
        if (!got.ok()) return fail("receive", got.error());
        if (*got == 0) break;
        error = take(body, buffer, *got);
        if (error != toro::Error::kOk) return fail("write", error);
    }
    // Bytes per microsecond are MB/s; integers only (no FPU on bare metal).
    std::uint64_t micros = (toro::now_ns() - started) / 1000;
    std::uint64_t tenths = micros > 0 ? body.bytes * 10 / micros : 0;
    char hex[65];
    body.digest.finish_hex(hex);
    (void)net::close(*socket);
    bool whole = !head.has_length || body.bytes == head.content_length;
    toro::print("fetch: %u, %llu bytes%s in %llu ms (%llu.%llu MB/s), sha256 %s\n", head.status,
                static_cast<unsigned long long>(body.bytes), whole ? "" : " (cut short)",
                static_cast<unsigned long long>(micros / 1000), static_cast<unsigned long long>(tenths / 10),
                static_cast<unsigned long long>(tenths % 10), hex);
    toro::free(buffer);
    return head.status == 200 && whole ? 0 : 1;
}

}  // namespace

int toro_main(int argc, char** argv) {
    const char* why = nullptr;
    fetch::Url url;
    bool arguments_ok = (argc == 2 || (argc == 4 && same(argv[2], "--out")));
    if (!arguments_ok || !fetch::parse_url(argv[1], &url, &why)) {
        if (why != nullptr) toro::print("fetch: %s: %s\n", argv[1], why);
        toro::print("usage: fetch http://ADDRESS[:PORT]/PATH [--out PATH]\n");
        return 2;
    }
    int out = -1;
    if (argc == 4) {
        toro::Disk* disk = toro::disk(0);
        if (disk == nullptr) return fail("--out", toro::Error::kNoDevice);
        toro::Error mounted = toro::mount("/", disk, toro::ext2_file_system);
        if (mounted != toro::Error::kOk) return fail("mount", mounted);
        toro::Result<int> file = toro::open(argv[3], toro::kOpenWrite | toro::kOpenCreate | toro::kOpenTruncate);
        if (!file.ok()) return fail(argv[3], file.error());
        out = *file;
    }
    int status = run(url, out);
    if (out >= 0) {
        (void)toro::close(out);
        (void)toro::unmount("/");
    }
    return status;
}
