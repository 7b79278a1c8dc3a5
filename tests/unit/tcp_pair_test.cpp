// tcp_pair_fuzz's body (tests/fuzz/tcp_pair.cpp) over its seeds, in the
// default build: two stacks, a wire that loses, duplicates, reorders,
// corrupts and forges as each seed says, then a perfect one. A broken
// invariant aborts the test (the message says which); here the outcomes
// are checked too, and that a seed replays exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tcp_pair.h"

namespace {

std::vector<std::uint8_t> read_seed(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(TcpPair, EverySeedKeepsTheInvariantsAndReplaysExactly) {
    std::size_t seeds = 0;
    for (const auto& entry : std::filesystem::directory_iterator(TCP_PAIR_SEEDS)) {
        std::string name = entry.path().filename().string();
        SCOPED_TRACE(name);
        std::vector<std::uint8_t> input = read_seed(entry.path());
        tcp_pair::Outcome first = tcp_pair::run(input.data(), input.size());
        tcp_pair::Outcome again = tcp_pair::run(input.data(), input.size());
        EXPECT_EQ(first.simulated_ns, again.simulated_ns);
        EXPECT_EQ(first.completed, again.completed);
        // Only a forged segment or retries running out may stop a transfer.
        if (name == "forged_flags") {
            EXPECT_TRUE(first.forged);
        } else if (name == "retries_run_out") {
            EXPECT_TRUE(first.timed_out);
            EXPECT_FALSE(first.completed);
        } else {
            EXPECT_TRUE(first.completed);
            EXPECT_FALSE(first.forged || first.timed_out || first.cookie_reset);
        }
        ++seeds;
    }
    EXPECT_GE(seeds, 10u);
}

}  // namespace
