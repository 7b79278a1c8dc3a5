// The script's system calls, answered by the stack's socket calls (the
// layer under toro/net.h's blocking API, which would need a booted machine
// and a real clock): descriptors are the script's (3, 4, ...), mapped to
// the stack's. A call that would block on a blocking socket waits, with
// the clock running, until the stack lets it finish.
#include <cstring>

#include "machine.h"

namespace tcp_scripts {

namespace {

using toro::Error;

// FreeBSD's values, which the scripts' fcntl results are written in.
constexpr std::int64_t kReadWrite = 0x02, kNonBlocking = 0x04;

const char* errno_name(Error error) {
    switch (error) {
        case Error::kOk:
            return "";
        case Error::kNotPermitted:
            return "EPERM";
        case Error::kNoEntry:
            return "ENOENT";
        case Error::kIo:
            return "EIO";
        case Error::kBadDescriptor:
            return "EBADF";
        case Error::kWouldBlock:
            return "EAGAIN";
        case Error::kNoMemory:
            return "ENOMEM";
        case Error::kBusy:
            return "EBUSY";
        case Error::kInvalid:
            return "EINVAL";
        case Error::kTooManyOpen:
            return "EMFILE";
        case Error::kBrokenPipe:
            return "EPIPE";
        case Error::kMessageTooLong:
            return "EMSGSIZE";
        case Error::kNotSupported:
            return "EOPNOTSUPP";
        case Error::kAddressInUse:
            return "EADDRINUSE";
        case Error::kAddressNotAvailable:
            return "EADDRNOTAVAIL";
        case Error::kNetworkDown:
            return "ENETDOWN";
        case Error::kNetworkUnreachable:
            return "ENETUNREACH";
        case Error::kConnectionAborted:
            return "ECONNABORTED";
        case Error::kConnectionReset:
            return "ECONNRESET";
        case Error::kNoBufferSpace:
            return "ENOBUFS";
        case Error::kIsConnected:
            return "EISCONN";
        case Error::kNotConnected:
            return "ENOTCONN";
        case Error::kTimedOut:
            return "ETIMEDOUT";
        case Error::kConnectionRefused:
            return "ECONNREFUSED";
        case Error::kHostUnreachable:
            return "EHOSTUNREACH";
        case Error::kAlready:
            return "EALREADY";
        default:
            return "EIO";
    }
}

// EWOULDBLOCK is EAGAIN on FreeBSD and Linux alike.
std::string canonical_errno(const std::string& name) {
    return name == "EWOULDBLOCK" ? "EAGAIN" : name;
}

Outcome failure(Error error) {
    return {-1, errno_name(error)};
}
Outcome failure(const char* name) {
    return {-1, name};
}

// An argument's value: a number, or a name whose value we know.
std::optional<std::int64_t> integer_of(const Expression& expression) {
    if (expression.kind == Expression::Kind::kInteger) return expression.integer;
    if (expression.kind == Expression::Kind::kList && expression.items.size() == 1) {
        return integer_of(expression.items[0]);
    }
    return std::nullopt;
}
std::string name_of(const Expression& expression) {
    if (expression.kind == Expression::Kind::kName) return expression.text;
    if (expression.kind == Expression::Kind::kList && expression.items.size() == 1)
        return name_of(expression.items[0]);
    return "";
}
// IP_TOS's named values (FreeBSD's netinet/ip.h): the DSCP class
// selectors CS0-CS7 (RFC 2474 §4.2.2), shifted into the TOS byte.
std::optional<std::int64_t> type_of_service_of(const Expression& expression) {
    if (auto value = integer_of(expression)) return value;
    std::string name = name_of(expression);
    const std::string prefix = "IPTOS_DSCP_CS";
    if (name.size() == prefix.size() + 1 && name.compare(0, prefix.size(), prefix) == 0 &&
        name.back() >= '0' && name.back() <= '7') {
        return std::int64_t{name.back() - '0'} << 5;
    }
    return std::nullopt;
}
bool has_flag(const Expression& expression, const std::string& flag) {
    if (expression.kind == Expression::Kind::kName) return expression.text == flag;
    if (expression.kind == Expression::Kind::kOr) {
        for (const Expression& item : expression.items) {
            if (has_flag(item, flag)) return true;
        }
    }
    if (expression.kind == Expression::Kind::kInteger && flag == "O_NONBLOCK") {
        return (expression.integer & kNonBlocking) != 0;
    }
    return false;
}

constexpr std::size_t kBiggestCall = 1 << 20;
std::uint8_t io_buffer[kBiggestCall];

}  // namespace

// FreeBSD rounds a connection's receive buffer up to a multiple of the
// MSS when the handshake fixes it (tcp_mss_update: 65536 becomes 65700 at
// MSS 1460), and the suite's windows and their edges are written for that
// buffer. The stack's buffers are fixed when the connection opens, so the
// socket is given the rounded size from the start.
std::size_t Machine::connection_buffer(std::size_t size) const {
    if (!settings_.round_receive_buffer_to_mss) return size;
    std::size_t mss = settings_.tcp.mss;
    return (size + mss - 1) / mss * mss;
}

ScriptSocket* Machine::socket_for(const Syscall& call) {
    if (call.arguments.empty()) return nullptr;
    std::optional<std::int64_t> fd = integer_of(call.arguments[0]);
    if (!fd) return nullptr;
    auto found = sockets_.find(static_cast<int>(*fd));
    return found == sockets_.end() ? nullptr : &found->second;
}

bool Machine::run_syscall(const Event& event) {
    const Syscall& call = event.syscall;
    if (!call.arguments.empty() && call.name != "socket") {
        if (auto fd = integer_of(call.arguments[0])) last_fd_ = static_cast<int>(*fd);
    }
    std::uint64_t expected_at = event.timing.end == Timing::End::kBlocking
                                    ? event_time_ns(event.timing, true)
                                    : last_event_ns_;
    std::function<std::optional<Outcome>()> continuation;
    Outcome outcome = this->call(event, &continuation);
    if (continuation) {
        pending_ = PendingCall{&event, std::move(continuation), expected_at};
        settle();
        return result_.failure.empty();
    }
    bool ok = check_outcome(event, outcome, now_ns_, expected_at);
    settle();
    return ok;
}

bool Machine::check_outcome(const Event& event, const Outcome& outcome, std::uint64_t returned_at,
                            std::uint64_t expected_at) {
    const Syscall& call = event.syscall;
    std::string why;
    if (outcome.value != call.result ||
        (call.result == -1 && canonical_errno(outcome.error) != canonical_errno(call.error))) {
        why = "returned " + std::to_string(outcome.value) +
              (outcome.error.empty() ? "" : " " + outcome.error);
    } else if (returned_at + tolerance_ns_ < expected_at ||
               returned_at > expected_at + tolerance_ns_) {
        why = "returned at " + std::to_string(static_cast<double>(returned_at - start_ns_) / 1e9) +
              " s";
    } else if (!outcome.error.empty() && outcome.value != -1) {
        why = outcome.error;  // a value read back that differs (getsockopt)
    }
    if (why.empty()) return true;
    if (!syscalls_fatal_) return true;  // --non_fatal=syscall
    return fail(event, why);
}

Outcome Machine::call(const Event& event, std::function<std::optional<Outcome>()>* continuation) {
    const Syscall& call = event.syscall;
    const std::string& name = call.name;
    if (name == "socket") return open_socket(call);
    ScriptSocket* socket = socket_for(call);
    if (socket == nullptr) return failure(Error::kBadDescriptor);
    int descriptor = socket->descriptor;
    auto argument = [&](std::size_t index) {
        return index < call.arguments.size() ? integer_of(call.arguments[index]) : std::nullopt;
    };
    if (name == "close") {
        Error error = stack_->tcp_close(descriptor, false, now_ns_);
        sockets_.erase(static_cast<int>(*argument(0)));
        return error == Error::kOk ? Outcome{} : failure(error);
    }
    if (name == "shutdown") {
        std::string how = call.arguments.size() > 1 ? name_of(call.arguments[1]) : "";
        if (how == "SHUT_RD") return {};
        Error error = stack_->tcp_shutdown(descriptor, now_ns_);
        return error == Error::kOk ? Outcome{} : failure(error);
    }
    if (name == "bind") {
        Error error = stack_->tcp_bind(descriptor, {{0}, kScriptPort});
        return error == Error::kOk ? Outcome{} : failure(error);
    }
    if (name == "listen") {
        Error error =
            stack_->tcp_listen(descriptor, static_cast<unsigned>(argument(1).value_or(1)));
        if (error == Error::kOk) socket->listener = true;
        return error == Error::kOk ? Outcome{} : failure(error);
    }
    if (name == "fcntl") return fcntl(*socket, call);
    if (name == "setsockopt") return set_option(*socket, call);
    if (name == "getsockopt") {
        std::string mismatch;
        Outcome outcome = get_option(*socket, call, &mismatch);
        if (!mismatch.empty()) outcome.error = mismatch;
        return outcome;
    }
    bool blocking = !socket->nonblocking;
    if (name == "accept") {
        auto attempt = [this, descriptor]() -> std::optional<Outcome> {
            auto accepted = stack_->tcp_accept(descriptor, nullptr, now_ns_);
            if (!accepted.ok()) {
                if (accepted.error() == Error::kWouldBlock) return std::nullopt;
                return failure(accepted.error());
            }
            int fd = 3;
            while (sockets_.count(fd) != 0) ++fd;
            ScriptSocket child;
            child.descriptor = *accepted;
            child.receive_buffer = settings_.receive_space;
            child.send_buffer = settings_.send_space;
            sockets_[fd] = child;
            last_fd_ = fd;  // packetdrill's socket under test: %{ tcpi_... }% asks it
            return Outcome{fd, ""};
        };
        std::optional<Outcome> now = attempt();
        if (now) return *now;
        if (!blocking) return failure(Error::kWouldBlock);
        *continuation = attempt;
        return {};
    }
    if (name == "connect") {
        Error error =
            stack_->tcp_connect(descriptor, {{toro_test::ip("192.0.2.1")}, kScriptPort}, now_ns_);
        if (error != Error::kOk) return failure(error);
        socket->connected = true;
        if (auto local = stack_->tcp_local(descriptor); local.ok()) connect_port_ = local->port;
        if (!blocking) return failure("EINPROGRESS");
        *continuation = [this, descriptor]() -> std::optional<Outcome> {
            Error status = stack_->tcp_connect_status(descriptor);
            if (status == Error::kWouldBlock) return std::nullopt;
            return status == Error::kOk ? Outcome{} : failure(status);
        };
        return {};
    }
    if (name == "read" || name == "recv" || name == "recvfrom") {
        std::size_t capacity =
            std::min<std::size_t>(static_cast<std::size_t>(argument(2).value_or(0)), kBiggestCall);
        auto attempt = [this, descriptor, capacity]() -> std::optional<Outcome> {
            auto received = stack_->tcp_receive(descriptor, io_buffer, capacity, now_ns_);
            if (received.ok()) return Outcome{static_cast<std::int64_t>(*received), ""};
            if (received.error() == Error::kWouldBlock) return std::nullopt;
            return failure(received.error());
        };
        std::optional<Outcome> now = attempt();
        if (now) return *now;
        if (!blocking) return failure(Error::kWouldBlock);
        *continuation = attempt;
        return {};
    }
    if (name == "write" || name == "send" || name == "sendto") {
        std::size_t length =
            std::min<std::size_t>(static_cast<std::size_t>(argument(2).value_or(0)), kBiggestCall);
        auto taken = std::make_shared<std::size_t>(0);
        auto attempt = [this, descriptor, length, taken, blocking]() -> std::optional<Outcome> {
            while (*taken < length) {
                auto sent = stack_->tcp_send(descriptor, io_buffer, length - *taken, now_ns_);
                if (!sent.ok()) {
                    if (sent.error() != Error::kWouldBlock) return failure(sent.error());
                    if (blocking) return std::nullopt;
                    if (*taken == 0) return failure(Error::kWouldBlock);
                    break;
                }
                *taken += *sent;
                if (!blocking) break;
            }
            return Outcome{static_cast<std::int64_t>(*taken), ""};
        };
        std::optional<Outcome> now = attempt();
        if (now) return *now;
        *continuation = attempt;
        return {};
    }
    return failure("ENOSYS");
}

Outcome Machine::open_socket(const Syscall& call) {
    if (call.arguments.size() < 2 || name_of(call.arguments[1]) != "SOCK_STREAM")
        return failure("EPROTONOSUPPORT");
    auto opened = stack_->tcp_open();
    if (!opened.ok()) return failure(opened.error());
    ScriptSocket socket;
    socket.descriptor = *opened;
    socket.receive_buffer = settings_.receive_space;
    socket.send_buffer = settings_.send_space;
    (void)stack_->tcp_set_buffer_sizes(*opened, socket.send_buffer,
                                       connection_buffer(socket.receive_buffer));
    socket.keep_idle_s = static_cast<unsigned>((settings_.keep_idle_ms + 999) / 1000);
    socket.keep_interval_s = static_cast<unsigned>((settings_.keep_interval_ms + 999) / 1000);
    socket.keep_count = settings_.keep_count;
    socket.keep_init_s = static_cast<unsigned>((settings_.keep_init_ms + 999) / 1000);
    using toro::net::SocketOption;
    (void)stack_->tcp_set_keepalive(*opened, SocketOption::kKeepIdle,
                                    static_cast<int>(socket.keep_idle_s), now_ns_);
    (void)stack_->tcp_set_keepalive(*opened, SocketOption::kKeepInterval,
                                    static_cast<int>(socket.keep_interval_s), now_ns_);
    (void)stack_->tcp_set_keepalive(*opened, SocketOption::kKeepCount,
                                    static_cast<int>(socket.keep_count), now_ns_);
    (void)stack_->tcp_set_handshake_limit(*opened, static_cast<int>(socket.keep_init_s), now_ns_);
    int fd = 3;
    while (sockets_.count(fd) != 0) ++fd;
    sockets_[fd] = socket;
    last_fd_ = fd;
    return {fd, ""};
}

Outcome Machine::fcntl(ScriptSocket& socket, const Syscall& call) {
    std::string command = call.arguments.size() > 1 ? name_of(call.arguments[1]) : "";
    if (command == "F_GETFL") return {kReadWrite | (socket.nonblocking ? kNonBlocking : 0), ""};
    if (command == "F_SETFL" && call.arguments.size() > 2) {
        bool nonblocking = has_flag(call.arguments[2], "O_NONBLOCK");
        Error error = stack_->tcp_set_nonblocking(socket.descriptor, nonblocking);
        if (error != Error::kOk) return failure(error);
        socket.nonblocking = nonblocking;
        return {};
    }
    return failure(Error::kInvalid);
}

Outcome Machine::set_option(ScriptSocket& socket, const Syscall& call) {
    if (call.arguments.size() < 4) return failure(Error::kInvalid);
    std::string option = name_of(call.arguments[2]);
    const Expression& argument = call.arguments[3];
    std::int64_t value = integer_of(argument).value_or(0);
    using toro::net::SocketOption;
    Error error = Error::kOk;
    if (option == "SO_REUSEADDR") {
        error = stack_->tcp_set_reuse_address(socket.descriptor, value != 0);
    } else if (option == "SO_LINGER") {
        std::int64_t on = 0, time = 0;
        for (const Expression& field : argument.items) {
            // struct linger's fields, as Linux's packetdrill (onoff, linger) or FreeBSD's names
            // them
            if (field.field == "l_onoff" || field.field == "onoff") on = field.integer;
            if (field.field == "l_linger" || field.field == "linger") time = field.integer;
        }
        error = stack_->tcp_set_linger_abort(socket.descriptor, on != 0 && time == 0);
    } else if (option == "TCP_NODELAY") {
        error = stack_->tcp_set_no_delay(socket.descriptor, value != 0);
    } else if (option == "TCP_NOOPT") {
        error = stack_->tcp_set_no_options(socket.descriptor, value != 0);
    } else if (option == "SO_RCVBUF" || option == "SO_SNDBUF") {
        bool receive = option == "SO_RCVBUF";
        std::size_t size = static_cast<std::size_t>(value);
        error = stack_->tcp_set_buffer_sizes(socket.descriptor, receive ? 0 : size,
                                             receive ? connection_buffer(size) : 0);
        if (error == Error::kOk)
            (receive ? socket.receive_buffer : socket.send_buffer) =
                static_cast<std::size_t>(value);
    } else if (option == "SO_KEEPALIVE" || option == "TCP_KEEPIDLE" || option == "TCP_KEEPINTVL" ||
               option == "TCP_KEEPCNT") {
        SocketOption which = option == "SO_KEEPALIVE"    ? SocketOption::kKeepAlive
                             : option == "TCP_KEEPIDLE"  ? SocketOption::kKeepIdle
                             : option == "TCP_KEEPINTVL" ? SocketOption::kKeepInterval
                                                         : SocketOption::kKeepCount;
        error =
            stack_->tcp_set_keepalive(socket.descriptor, which, static_cast<int>(value), now_ns_);
        if (error == Error::kOk) {
            if (which == SocketOption::kKeepIdle) socket.keep_idle_s = static_cast<unsigned>(value);
            if (which == SocketOption::kKeepInterval)
                socket.keep_interval_s = static_cast<unsigned>(value);
            if (which == SocketOption::kKeepCount) socket.keep_count = static_cast<unsigned>(value);
        }
    } else if (option == "IP_TTL") {
        error = stack_->tcp_set_ip_option(socket.descriptor, SocketOption::kTimeToLive,
                                          static_cast<int>(value));
    } else if (option == "IP_TOS") {
        auto type_of_service = type_of_service_of(argument);
        if (!type_of_service) return failure(Error::kInvalid);
        error = stack_->tcp_set_ip_option(socket.descriptor, SocketOption::kTypeOfService,
                                          static_cast<int>(*type_of_service));
    } else if (option == "TCP_KEEPINIT") {
        error =
            stack_->tcp_set_handshake_limit(socket.descriptor, static_cast<int>(value), now_ns_);
        if (error == Error::kOk) socket.keep_init_s = static_cast<unsigned>(value);
    } else {
        // TCP_MD5SIG, FreeBSD's
        // TCP_RACK_*: options the stack does not have.
        return failure("ENOPROTOOPT");
    }
    return error == Error::kOk ? Outcome{} : failure(error);
}

// getsockopt(fd, LEVEL, NAME, [expected], [length]): the value read is
// compared with the script's; a difference is reported in `mismatch`.
Outcome Machine::get_option(ScriptSocket& socket, const Syscall& call, std::string* mismatch) {
    if (call.arguments.size() < 4) return failure(Error::kInvalid);
    std::string option = name_of(call.arguments[2]);
    const Expression& expected = call.arguments[3];
    std::int64_t value = 0;
    std::string value_name;  // an errno, for SO_ERROR
    if (option == "SO_ERROR") {
        Error status = socket.listener ? Error::kOk : stack_->tcp_connect_status(socket.descriptor);
        if (status == Error::kWouldBlock || status == Error::kNotConnected ||
            socket.error_reported) {
            status = Error::kOk;
        }
        if (status != Error::kOk) {
            socket.error_reported = true;
            value_name = errno_name(status);
            value = static_cast<std::int64_t>(status);
        }
    } else if (option == "SO_RCVBUF") {
        value = static_cast<std::int64_t>(socket.receive_buffer);
    } else if (option == "SO_SNDBUF") {
        value = static_cast<std::int64_t>(socket.send_buffer);
    } else if (option == "TCP_KEEPIDLE") {
        value = socket.keep_idle_s;
    } else if (option == "TCP_KEEPINTVL") {
        value = socket.keep_interval_s;
    } else if (option == "TCP_KEEPCNT") {
        value = socket.keep_count;
    } else if (option == "TCP_KEEPINIT") {
        value = socket.keep_init_s;
    } else {
        return failure("ENOPROTOOPT");
    }
    if (expected.kind == Expression::Kind::kEllipsis) return {};
    std::string wanted_name = name_of(expected);
    std::optional<std::int64_t> wanted = integer_of(expected);
    bool same = !wanted_name.empty() ? canonical_errno(wanted_name) == canonical_errno(value_name)
                                     : (wanted && *wanted == value);
    // Before the handshake FreeBSD reads back the size set, after it
    // the size rounded up to the MSS (see connection_buffer).
    if (!same && wanted && option == "SO_RCVBUF") {
        same = *wanted ==
               static_cast<std::int64_t>(connection_buffer(static_cast<std::size_t>(value)));
    }
    if (!same) *mismatch = "read " + (value_name.empty() ? std::to_string(value) : value_name);
    return {};
}

}  // namespace tcp_scripts
