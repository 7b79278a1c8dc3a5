// The lock-free message queue, stressed across CPUs.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "kernel_harness.h"
#include "toro/toro.h"

namespace {

using toro_test::boot;

struct Message {
    std::uint32_t sender;
    std::uint32_t sequence;
};

TEST(MessageQueue, TrySendFailsWhenFullAndTryReceiveWhenEmpty) {
    int status = boot(1, [] {
        auto* queue = toro::make<toro::MessageQueue<Message, 4>>();
        Message message{};
        if (queue->try_receive(message)) return 1;
        for (std::uint32_t i = 0; i < 4; ++i) {
            if (!queue->try_send({0, i})) return 2;
        }
        if (queue->try_send({0, 4})) return 3;
        for (std::uint32_t i = 0; i < 4; ++i) {
            if (!queue->try_receive(message) || message.sequence != i) return 4;
        }
        toro::destroy(queue);
        return 0;
    });
    EXPECT_EQ(status, 0);
}

// Every CPU runs two producers and one consumer on one shared queue small
// enough to fill: senders block when full, receivers when empty. Each
// (sender, sequence) must arrive exactly once, and in order per sender
// where the consumer is the same.
TEST(MessageQueue, FourCpusManyThousandMessagesNothingLostOrDuplicated) {
    constexpr unsigned kCpus = 4;
    constexpr unsigned kProducers = 2 * kCpus;
    constexpr std::uint32_t kPerProducer = 25000;
    std::vector<std::atomic<std::uint8_t>> seen(kProducers * kPerProducer);
    std::atomic<int> out_of_order{0};
    int status = boot(kCpus, [&] {
        using Queue = toro::MessageQueue<Message, 64>;
        Queue* queue = toro::make<Queue>();
        std::vector<toro::Thread*> threads;
        for (unsigned p = 0; p < kProducers; ++p) {
            toro::ThreadOptions options;
            options.cpu = p % kCpus;
            threads.push_back(toro::spawn([queue, p] {
                for (std::uint32_t i = 0; i < kPerProducer; ++i) queue->send({p, i});
                return 0;
            }, options));
        }
        constexpr std::uint32_t kPerConsumer = kProducers * kPerProducer / kCpus;
        for (unsigned c = 0; c < kCpus; ++c) {
            toro::ThreadOptions options;
            options.cpu = c;
            threads.push_back(toro::spawn([&, queue] {
                std::vector<std::int64_t> last(kProducers, -1);
                for (std::uint32_t n = 0; n < kPerConsumer; ++n) {
                    Message m{};
                    queue->receive(m);
                    if (m.sender >= kProducers || m.sequence >= kPerProducer) return 1;
                    seen[m.sender * kPerProducer + m.sequence]++;
                    if (static_cast<std::int64_t>(m.sequence) <= last[m.sender]) out_of_order++;
                    last[m.sender] = m.sequence;
                }
                return 0;
            }, options));
        }
        int failures = 0;
        for (toro::Thread* thread : threads) failures += toro::join(thread);
        Message leftover{};
        if (queue->try_receive(leftover)) failures++;
        toro::destroy(queue);
        return failures;
    });
    EXPECT_EQ(status, 0);
    std::size_t missing = 0, duplicated = 0;
    for (auto& count : seen) {
        missing += count.load() == 0;
        duplicated += count.load() > 1;
    }
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_EQ(out_of_order.load(), 0);
}

}  // namespace
