// A lock-free bounded queue for passing messages between CPUs.
//
// Any number of senders and receivers on any CPUs. try_send/try_receive
// never block and take no lock (a ring of sequence-numbered cells: each
// cell's sequence says whose turn it is, so a producer and a consumer only
// meet on one atomic per message). send/receive block the calling thread
// when the queue is full/empty, waking when the other side moves.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "toro/event.h"

namespace toro {

template <typename Message, std::size_t Capacity>
class MessageQueue {
    static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0,
                  "Capacity must be a power of two");
    static_assert(std::is_trivially_copyable_v<Message>, "messages are copied as bytes");

public:
    MessageQueue() {
        for (std::size_t i = 0; i < Capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
    }
    MessageQueue(const MessageQueue&) = delete;
    MessageQueue& operator=(const MessageQueue&) = delete;

    bool try_send(const Message& message) {
        std::size_t position = tail_.load(std::memory_order_relaxed);
        for (;;) {
            Cell& cell = cells_[position & (Capacity - 1)];
            std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
            auto lag = static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position);
            if (lag == 0) {
                if (tail_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                    cell.message = message;
                    cell.sequence.store(position + 1, std::memory_order_release);
                    wake(receivers_waiting_, not_empty_);
                    return true;
                }
            } else if (lag < 0) {
                return false;  // full: the cell still holds last lap's message
            } else {
                position = tail_.load(std::memory_order_relaxed);
            }
        }
    }

    bool try_receive(Message& message) {
        std::size_t position = head_.load(std::memory_order_relaxed);
        for (;;) {
            Cell& cell = cells_[position & (Capacity - 1)];
            std::size_t sequence = cell.sequence.load(std::memory_order_acquire);
            auto lag = static_cast<std::intptr_t>(sequence) - static_cast<std::intptr_t>(position + 1);
            if (lag == 0) {
                if (head_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                    message = cell.message;
                    cell.sequence.store(position + Capacity, std::memory_order_release);
                    wake(senders_waiting_, not_full_);
                    return true;
                }
            } else if (lag < 0) {
                return false;  // empty
            } else {
                position = head_.load(std::memory_order_relaxed);
            }
        }
    }

    void send(const Message& message) {
        block_until([&] { return try_send(message); }, senders_waiting_, not_full_);
    }
    void receive(Message& message) {
        block_until([&] { return try_receive(message); }, receivers_waiting_, not_empty_);
    }

private:
    struct Cell {
        std::atomic<std::size_t> sequence;
        Message message;
    };

    // The waiter announces itself before its last try, the other side
    // moves before it looks for waiters (both sequentially consistent), so
    // at least one of them sees the other: no sleep without a wake. An
    // auto-reset event remembers one signal, not several, so a woken waiter
    // that succeeds passes the wake on while others still wait.
    template <typename Attempt>
    static void block_until(Attempt attempt, std::atomic<std::uint32_t>& waiting, Event& event) {
        if (attempt()) return;
        for (;;) {
            waiting.fetch_add(1, std::memory_order_seq_cst);
            if (attempt()) {
                waiting.fetch_sub(1, std::memory_order_seq_cst);
                return;
            }
            event.wait();
            waiting.fetch_sub(1, std::memory_order_seq_cst);
            if (attempt()) {
                if (waiting.load(std::memory_order_seq_cst) != 0) event.signal();
                return;
            }
        }
    }

    static void wake(std::atomic<std::uint32_t>& waiting, Event& event) {
        if (waiting.load(std::memory_order_seq_cst) != 0) event.signal();
    }

    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::atomic<std::size_t> tail_{0};
    alignas(64) std::atomic<std::uint32_t> receivers_waiting_{0};
    std::atomic<std::uint32_t> senders_waiting_{0};
    Event not_empty_;
    Event not_full_;
    Cell cells_[Capacity];
};

}  // namespace toro
