// The packetdrill grammar as parser.h takes it: every kind of line, and
// errors that name the line and column where the text went wrong.
#include "parser.h"

#include <gtest/gtest.h>

namespace tcp_scripts {
namespace {

Script parse_ok(const std::string& text) {
    ParseResult result = parse_script(text, "test.pkt");
    EXPECT_TRUE(result.script.has_value()) << result.error.describe();
    return result.script.value_or(Script{});
}

ParseError parse_error(const std::string& text) {
    ParseResult result = parse_script(text, "test.pkt");
    EXPECT_FALSE(result.script.has_value());
    return result.error;
}

TEST(TcpScriptParser, ReadsOptionsAndComments) {
    Script script = parse_ok(
        "// a comment\n--ip_version=ipv4\n  --tolerance_usecs=75000 // why\n/* a\nblock */\n");
    ASSERT_EQ(script.options.size(), 2u);
    EXPECT_EQ(script.options[0].name, "ip_version");
    EXPECT_EQ(script.options[0].value, "ipv4");
    EXPECT_EQ(script.options[1].name, "tolerance_usecs");
    EXPECT_EQ(script.options[1].value, "75000");
    EXPECT_EQ(script.options[1].at.line, 3u);
    EXPECT_EQ(script.options[1].at.column, 3u);
    EXPECT_TRUE(script.events.empty());
}

TEST(TcpScriptParser, ReadsEveryTimingForm) {
    Script script = parse_ok(
        " 0.00 `true`\n+0.1 `true`\n+ 1 `true`\n* `true`\n.5~+0.75 `true`\n"
        "1.00...6.00 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)\n`untimed`\n");
    ASSERT_EQ(script.events.size(), 7u);
    EXPECT_EQ(script.events[0].timing.kind, Timing::Kind::kAbsolute);
    EXPECT_EQ(script.events[1].timing.kind, Timing::Kind::kRelative);
    EXPECT_EQ(script.events[1].timing.microseconds, 100000);
    EXPECT_EQ(script.events[2].timing.microseconds, 1000000);
    EXPECT_EQ(script.events[3].timing.kind, Timing::Kind::kAny);
    EXPECT_EQ(script.events[4].timing.microseconds, 500000);
    EXPECT_EQ(script.events[4].timing.end, Timing::End::kRange);
    EXPECT_EQ(script.events[4].timing.end_kind, Timing::Kind::kRelative);
    EXPECT_EQ(script.events[4].timing.end_microseconds, 750000);
    EXPECT_EQ(script.events[5].timing.end, Timing::End::kBlocking);
    EXPECT_EQ(script.events[5].timing.end_microseconds, 6000000);
    EXPECT_EQ(script.events[6].timing.kind, Timing::Kind::kRelative);
    EXPECT_EQ(script.events[6].text, "untimed");
}

TEST(TcpScriptParser, ReadsSystemCallsWithTheirResults) {
    Script script = parse_ok(
        "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
        "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n"
        "+0 read(3, ..., 100) = -1 EWOULDBLOCK (Operation would block)\n"
        "+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)\n"
        "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n"
        "+0 write (3, ..., 10) = 10//no space\n"
        "+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}, "
        "16) = 0\n");
    ASSERT_EQ(script.events.size(), 7u);
    const Expression& address = script.events[6].syscall.arguments[1];
    ASSERT_EQ(address.items.size(), 3u);
    EXPECT_EQ(address.items[1].kind, Expression::Kind::kCall);
    EXPECT_EQ(address.items[1].field, "sin_port");
    EXPECT_EQ(address.items[1].text, "htons");
    ASSERT_EQ(address.items[2].items.size(), 1u);
    EXPECT_EQ(address.items[2].items[0].text, "192.0.2.1");
    const Syscall& fcntl = script.events[0].syscall;
    EXPECT_EQ(fcntl.name, "fcntl");
    ASSERT_EQ(fcntl.arguments.size(), 3u);
    EXPECT_EQ(fcntl.arguments[0].integer, 3);
    EXPECT_EQ(fcntl.arguments[2].kind, Expression::Kind::kOr);
    ASSERT_EQ(fcntl.arguments[2].items.size(), 2u);
    EXPECT_EQ(fcntl.arguments[2].items[1].text, "O_NONBLOCK");
    const Syscall& getsockopt = script.events[1].syscall;
    EXPECT_EQ(getsockopt.arguments[3].kind, Expression::Kind::kList);
    EXPECT_EQ(getsockopt.arguments[3].items[0].text, "ECONNRESET");
    const Syscall& read = script.events[2].syscall;
    EXPECT_EQ(read.arguments[1].kind, Expression::Kind::kEllipsis);
    EXPECT_EQ(read.result, -1);
    EXPECT_EQ(read.error, "EWOULDBLOCK");
    EXPECT_EQ(read.note, "Operation would block");
    EXPECT_EQ(script.events[3].syscall.result, 2);
    EXPECT_EQ(script.events[3].syscall.note, "flags O_RDWR");
    const Expression& linger = script.events[4].syscall.arguments[3];
    EXPECT_EQ(linger.kind, Expression::Kind::kStruct);
    ASSERT_EQ(linger.items.size(), 2u);
    EXPECT_EQ(linger.items[1].field, "l_linger");
    EXPECT_EQ(script.events[5].syscall.name, "write");
}

TEST(TcpScriptParser, ReadsSegmentsWithOptions) {
    Script script = parse_ok(
        "+0 > SEW 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>\n"
        "+0 < . 1:1001(1000) ack 1 win 257 <nop, nop, sack 2001:3001 4001:5001>\n"
        "+0 > P. 1:11(10) ack 1\n"
        "+0 > S. ...(0) ack 1 <...>\n"
        "+0 > (tos 0x20) R. 0:0(0)! ack 2 win 0/udp(9811 > 1)\n"
        "+0 <[noecn] (ttl 6) F. 4:4(0) ack 2 win 32767 <nop,nop,md5 valid>\n");
    ASSERT_EQ(script.events.size(), 6u);
    const Packet& syn = script.events[0].packet;
    EXPECT_FALSE(syn.inbound);
    EXPECT_EQ(syn.tcp.flags, "SEW");
    EXPECT_EQ(syn.tcp.window, 65535u);
    EXPECT_FALSE(syn.tcp.ack.has_value());
    ASSERT_EQ(syn.tcp.options.size(), 5u);
    EXPECT_EQ(syn.tcp.options[0].kind, TcpOption::Kind::kMss);
    EXPECT_EQ(syn.tcp.options[0].value, 1460u);
    EXPECT_EQ(syn.tcp.options[2].kind, TcpOption::Kind::kWindowScale);
    EXPECT_EQ(syn.tcp.options[4].kind, TcpOption::Kind::kTimestamp);
    EXPECT_EQ(syn.tcp.options[4].timestamp_value, 100u);
    const Packet& data = script.events[1].packet;
    EXPECT_TRUE(data.inbound);
    EXPECT_EQ(data.tcp.start, 1u);
    EXPECT_EQ(data.tcp.end, 1001u);
    EXPECT_EQ(data.tcp.length, 1000u);
    ASSERT_EQ(data.tcp.options.size(), 3u);
    ASSERT_EQ(data.tcp.options[2].sack_blocks.size(), 2u);
    EXPECT_EQ(data.tcp.options[2].sack_blocks[1].first, 4001u);
    EXPECT_FALSE(script.events[2].packet.tcp.has_options);
    EXPECT_FALSE(script.events[2].packet.tcp.window.has_value());
    EXPECT_TRUE(script.events[3].packet.tcp.any_sequence);
    EXPECT_TRUE(script.events[3].packet.tcp.any_options);
    const Packet& reset = script.events[4].packet;
    EXPECT_EQ(reset.tos, 0x20u);
    EXPECT_TRUE(reset.tcp.absolute_sequence);
    EXPECT_TRUE(reset.udp_encapsulated);
    EXPECT_EQ(reset.udp_source, 9811);
    EXPECT_EQ(reset.udp_destination, 1);
    const Packet& fin = script.events[5].packet;
    EXPECT_EQ(fin.ecn, "noecn");
    EXPECT_EQ(fin.ttl, 6u);
    EXPECT_EQ(fin.tcp.options[2].kind, TcpOption::Kind::kMd5);
    EXPECT_EQ(script.events[5].source,
              "+0 <[noecn] (ttl 6) F. 4:4(0) ack 2 win 32767 <nop,nop,md5 valid>");
}

TEST(TcpScriptParser, ReadsIcmpShellAndCode) {
    Script script = parse_ok(
        "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
        "+0 <icmp source_quench [0:0(0)]\n"
        "+0 `sysctl -w net.inet.tcp.ecn.enable=1`\n"
        "  `echo 'a\n   b' | cat`\n"
        "+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%\n");
    ASSERT_EQ(script.events.size(), 5u);
    const IcmpMessage& icmp = script.events[0].packet.icmp;
    EXPECT_TRUE(script.events[0].packet.is_icmp);
    EXPECT_EQ(icmp.type, "unreachable");
    EXPECT_EQ(icmp.code, "frag_needed");
    EXPECT_EQ(icmp.mtu, 1200u);
    EXPECT_EQ(icmp.end, 1461u);
    EXPECT_EQ(script.events[1].packet.icmp.type, "source_quench");
    EXPECT_TRUE(script.events[1].packet.icmp.code.empty());
    EXPECT_EQ(script.events[2].kind, Event::Kind::kShell);
    EXPECT_EQ(script.events[2].text, "sysctl -w net.inet.tcp.ecn.enable=1");
    EXPECT_EQ(script.events[3].text, "echo 'a\n   b' | cat");
    EXPECT_EQ(script.events[4].kind, Event::Kind::kCode);
    EXPECT_EQ(script.events[4].at.line, 6u);
}

TEST(TcpScriptParser, TakesTheBranchOfEachConditional) {
    ParseOptions freebsd;
    freebsd.defines = {"FreeBSD"};
    std::string text =
        "#ifdef STANDARD\n+0 `standard`\n#else\n+0 `other`\n#endif\n"
        "#ifdef FreeBSD\n+0 `freebsd` broken syntax is skipped ((\n#endif\n";
    Script standard = parse_ok(text);
    ASSERT_EQ(standard.events.size(), 1u);
    EXPECT_EQ(standard.events[0].text, "standard");
    ParseResult other = parse_script("#ifdef STANDARD\n+0 `standard`\n#else\n+0 `other`\n#endif\n",
                                     "x.pkt", freebsd);
    ASSERT_TRUE(other.script.has_value());
    ASSERT_EQ(other.script->events.size(), 1u);
    EXPECT_EQ(other.script->events[0].text, "other");
}

TEST(TcpScriptParser, ErrorsNameTheLineAndColumn) {
    ParseError error =
        parse_error("--ip_version=ipv4\n+0 > S 0:0(0) win 65535 <mss 1460,bogus 3>\n");
    EXPECT_EQ(error.at.line, 2u);
    EXPECT_EQ(error.at.column, 35u);
    EXPECT_EQ(error.describe(), "test.pkt:2:35: unknown TCP option 'bogus'");

    error = parse_error("+0 < S 0:10(5) win 1\n");
    EXPECT_EQ(error.at.line, 1u);
    EXPECT_EQ(error.at.column, 8u);
    EXPECT_NE(error.message.find("is not 5 bytes long"), std::string::npos);

    error = parse_error("\n\n   +0 close(3) = 0 junk(\n");
    EXPECT_EQ(error.at.line, 3u);
    EXPECT_EQ(error.at.column, 24u);

    error = parse_error("+0 close(3 = 0\n");
    EXPECT_EQ(error.at.column, 12u);
    EXPECT_EQ(error.message, "expected ')', found '='");

    error = parse_error("+0 `never closed\n\n");
    EXPECT_EQ(error.at.column, 4u);
    EXPECT_EQ(error.message, "'`' is never closed");

    error = parse_error("+x close(3) = 0\n");
    EXPECT_EQ(error.at.column, 2u);

    error = parse_error("#ifdef STANDARD\n+0 `a`\n");
    EXPECT_EQ(error.at.line, 1u);
    EXPECT_EQ(error.message, "#ifdef without #endif");

    error = parse_error("+0 < SS 0:0(0) win 1\n");
    EXPECT_EQ(error.at.column, 7u);
    EXPECT_EQ(error.message, "flag 'S' given twice");
}

}  // namespace
}  // namespace tcp_scripts
