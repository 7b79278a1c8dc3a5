// The socket API of toro/net.h over the machine's stack: every call takes
// the stack's lock, and a call that must wait parks its thread on an Event
// the stack signals when the socket may have become ready.
#include "hal/clock.h"
#include "net/network_unit.h"
#include "toro/net.h"
#include "toro/thread.h"

namespace toro::net {

namespace {

// The waits of one thread on one or more sockets. Registration and
// removal happen under the stack's lock, so no signal reaches `ready`
// after remove(): it may live on the waiting thread's stack.
class SocketWait {
public:
    SocketWait(Stack& stack, const WaitEntry* entries, std::size_t count)
        : stack_(stack), entries_(entries), count_(count) {}

    // With the lock held.
    Error add() {
        for (registered_ = 0; registered_ < count_; ++registered_) {
            Error error = stack_.add_waiter(entries_[registered_].socket, &ready_);
            if (error != Error::kOk) {
                remove();
                return error;
            }
        }
        return Error::kOk;
    }
    void remove() {
        for (std::size_t i = 0; i < registered_; ++i) stack_.remove_waiter(entries_[i].socket, &ready_);
        registered_ = 0;
    }
    // Without the lock: false when the deadline passed.
    bool wait_until(std::uint64_t deadline) { return ready_.wait_until(deadline); }

private:
    Stack& stack_;
    const WaitEntry* entries_;
    std::size_t count_;
    std::size_t registered_ = 0;
    Event ready_;
};

}  // namespace

Error start() {
    Result<Stack*> stack = machine_stack();
    return stack.ok() ? Error::kOk : stack.error();
}

InterfaceInfo interface_info() {
    Result<Stack*> stack = machine_stack();
    if (!stack.ok()) return {};
    SpinLockGuard guard((*stack)->lock());
    return (*stack)->interface_info();
}

Error wait_configured(std::uint64_t timeout_ns) {
    std::uint64_t deadline = hal::deadline_after(timeout_ns);
    for (;;) {
        InterfaceInfo info = interface_info();
        if (info.configured) return Error::kOk;
        if (hal::clock_now_ns() >= deadline) return Error::kTimedOut;
        sleep_ms(10);  // DHCP takes round trips of milliseconds or more
    }
}

Result<int> socket(SocketType type) {
    Result<Stack*> stack = machine_stack();
    if (!stack.ok()) return stack.error();
    SpinLockGuard guard((*stack)->lock());
    return type == SocketType::kStream ? (*stack)->tcp_open() : (*stack)->udp_open();
}

#define TORO_WITH_STACK(call)                              \
    Result<Stack*> stack = machine_stack();                \
    if (!stack.ok()) return stack.error();                 \
    SpinLockGuard guard((*stack)->lock());                 \
    return (*stack)->call

// NOLINTBEGIN(bugprone-macro-parentheses): `name` is a declarator
#define TORO_WITH_STACK_AS(name)                   \
    Result<Stack*> started = machine_stack();      \
    if (!started.ok()) return started.error();     \
    Stack& name = **started;                       \
    SpinLockGuard guard(name.lock())
// NOLINTEND(bugprone-macro-parentheses)

Error bind(int socket, Endpoint local) {
    TORO_WITH_STACK_AS(stack);
    return Stack::is_tcp(socket) ? stack.tcp_bind(socket, local) : stack.udp_bind(socket, local);
}
Error set_nonblocking(int socket, bool nonblocking) {
    TORO_WITH_STACK_AS(stack);
    return Stack::is_tcp(socket) ? stack.tcp_set_nonblocking(socket, nonblocking)
                                 : stack.udp_set_nonblocking(socket, nonblocking);
}
Result<Endpoint> local_endpoint(int socket) {
    TORO_WITH_STACK_AS(stack);
    return Stack::is_tcp(socket) ? stack.tcp_local(socket) : stack.udp_local(socket);
}
Result<Endpoint> peer_endpoint(int socket) { TORO_WITH_STACK(tcp_peer(socket)); }
Error close(int socket) {
    TORO_WITH_STACK_AS(stack);
    return Stack::is_tcp(socket) ? stack.tcp_close(socket, false, hal::clock_now_ns())
                                 : stack.udp_close(socket);
}

#undef TORO_WITH_STACK_AS

Error listen(int socket, unsigned backlog) { TORO_WITH_STACK(tcp_listen(socket, backlog)); }
Error shutdown(int socket) { TORO_WITH_STACK(tcp_shutdown(socket, hal::clock_now_ns())); }

Error set_option(int socket, SocketOption option, int value) {
    if (!Stack::is_tcp(socket)) return Error::kNotSupported;
    if (value < 0) return Error::kInvalid;
    std::size_t bytes = static_cast<std::size_t>(value);
    switch (option) {
        case SocketOption::kNoDelay: { TORO_WITH_STACK(tcp_set_no_delay(socket, value != 0)); }
        case SocketOption::kNoOptions: {
            TORO_WITH_STACK(tcp_set_no_options(socket, value != 0));
        }
        case SocketOption::kReuseAddress: { TORO_WITH_STACK(tcp_set_reuse_address(socket, value != 0)); }
        case SocketOption::kLingerAbort: { TORO_WITH_STACK(tcp_set_linger_abort(socket, value != 0)); }
        case SocketOption::kSendBuffer: { TORO_WITH_STACK(tcp_set_buffer_sizes(socket, bytes, 0)); }
        case SocketOption::kReceiveBuffer: { TORO_WITH_STACK(tcp_set_buffer_sizes(socket, 0, bytes)); }
        case SocketOption::kKeepAlive:
        case SocketOption::kKeepIdle:
        case SocketOption::kKeepInterval:
        case SocketOption::kKeepCount: {
            TORO_WITH_STACK(tcp_set_keepalive(socket, option, value, hal::clock_now_ns()));
        }
        case SocketOption::kTimeToLive:
        case SocketOption::kTypeOfService: {
            TORO_WITH_STACK(tcp_set_ip_option(socket, option, value));
        }
        case SocketOption::kKeepInit: {
            TORO_WITH_STACK(tcp_set_handshake_limit(socket, value, hal::clock_now_ns()));
        }
    }
    return Error::kInvalid;
}

Result<std::size_t> send_to(int socket, const void* bytes, std::size_t length,
                            const Endpoint* remote, unsigned flags) {
    if (Stack::is_tcp(socket)) return send(socket, bytes, length, flags);
    TORO_WITH_STACK(udp_send(socket, static_cast<const std::uint8_t*>(bytes), length, remote,
                             hal::clock_now_ns()));
}

#undef TORO_WITH_STACK

namespace {

// Runs `attempt` (with the lock held) until it stops saying kWouldBlock,
// sleeping on the socket between tries for `wanted`. A non-blocking socket
// or kDontWait returns the kWouldBlock instead.
template <typename Attempt>
auto retry_until_ready(Stack& stack, int socket, unsigned wanted, unsigned flags, Attempt attempt)
    -> decltype(attempt()) {
    WaitEntry entry{socket, wanted, 0};
    for (;;) {
        SocketWait wait(stack, &entry, 1);
        {
            SpinLockGuard guard(stack.lock());
            auto result = attempt();
            if (result.ok() || result.error() != Error::kWouldBlock) return result;
            bool nonblocking = Stack::is_tcp(socket) ? stack.tcp_nonblocking(socket)
                                                     : stack.udp_nonblocking(socket);
            if ((flags & kDontWait) != 0 || nonblocking) return Error::kWouldBlock;
            TORO_TRY(wait.add());
        }
        wait.wait_until(hal::kNoDeadline);
        SpinLockGuard guard(stack.lock());
        wait.remove();
    }
}


}  // namespace

Error connect(int socket, Endpoint remote) {
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    if (!Stack::is_tcp(socket)) {
        SpinLockGuard guard(stack.lock());
        return stack.udp_connect(socket, remote);
    }
    {
        SpinLockGuard guard(stack.lock());
        TORO_TRY(stack.tcp_connect(socket, remote, hal::clock_now_ns()));
    }
    Result<bool> done = retry_until_ready(stack, socket, kWritable, 0, [&]() -> Result<bool> {
        Error status = stack.tcp_connect_status(socket);
        if (status != Error::kOk) return status;
        return true;
    });
    return done.ok() ? Error::kOk : done.error();
}

Result<int> accept(int socket, Endpoint* peer, unsigned flags) {
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    return retry_until_ready(stack, socket, kReadable, flags,
                             [&] { return stack.tcp_accept(socket, peer, hal::clock_now_ns()); });
}

Result<std::size_t> send(int socket, const void* bytes, std::size_t length, unsigned flags) {
    if (!Stack::is_tcp(socket)) return send_to(socket, bytes, length, nullptr, flags);
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    const auto* from = static_cast<const std::uint8_t*>(bytes);
    std::size_t total = 0;
    do {
        Result<std::size_t> sent = retry_until_ready(stack, socket, kWritable, flags, [&] {
            return stack.tcp_send(socket, from + total, length - total, hal::clock_now_ns());
        });
        if (!sent.ok()) return total > 0 && sent.error() == Error::kWouldBlock ? Result<std::size_t>(total) : sent;
        total += *sent;
        bool blocking = (flags & kDontWait) == 0;
        if (!blocking) break;
        SpinLockGuard guard(stack.lock());
        if (stack.tcp_nonblocking(socket)) break;
    } while (total < length);
    return total;
}

Result<std::size_t> receive(int socket, void* buffer, std::size_t capacity, unsigned flags) {
    if (!Stack::is_tcp(socket)) return receive_from(socket, buffer, capacity, nullptr, flags);
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    return retry_until_ready(stack, socket, kReadable, flags, [&] {
        return stack.tcp_receive(socket, static_cast<std::uint8_t*>(buffer), capacity, hal::clock_now_ns());
    });
}

Result<std::size_t> receive_from(int socket, void* buffer, std::size_t capacity, Endpoint* from,
                                 unsigned flags) {
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    return retry_until_ready(stack, socket, kReadable, flags, [&] {
        return stack.udp_receive(socket, static_cast<std::uint8_t*>(buffer), capacity, from);
    });
}

Result<std::size_t> wait(WaitEntry* entries, std::size_t count, std::uint64_t timeout_ns) {
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    std::uint64_t deadline = hal::deadline_after(timeout_ns);
    for (;;) {
        SocketWait wait(stack, entries, count);
        {
            SpinLockGuard guard(stack.lock());
            std::size_t ready = 0;
            for (std::size_t i = 0; i < count; ++i) {
                int socket = entries[i].socket;
                Result<unsigned> state = Stack::is_tcp(socket) ? stack.tcp_ready(socket) : stack.udp_ready(socket);
                if (!state.ok()) return state.error();
                entries[i].ready = *state & entries[i].wanted;
                ready += entries[i].ready != 0;
            }
            if (ready > 0 || timeout_ns == 0 || hal::clock_now_ns() >= deadline) return ready;
            TORO_TRY(wait.add());
        }
        wait.wait_until(deadline);
        SpinLockGuard guard(stack.lock());
        wait.remove();
    }
}

NetStats net_stats() {
    Result<Stack*> stack = machine_stack();
    if (!stack.ok()) return {};
    SpinLockGuard guard((*stack)->lock());
    return (*stack)->stats();
}

}  // namespace toro::net
