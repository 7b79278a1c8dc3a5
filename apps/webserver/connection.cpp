// Keep-alive and pipelining (RFC 9112 §9.3): the bytes a connection sent
// are parsed in order, so several requests in one segment are answered one
// after the other; a request is read only once the previous one is answered.
#include "connection.h"

#include <toro/fs.h>
#include <toro/memory.h>
#include <toro/net.h>
#include <toro/print.h>
#include <toro/thread.h>

#include "files.h"
#include "path.h"
#include "request.h"
#include "response.h"
#include "text.h"

namespace webserver {
namespace {

namespace net = toro::net;

struct Connection {
    int socket;
    const ServerConfig* config;
    char* head;  // kMaxRequestHead bytes: what has arrived, unparsed
    std::size_t buffered;
    std::uint64_t head_deadline_ns;  // the current head must be complete by then
    char* chunk;                     // kFileChunk bytes: a response head and file data
    bool stalled;                    // the client stopped reading: reset, don't linger
};

enum class ReadOutcome { kData, kEnd, kTimedOut, kError };

// Waits for bytes with the timeout that applies: idle between requests,
// or the request timeout (bounded by the head's overall deadline) within one.
ReadOutcome fill(Connection* connection) {
    std::uint64_t now = toro::now_ns();
    std::uint64_t timeout = kIdleTimeoutNs;
    if (connection->buffered > 0) {
        if (now >= connection->head_deadline_ns) return ReadOutcome::kTimedOut;
        std::uint64_t left = connection->head_deadline_ns - now;
        timeout = left < kRequestTimeoutNs ? left : kRequestTimeoutNs;  // bounded by --head-timeout
    }
    net::WaitEntry entry{connection->socket, net::kReadable, 0};
    toro::Result<std::size_t> ready = net::wait(&entry, 1, timeout);
    if (!ready.ok()) return ReadOutcome::kError;
    if (*ready == 0) return ReadOutcome::kTimedOut;
    toro::Result<std::size_t> received =
        net::receive(connection->socket, connection->head + connection->buffered,
                     kMaxRequestHead - connection->buffered);
    if (!received.ok()) return ReadOutcome::kError;
    if (*received == 0) return ReadOutcome::kEnd;
    if (connection->buffered == 0) connection->head_deadline_ns = now + connection->config->head_timeout_ns;
    connection->buffered += *received;
    return ReadOutcome::kData;
}

// Drops the answered request's head; a pipelined one after it moves up.
void consume(Connection* connection, std::size_t length) {
    std::size_t rest = connection->buffered - length;
    for (std::size_t i = 0; i < rest; ++i) connection->head[i] = connection->head[length + i];
    connection->buffered = rest;
    if (rest > 0) connection->head_deadline_ns = toro::now_ns() + connection->config->head_timeout_ns;
}

// send() would block for as long as the client does not read; a client
// that stops reading must not hold its thread for ever, so a stall of
// the send timeout (ServerConfig::send_timeout_ns) ends the connection (with a reset: see close_gracefully).
bool send_all(Connection& connection, const char* bytes, std::size_t length) {
    while (length > 0) {
        toro::Result<std::size_t> sent =
            net::send(connection.socket, bytes, length, net::kDontWait);
        if (sent.ok()) {
            bytes += *sent;
            length -= *sent;
            continue;
        }
        if (sent.error() != toro::Error::kWouldBlock) return false;
        net::WaitEntry entry{connection.socket, net::kWritable, 0};
        toro::Result<std::size_t> ready = net::wait(&entry, 1, connection.config->send_timeout_ns);
        if (!ready.ok() || *ready == 0) {
            connection.stalled = true;
            return false;
        }
    }
    return true;
}

std::int64_t now_seconds() {
    return static_cast<std::int64_t>(toro::wall_clock_ns() / 1'000'000'000);
}

// A status with a one-line text body (none for HEAD). False if the
// connection is to end.
bool send_status(Connection& connection, int status, bool keep_alive, bool head_only,
                 std::string_view location = {}) {
    char body[64];
    std::size_t body_length =
        toro::format(body, sizeof body, "%d %s\n", status, reason_phrase(status));
    ResponseHead head;
    head.status = status;
    head.content_type = "text/plain; charset=utf-8";
    head.content_length = body_length;
    head.date = now_seconds();
    head.keep_alive = keep_alive;
    head.location = location;
    std::size_t length = format_head(head, connection.chunk, kFileChunk - sizeof body);
    if (length == 0) return false;
    if (!head_only) {
        for (std::size_t i = 0; i < body_length; ++i) connection.chunk[length + i] = body[i];
        length += body_length;
    }
    return send_all(connection, connection.chunk, length) && keep_alive;
}

// The head, then the file in kFileChunk steps; the head shares the first
// step's send so a small file leaves in one segment.
bool send_file(Connection& connection, const FileLookup& file, bool keep_alive, bool head_only) {
    ResponseHead head;
    head.content_type = content_type_for(text::of(file.path));
    head.content_length = file.stat.size;
    head.last_modified = file.stat.modify_time;
    head.date = now_seconds();
    head.keep_alive = keep_alive;
    std::size_t used = format_head(head, connection.chunk, kFileChunk);
    if (used == 0) return false;
    if (head_only) return send_all(connection, connection.chunk, used) && keep_alive;
    std::uint64_t offset = 0;
    do {
        std::uint64_t left = file.stat.size - offset;
        std::size_t room = kFileChunk - used;
        std::size_t want = left < room ? static_cast<std::size_t>(left) : room;
        toro::Result<std::size_t> read =
            toro::pread(file.fd, connection.chunk + used, want, offset);
        // A short or failed read cannot be told to the client once the
        // Content-Length is out: ending the connection is the only honest signal.
        if (!read.ok() || (*read == 0 && want > 0)) return false;
        if (!send_all(connection, connection.chunk, used + *read)) return false;
        offset += *read;
        used = 0;
    } while (offset < file.stat.size);
    return keep_alive;
}

// "/docs?x" -> "/docs/" for a directory named without its slash.
bool send_redirect(Connection& connection, const Request& request, bool keep_alive) {
    std::string_view path = text::slice(request.target, 0, text::find(request.target, '?'));
    char location[kMaxRequestHead];
    if (path.size() + 1 > sizeof location) return false;
    for (std::size_t i = 0; i < path.size(); ++i) location[i] = path[i];
    location[path.size()] = '/';
    return send_status(connection, 301, keep_alive, request.method == Method::kHead,
                       {location, path.size() + 1});
}

// Answers one parsed request. False if the connection is to end after it.
bool respond(Connection& connection, const Request& request) {
    // A body is not read, so what follows it cannot be parsed: close.
    const bool keep_alive = request.keep_alive && !request.has_body;
    const bool head_only = request.method == Method::kHead;
    if (request.method == Method::kOther) return send_status(connection, 405, keep_alive, false);
    MappedPath mapped;
    PathStatus mapping = map_target(request.target, connection.config->root, &mapped);
    if (mapping == PathStatus::kBadRequest) return send_status(connection, 400, false, head_only);
    if (mapping == PathStatus::kTooLong) return send_status(connection, 414, false, head_only);
    FileLookup file;
    look_up(mapped, connection.config->root, &file);
    if (file.status == 301) return send_redirect(connection, request, keep_alive);
    if (file.status != 200) return send_status(connection, file.status, keep_alive, head_only);
    bool keep = send_file(connection, file, keep_alive, head_only);
    (void)toro::close(file.fd);
    return keep;
}

int status_for(ParseStatus status) {
    switch (status) {
        case ParseStatus::kUriTooLong:
            return 414;
        case ParseStatus::kHeadTooLarge:
            return 431;
        case ParseStatus::kBadVersion:
            return 505;
        default:
            return 400;
    }
}

// Sends our FIN, then reads and drops what the client still sends for a
// while: closing with unread bytes would reset the connection, and a reset
// can destroy the response the client has not read yet (RFC 9112 §9.6).
void close_gracefully(const Connection& connection) {
    constexpr std::uint64_t kLingerNs = 2'000'000'000;
    if (connection.stalled) {
        // Its unread bytes would wait on a zero window for ever.
        (void)net::set_option(connection.socket, net::SocketOption::kLingerAbort, 1);
        (void)net::close(connection.socket);
        return;
    }
    (void)net::shutdown(connection.socket);
    std::uint64_t deadline = toro::now_ns() + kLingerNs;
    for (std::uint64_t now = toro::now_ns(); now < deadline; now = toro::now_ns()) {
        net::WaitEntry entry{connection.socket, net::kReadable, 0};
        toro::Result<std::size_t> ready = net::wait(&entry, 1, deadline - now);
        if (!ready.ok() || *ready == 0) break;
        toro::Result<std::size_t> dropped =
            net::receive(connection.socket, connection.head, kMaxRequestHead);
        if (!dropped.ok() || *dropped == 0) break;
    }
    (void)net::close(connection.socket);
}

void serve(Connection* connection) {
    for (;;) {
        Request request;
        ParseStatus status = parse_request(connection->head, connection->buffered, &request);
        if (status == ParseStatus::kComplete) {
            bool keep = respond(*connection, request);
            consume(connection, request.head_length);
            if (!keep) return;
            continue;
        }
        if (status != ParseStatus::kIncomplete) {
            (void)send_status(*connection, status_for(status), false, false);
            return;
        }
        ReadOutcome outcome = fill(connection);
        if (outcome == ReadOutcome::kTimedOut && connection->buffered > 0) {
            (void)send_status(*connection, 408, false, false);  // RFC 9110 §15.5.9
        }
        if (outcome != ReadOutcome::kData) return;
    }
}

}  // namespace

void serve_connection(int socket, const ServerConfig& config) {
    Connection connection{socket, &config, nullptr, 0, 0, nullptr, false};
    connection.head = static_cast<char*>(toro::allocate(kMaxRequestHead));
    connection.chunk = static_cast<char*>(toro::allocate(kFileChunk));
    if (connection.head != nullptr && connection.chunk != nullptr) {
        // Each send is a whole chunk or a response's end: nothing for Nagle
        // to gather, and its wait would stall a keep-alive client's next request.
        (void)net::set_option(socket, net::SocketOption::kNoDelay, 1);
        serve(&connection);
        close_gracefully(connection);
    } else {
        (void)net::set_option(socket, net::SocketOption::kLingerAbort, 1);
        (void)net::close(socket);
    }
    toro::free(connection.head);
    toro::free(connection.chunk);
}

}  // namespace webserver
