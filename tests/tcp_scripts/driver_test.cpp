// The driver against small scripts of its own: a passive open that passes,
// and one wrong line at a time, each failing with what differs.
#include "driver.h"

#include <gtest/gtest.h>

#include "parser.h"

namespace tcp_scripts {
namespace {

// A blocking accept that returns when the handshake completes, then close.
const char* const kPassiveOpen[] = {
    "--tolerance_usecs=10000",
    "0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
    "0.000 bind(3, ..., ...) = 0",
    "0.000 listen(3, 1) = 0",
    "0.100...0.200 accept(3, ..., ...) = 4",
    "0.150 < S 0:0(0) win 32767 <mss 1460>",
    "0.150 > S. 0:0(0) ack 1 win 65535 <mss 1460>",
    "0.200 < . 1:1(0) ack 1 win 32767",
    "0.300 < P. 1:11(10) ack 1 win 32767",
    "0.300~0.400 > . 1:1(0) ack 11 win 65535",
    "0.500 read(4, ..., 100) = 10",
    "0.500 close(4) = 0",
    "0.500 > F. 1:1(0) ack 11 win 65535",
};

// The script with line `line` (1-based, as reports count) replaced.
RunResult run_with(int line, const std::string& replacement) {
    std::string text;
    int number = 0;
    for (const char* source : kPassiveOpen) {
        ++number;
        text += (number == line ? replacement : std::string(source)) + "\n";
    }
    ParseResult parsed = parse_script(text, "passive.pkt");
    EXPECT_TRUE(parsed.script.has_value()) << parsed.error.describe();
    if (!parsed.script) return {};
    return run_script(*parsed.script);
}

TEST(TcpScriptDriver, PassesAPassiveOpenWithDataAndClose) {
    RunResult result = run_with(0, "");
    EXPECT_TRUE(result.passed) << result.failure;
}

TEST(TcpScriptDriver, NamesTheFieldThatDiffers) {
    RunResult result = run_with(7, "0.150 > S. 0:0(0) ack 1 win 1000 <mss 1460>");
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(
        result.failure,
        "line 7: `0.150 > S. 0:0(0) ack 1 win 1000 <mss 1460>`: sent `S. 0:0(0) ack 1 win 65535 "
        "<mss 1460>` at 0.150000 s: the window differs");
    result = run_with(7, "0.150 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK>");
    EXPECT_NE(result.failure.find("the options differ"), std::string::npos) << result.failure;
}

TEST(TcpScriptDriver, ASegmentSentAtTheWrongTimeFails) {
    RunResult result = run_with(7, "0.170 > S. 0:0(0) ack 1 win 65535 <mss 1460>");
    EXPECT_NE(result.failure.find("outside the time expected"), std::string::npos)
        << result.failure;
}

TEST(TcpScriptDriver, ASegmentNoLineExpectsFails) {
    RunResult result = run_with(7, "// no SYN-ACK expected");
    EXPECT_NE(result.failure.find("line 8: "), std::string::npos) << result.failure;
    EXPECT_NE(result.failure.find("the stack sent `S. 0:0(0) ack 1"), std::string::npos)
        << result.failure;
    EXPECT_NE(result.failure.find("which no line expects"), std::string::npos) << result.failure;
}

TEST(TcpScriptDriver, AnExpectedSegmentNeverSentFails) {
    RunResult result = run_with(13, "0.500 > R. 1:1(0) ack 11 win 0");
    EXPECT_NE(result.failure.find("the flags differ"), std::string::npos) << result.failure;
    result = run_with(10, "0.300~0.400 > . 1:1(0) ack 12 win 65535");
    EXPECT_NE(result.failure.find("the acknowledgment number differs"), std::string::npos)
        << result.failure;
    // The ACK is delayed (40 ms): at 0.300 within 10 ms, none comes.
    result = run_with(10, "0.300 > . 1:1(0) ack 11 win 65535");
    EXPECT_NE(result.failure.find("sent none by 0.310000 s"), std::string::npos) << result.failure;
}

TEST(TcpScriptDriver, ABlockingCallMustReturnWhenItsLineSays) {
    RunResult result = run_with(5, "0.100...0.400 accept(3, ..., ...) = 4");
    EXPECT_NE(result.failure.find("returned at 0.2"), std::string::npos) << result.failure;
}

TEST(TcpScriptDriver, ASystemCallsResultIsChecked) {
    RunResult result = run_with(11, "0.500 read(4, ..., 100) = 9");
    EXPECT_EQ(result.failure, "line 11: `0.500 read(4, ..., 100) = 9`: returned 10");
}

// Timestamps: the SYN-ACK's TSval fixes the offset; the ACK 0.5 s later
// (delayed 40 ms) has moved by 540 ticks of 1 ms, to 640. As in packetdrill, the script's TSval
// for it is held to that only with --tcp_ts_tick_usecs.
RunResult run_timestamps(const std::string& tick_option, std::uint32_t later_tsval) {
    std::string text = tick_option + "\n" +
                       "0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                       "0.000 bind(3, ..., ...) = 0\n"
                       "0.000 listen(3, 1) = 0\n"
                       "0.100 < S 0:0(0) win 32767 <mss 1460,TS val 7 ecr 0>\n"
                       "0.100 > S. 0:0(0) ack 1 win 65535 <mss 1460,TS val 100 ecr 7>\n"
                       "0.200 < . 1:1(0) ack 1 win 32767 <TS val 8 ecr 100>\n"
                       "0.600 < P. 1:11(10) ack 1 win 32767 <TS val 9 ecr 100>\n"
                       "0.640 > . 1:1(0) ack 11 win 65535 <nop,nop,TS val " +
                       std::to_string(later_tsval) + " ecr 9>\n";
    ParseResult parsed = parse_script(text, "timestamps.pkt");
    EXPECT_TRUE(parsed.script.has_value()) << parsed.error.describe();
    if (!parsed.script) return {};
    return run_script(*parsed.script);
}

TEST(TcpScriptDriver, TsvalsAreHeldToTheClockOnlyWithATick) {
    RunResult result = run_timestamps("--tcp_ts_tick_usecs=1000", 640);
    EXPECT_TRUE(result.passed) << result.failure;
    result = run_timestamps("--tcp_ts_tick_usecs=1000", 100);
    EXPECT_NE(result.failure.find("the TSval differs"), std::string::npos) << result.failure;
    result = run_timestamps("--tolerance_usecs=50000", 100);  // packetdrill checks none without it
    EXPECT_TRUE(result.passed) << result.failure;
}

}  // namespace
}  // namespace tcp_scripts
