// TCP's socket table: descriptors, binding, listen and accept, the user's
// calls into connections, buffers and their bounds, and the timers' scan.
#include "net/stack.h"

#include "hal/random.h"

namespace toro::net {

namespace {

constexpr unsigned kMaxBacklog = 1024;
constexpr std::size_t kMinBuffer = 2048;
constexpr std::size_t kMaxBuffer = 4 * 1024 * 1024;
constexpr std::uint16_t kFirstEphemeralPort = 49152;  // RFC 6335 §6

std::size_t clamp_buffer(std::size_t bytes) {
    if (bytes < kMinBuffer) return kMinBuffer;
    return bytes > kMaxBuffer ? kMaxBuffer : bytes;
}

}  // namespace

Stack::~Stack() {
    for (TcpSocket& socket : tcp_sockets()) {
        if (socket.buffers != nullptr) allocator_->release(socket.buffers, socket.send_bytes + socket.receive_bytes);
    }
}

Stack::TcpSocket* Stack::tcp_socket(int descriptor) {
    if (descriptor < kTcpDescriptorBase) return nullptr;
    std::size_t index = static_cast<std::size_t>(descriptor - kTcpDescriptorBase);
    if (index >= tcp_slots_) return nullptr;
    TcpSocket* socket = tcp_slot(index);
    return socket->kind != TcpSocket::Kind::kFree && socket->user_holds ? socket : nullptr;
}

const Stack::TcpSocket* Stack::tcp_socket(int descriptor) const {
    return const_cast<Stack*>(this)->tcp_socket(descriptor);
}

// A free slot; when none is left, the oldest TIME-WAIT connection's
// (TIME-WAIT is bounded by the table, as Linux bounds it by tw_buckets).
Stack::TcpSocket* Stack::tcp_allocate_slot() {
    TcpSocket* chosen = nullptr;
    for (TcpSocket& socket : tcp_sockets()) {
        if (socket.kind == TcpSocket::Kind::kFree) {
            chosen = &socket;
            break;
        }
    }
    if (chosen == nullptr && tcp_slots_ < tcp_constructed_) {
        chosen = tcp_slot(tcp_slots_);  // built before, freed at the top
    } else if (chosen == nullptr && tcp_constructed_ < kTcpSockets) {
        chosen = new (tcp_slot(tcp_constructed_)) TcpSocket;
        ++tcp_constructed_;
    }
    if (chosen == nullptr) {
        for (TcpSocket& socket : tcp_sockets()) {
            bool waiting = socket.kind == TcpSocket::Kind::kConnection && !socket.user_holds &&
                           socket.connection.state() == tcp::State::kTimeWait;
            if (waiting && (chosen == nullptr || socket.half_open_order < chosen->half_open_order)) {
                chosen = &socket;
            }
        }
        if (chosen == nullptr) return nullptr;
        tcp_free(*chosen);
    }
    *chosen = TcpSocket{};
    chosen->kind = TcpSocket::Kind::kOpen;
    chosen->send_bytes = limits_.tcp_send_buffer_bytes;
    chosen->receive_bytes = limits_.tcp_receive_buffer_bytes;
    std::size_t index = static_cast<std::size_t>(tcp_index(*chosen));
    if (index >= tcp_slots_) tcp_slots_ = index + 1;
    return chosen;
}

bool Stack::tcp_give_buffers(TcpSocket& socket) {
    std::size_t bytes = socket.send_bytes + socket.receive_bytes;
    if (allocator_ == nullptr || tcp_memory_in_use_ + bytes > limits_.tcp_memory_bytes) return false;
    socket.buffers = static_cast<std::uint8_t*>(allocator_->allocate(bytes));
    if (socket.buffers == nullptr) return false;
    tcp_memory_in_use_ += bytes;
    return true;
}

void Stack::tcp_free(TcpSocket& socket) {
    if (socket.kind == TcpSocket::Kind::kConnection && socket.listener >= 0 && !socket.accepted) {
        TcpSocket& listener = *tcp_slot(static_cast<std::size_t>(socket.listener));
        --listener.queued;
        if (socket.ready_order != 0) --listener.ready;
    }
    tcp_unindex_connection(socket);
    tcp_release_buffers(socket);
    signal_tcp_waiters(socket);  // a thread still waiting sees kBadDescriptor
    socket = TcpSocket{};
    while (tcp_slots_ > 0 && tcp_slot(tcp_slots_ - 1)->kind == TcpSocket::Kind::kFree) --tcp_slots_;
}

// The buffers of a connection that needs them no more go back to the
// pool, so that TIME-WAITs (bounded by the table) never starve new
// connections of memory.
void Stack::tcp_release_buffers(TcpSocket& socket) {
    if (socket.buffers == nullptr) return;
    socket.connection.detach_buffers();
    std::size_t bytes = socket.send_bytes + socket.receive_bytes;
    allocator_->release(socket.buffers, bytes);
    tcp_memory_in_use_ -= bytes;
    socket.buffers = nullptr;
}

void Stack::tcp_settle(TcpSocket& socket, std::uint64_t now) {
    (void)now;
    if (socket.kind != TcpSocket::Kind::kConnection) return;
    tcp::Connection& connection = socket.connection;
    if (connection.state() == tcp::State::kTimeWait && !socket.user_holds) tcp_release_buffers(socket);
    if (connection.state() == tcp::State::kClosed && !socket.user_holds) {
        bool waiting_for_accept = socket.listener >= 0 && !socket.accepted && socket.ready_order != 0 &&
                                  connection.error() == Error::kOk;
        if (!waiting_for_accept) {
            tcp_free(socket);
            return;
        }
    }
    note_deadline(connection.next_deadline());
}

std::uint64_t Stack::tcp_poll(std::uint64_t now) {
    tcp_now_ = now;
    std::uint64_t next = kNoDeadline;
    for (TcpSocket& socket : tcp_sockets()) {
        if (socket.kind != TcpSocket::Kind::kConnection) continue;
        std::uint64_t deadline = socket.connection.next_deadline();
        if (deadline <= now) {
            deadline = socket.connection.poll(now);
            tcp_settle(socket, now);
            if (socket.kind == TcpSocket::Kind::kFree) continue;
        }
        if (deadline < next) next = deadline;
    }
    return next;
}

bool Stack::tcp_port_in_use(Endpoint local, bool reuse) const {
    for (const TcpSocket& socket : tcp_sockets()) {
        if (socket.kind == TcpSocket::Kind::kFree || !socket.bound || socket.local.port != local.port) {
            continue;
        }
        bool overlap = socket.local.address.is_any() || local.address.is_any() ||
                       socket.local.address == local.address;
        if (!overlap) continue;
        // SO_REUSEADDR: a port whose connections linger (TIME-WAIT, or
        // closing without a descriptor) may be bound again.
        bool lingering = socket.kind == TcpSocket::Kind::kConnection && !socket.user_holds;
        if (reuse && (lingering || socket.listener >= 0)) continue;
        return true;
    }
    return false;
}

Result<int> Stack::tcp_open() {
    TcpSocket* socket = tcp_allocate_slot();
    if (socket == nullptr) return Error::kTooManyOpen;
    socket->user_holds = true;
    return kTcpDescriptorBase + tcp_index(*socket);
}

Error Stack::tcp_bind(int descriptor, Endpoint local) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kOpen || socket->bound) return Error::kInvalid;
    if (!local.address.is_any() && !(local.address == config_.address)) {
        return Error::kAddressNotAvailable;
    }
    if (local.port == 0) {
        for (unsigned tries = 0; tries < 16384; ++tries) {
            std::uint16_t port = next_ephemeral_port_;
            next_ephemeral_port_ = port == 65535 ? kFirstEphemeralPort : static_cast<std::uint16_t>(port + 1);
            if (!tcp_port_in_use({local.address, port}, false)) {
                local.port = port;
                break;
            }
        }
        if (local.port == 0) return Error::kAddressInUse;
    } else if (tcp_port_in_use(local, socket->reuse_address)) {
        return Error::kAddressInUse;
    }
    socket->local = local;
    socket->bound = true;
    return Error::kOk;
}

Error Stack::tcp_listen(int descriptor, unsigned backlog) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind == TcpSocket::Kind::kListener) return Error::kOk;
    if (socket->kind != TcpSocket::Kind::kOpen) return Error::kInvalid;
    if (!socket->bound) TORO_TRY(tcp_bind(descriptor, {}));
    socket->kind = TcpSocket::Kind::kListener;
    if (backlog == 0) backlog = limits_.tcp_default_backlog;
    socket->backlog = backlog > kMaxBacklog ? kMaxBacklog : backlog;
    return Error::kOk;
}

Result<int> Stack::tcp_accept(int descriptor, Endpoint* peer, std::uint64_t now) {
    TcpSocket* listener = tcp_socket(descriptor);
    if (listener == nullptr) return Error::kBadDescriptor;
    if (listener->kind != TcpSocket::Kind::kListener) return Error::kInvalid;
    int listener_index = tcp_index(*listener);
    if (listener->ready == 0) return Error::kWouldBlock;  // nothing acceptable: no walk
    for (;;) {
        TcpSocket* first = nullptr;
        for (TcpSocket& socket : tcp_sockets()) {
            if (socket.kind != TcpSocket::Kind::kConnection || socket.listener != listener_index ||
                socket.accepted || socket.ready_order == 0) {
                continue;
            }
            if (first == nullptr || socket.ready_order < first->ready_order) first = &socket;
        }
        if (first == nullptr) return Error::kWouldBlock;
        first->accepted = true;
        first->user_holds = true;
        first->listener = -1;
        --listener->queued;
        --listener->ready;
        if (peer != nullptr) *peer = first->connection.remote();
        tcp_settle(*first, now);
        return kTcpDescriptorBase + tcp_index(*first);
    }
}

Error Stack::tcp_connect(int descriptor, Endpoint remote, std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind == TcpSocket::Kind::kConnection) {
        tcp::State state = socket->connection.state();
        bool opening = state == tcp::State::kSynSent || state == tcp::State::kSynReceived;
        return opening ? Error::kAlready : Error::kIsConnected;
    }
    if (socket->kind != TcpSocket::Kind::kOpen) return Error::kInvalid;
    if (remote.address.is_any() || remote.port == 0) return Error::kInvalid;
    if (config_.address.is_any()) return Error::kNetworkUnreachable;
    Ipv4Address next_hop;
    bool broadcast = false;
    if (!route(remote.address, &next_hop, &broadcast) || broadcast) return Error::kNetworkUnreachable;
    if (!socket->bound) TORO_TRY(tcp_bind(descriptor, {}));
    Endpoint local{config_.address, socket->local.port};
    if (tcp_find_connection(local, remote) != nullptr) return Error::kAddressInUse;
    if (!tcp_give_buffers(*socket)) return Error::kNoBufferSpace;
    socket->kind = TcpSocket::Kind::kConnection;
    socket->half_open_order = ++tcp_ready_counter_;
    tcp::Connection& connection = socket->connection;
    connection.initialize(this, &tcp_settings_, local, remote, tcp_initial_sequence(local, remote, now),
                          static_cast<std::uint32_t>(hal::random_u64()));
    tcp_index_connection(*socket);
    connection.attach_buffers(socket->buffers, socket->send_bytes, socket->buffers + socket->send_bytes,
                              socket->receive_bytes);
    connection.set_no_delay(socket->no_delay);
    connection.set_no_options(socket->no_options);
    connection.set_keepalive(socket->keepalive, now);
    connection.set_handshake_limit(socket->handshake_limit_ns, now);
    connection.connect(now);
    tcp_settle(*socket, now);
    wake_driver_if_sooner();
    return Error::kOk;
}

Error Stack::tcp_connect_status(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return Error::kNotConnected;
    const tcp::Connection& connection = socket->connection;
    switch (connection.state()) {
        case tcp::State::kSynSent:
        case tcp::State::kSynReceived: return Error::kWouldBlock;
        case tcp::State::kClosed:
            return connection.error() != Error::kOk ? connection.error() : Error::kNotConnected;
        default: return Error::kOk;
    }
}

Result<std::size_t> Stack::tcp_send(int descriptor, const std::uint8_t* bytes, std::size_t length,
                                    std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return Error::kNotConnected;
    Result<std::size_t> sent = socket->connection.send(bytes, length, now);
    tcp_settle(*socket, now);
    wake_driver_if_sooner();
    return sent;
}

Result<std::size_t> Stack::tcp_receive(int descriptor, std::uint8_t* buffer, std::size_t capacity,
                                       std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return Error::kNotConnected;
    Result<std::size_t> received = socket->connection.receive(buffer, capacity, now);
    tcp_settle(*socket, now);
    wake_driver_if_sooner();
    return received;
}

Error Stack::tcp_shutdown(int descriptor, std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return Error::kNotConnected;
    socket->connection.shutdown_send(now);
    tcp_settle(*socket, now);
    wake_driver_if_sooner();
    return Error::kOk;
}

Error Stack::tcp_close(int descriptor, bool linger_abort, std::uint64_t now) {
    tcp_now_ = now;
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind == TcpSocket::Kind::kListener) {
        int index = tcp_index(*socket);
        for (TcpSocket& child : tcp_sockets()) {
            if (child.kind != TcpSocket::Kind::kConnection || child.listener != index || child.accepted) {
                continue;
            }
            child.connection.abort();  // never accepted: the peer is told
            tcp_free(child);
        }
    }
    if (socket->kind != TcpSocket::Kind::kConnection) {
        tcp_free(*socket);
        return Error::kOk;
    }
    socket->user_holds = false;
    tcp::Connection& connection = socket->connection;
    // RFC 9293 §3.10.4 and RFC 2525 §2.17: closing with unread data, or
    // with SO_LINGER of 0, resets instead of finishing.
    bool unread = connection.unread_bytes() > 0 && connection.state() != tcp::State::kClosed;
    if (linger_abort || socket->linger_abort || unread) {
        connection.abort();
    } else {
        connection.shutdown_send(now);
        connection.orphan(now);
    }
    tcp_settle(*socket, now);
    wake_driver_if_sooner();
    return Error::kOk;
}

Error Stack::tcp_set_nonblocking(int descriptor, bool nonblocking) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->nonblocking = nonblocking;
    return Error::kOk;
}

bool Stack::tcp_nonblocking(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    return socket != nullptr && socket->nonblocking;
}

Error Stack::tcp_set_no_delay(int descriptor, bool no_delay) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->no_delay = no_delay;
    socket->connection.set_no_delay(no_delay);
    return Error::kOk;
}

Error Stack::tcp_set_no_options(int descriptor, bool no_options) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->no_options = no_options;
    return Error::kOk;
}

Error Stack::tcp_set_buffer_sizes(int descriptor, std::size_t send_bytes, std::size_t receive_bytes) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    // Buffers are given when the connection opens: sizes are fixed after.
    if (socket->kind == TcpSocket::Kind::kConnection) return Error::kIsConnected;
    if (send_bytes != 0) socket->send_bytes = clamp_buffer(send_bytes);
    if (receive_bytes != 0) socket->receive_bytes = clamp_buffer(receive_bytes);
    return Error::kOk;
}

Error Stack::tcp_set_reuse_address(int descriptor, bool reuse) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->reuse_address = reuse;
    return Error::kOk;
}

Error Stack::tcp_set_linger_abort(int descriptor, bool abort) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    socket->linger_abort = abort;
    return Error::kOk;
}

Error Stack::tcp_set_ip_option(int descriptor, SocketOption option, int value) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    switch (option) {
        case SocketOption::kTimeToLive:
            if (value < 1 || value > 255) return Error::kInvalid;
            socket->ip_marking.time_to_live = static_cast<std::uint8_t>(value);
            return Error::kOk;
        case SocketOption::kTypeOfService:
            if (value < 0 || value > 255) return Error::kInvalid;
            // RFC 3168 §5: the ECN field is the transport's, not the user's.
            socket->ip_marking.type_of_service = static_cast<std::uint8_t>(value & 0xFC);
            return Error::kOk;
        default:
            return Error::kInvalid;
    }
}

Error Stack::tcp_set_handshake_limit(int descriptor, int seconds, std::uint64_t now) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (seconds < 0 || seconds > 32767) return Error::kInvalid;
    socket->handshake_limit_ns = static_cast<std::uint64_t>(seconds) * kSecond;
    if (socket->kind == TcpSocket::Kind::kConnection) {
        socket->connection.set_handshake_limit(socket->handshake_limit_ns, now);
        tcp_settle(*socket, now);
        wake_driver_if_sooner();
    }
    return Error::kOk;
}

Error Stack::tcp_set_keepalive(int descriptor, SocketOption option, int value, std::uint64_t now) {
    TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    tcp::KeepaliveSettings& keepalive = socket->keepalive;
    constexpr int kMaxSeconds = 32767;  // Linux's bound for TCP_KEEPIDLE and TCP_KEEPINTVL
    bool seconds = option == SocketOption::kKeepIdle || option == SocketOption::kKeepInterval;
    if (seconds && (value < 1 || value > kMaxSeconds)) return Error::kInvalid;
    if (option == SocketOption::kKeepCount && (value < 1 || value > 127)) return Error::kInvalid;
    std::uint64_t ns = static_cast<std::uint64_t>(value) * kSecond;
    switch (option) {
        case SocketOption::kKeepAlive: keepalive.enabled = value != 0; break;
        case SocketOption::kKeepIdle: keepalive.idle_ns = ns; break;
        case SocketOption::kKeepInterval: keepalive.interval_ns = ns; break;
        case SocketOption::kKeepCount: keepalive.probes = static_cast<unsigned>(value); break;
        default: return Error::kInvalid;
    }
    if (socket->kind == TcpSocket::Kind::kConnection) {
        socket->connection.set_keepalive(keepalive, now);
        tcp_settle(*socket, now);
        wake_driver_if_sooner();
    }
    return Error::kOk;
}

Result<Endpoint> Stack::tcp_local(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind == TcpSocket::Kind::kConnection) return socket->connection.local();
    return socket->local;
}

Result<Endpoint> Stack::tcp_peer(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return Error::kNotConnected;
    return socket->connection.remote();
}

Result<unsigned> Stack::tcp_ready(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind == TcpSocket::Kind::kConnection) return socket->connection.readiness();
    if (socket->kind != TcpSocket::Kind::kListener) return 0u;
    return socket->ready > 0 ? kReadable : 0u;
}

Result<tcp::State> Stack::tcp_state(int descriptor) const {
    const TcpSocket* socket = tcp_socket(descriptor);
    if (socket == nullptr) return Error::kBadDescriptor;
    if (socket->kind != TcpSocket::Kind::kConnection) return tcp::State::kClosed;
    return socket->connection.state();
}

}  // namespace toro::net
