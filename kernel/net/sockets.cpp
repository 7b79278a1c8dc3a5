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
    if (type != SocketType::kDatagram) return Error::kNotSupported;
    Result<Stack*> stack = machine_stack();
    if (!stack.ok()) return stack.error();
    SpinLockGuard guard((*stack)->lock());
    return (*stack)->udp_open();
}

#define TORO_WITH_STACK(call)                              \
    Result<Stack*> stack = machine_stack();                \
    if (!stack.ok()) return stack.error();                 \
    SpinLockGuard guard((*stack)->lock());                 \
    return (*stack)->call

Error bind(int socket, Endpoint local) { TORO_WITH_STACK(udp_bind(socket, local)); }
Error connect(int socket, Endpoint remote) { TORO_WITH_STACK(udp_connect(socket, remote)); }
Error set_nonblocking(int socket, bool nonblocking) {
    TORO_WITH_STACK(udp_set_nonblocking(socket, nonblocking));
}
Result<Endpoint> local_endpoint(int socket) { TORO_WITH_STACK(udp_local(socket)); }
Error close(int socket) { TORO_WITH_STACK(udp_close(socket)); }

Result<std::size_t> send_to(int socket, const void* bytes, std::size_t length,
                            const Endpoint* remote, unsigned) {
    TORO_WITH_STACK(udp_send(socket, static_cast<const std::uint8_t*>(bytes), length, remote,
                             hal::clock_now_ns()));
}

#undef TORO_WITH_STACK

Result<std::size_t> receive_from(int socket, void* buffer, std::size_t capacity, Endpoint* from,
                                 unsigned flags) {
    Result<Stack*> started = machine_stack();
    if (!started.ok()) return started.error();
    Stack& stack = **started;
    WaitEntry entry{socket, kReadable, 0};
    for (;;) {
        SocketWait wait(stack, &entry, 1);
        {
            SpinLockGuard guard(stack.lock());
            Result<std::size_t> received =
                stack.udp_receive(socket, static_cast<std::uint8_t*>(buffer), capacity, from);
            if (received.ok() || received.error() != Error::kWouldBlock) return received;
            if ((flags & kDontWait) != 0 || stack.udp_nonblocking(socket)) return Error::kWouldBlock;
            TORO_TRY(wait.add());
        }
        wait.wait_until(hal::kNoDeadline);
        SpinLockGuard guard(stack.lock());
        wait.remove();
    }
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
                Result<unsigned> state = stack.udp_ready(entries[i].socket);
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
