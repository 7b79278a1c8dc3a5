// The hosted machine's flags (hal_posix/options.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hal_posix/machine.h"
#include "kernel_harness.h"

namespace {

struct Parsed {
    hal_posix::ParseOutcome outcome;
    hal_posix::MachineConfig config;
    std::string error;
};

Parsed parse(std::vector<std::string> words) {
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    Parsed parsed;
    parsed.outcome = hal_posix::parse_command_line(static_cast<int>(words.size()), argv.data(),
                                                   &parsed.config, &parsed.error);
    return parsed;
}

TEST(CommandLine, DefaultsToOneCpuAnd64MiB) {
    Parsed p = parse({"/x/hello"});
    EXPECT_EQ(p.outcome, hal_posix::ParseOutcome::kRun);
    EXPECT_EQ(p.config.program, "hello");
    EXPECT_EQ(p.config.cpus, 1u);
    EXPECT_EQ(p.config.memory_bytes, 64u << 20);
    EXPECT_EQ(p.config.command_line, "");
}

TEST(CommandLine, AcceptsCpusMemoryAndApplicationArguments) {
    Parsed p = parse({"hello", "--cpus", "4", "--memory=1G", "--", "a", "b c", "", "--cpus"});
    EXPECT_EQ(p.outcome, hal_posix::ParseOutcome::kRun);
    EXPECT_EQ(p.config.cpus, 4u);
    EXPECT_EQ(p.config.memory_bytes, std::size_t{1} << 30);
    EXPECT_EQ(p.config.command_line, "a \"b c\" \"\" --cpus");
}

// What the application's toro_main gets for the arguments after "--": the
// hosted HAL joins them into the boot command line, the kernel splits it.
std::vector<std::string> application_argv(const std::vector<std::string>& arguments) {
    std::vector<std::string> words = {"x", "--"};
    words.insert(words.end(), arguments.begin(), arguments.end());
    Parsed p = parse(words);
    EXPECT_EQ(p.outcome, hal_posix::ParseOutcome::kRun);
    toro_test::MachineShape shape;
    shape.command_line = p.config.command_line;
    std::vector<std::string> argv;
    int status = toro_test::boot(shape, [&](int argc, char** given) {
        for (int i = 1; i < argc; ++i) argv.push_back(given[i]);
        return 0;
    });
    EXPECT_EQ(status, 0);
    return argv;
}

TEST(CommandLine, ApplicationArgumentsArriveExactlyAsGiven) {
    const std::vector<std::string> hostile = {
        "/a\"b", "\"", "\"\"", "\\", "\\\\", "\\\"", "a\\", "C:\\dir\\", "two words", "",
        "\t", " lead", "trail ", "tab\there", "\"quoted words\"", "x \"y\\\" z", "--", "\\ \\"};
    EXPECT_EQ(application_argv(hostile), hostile);
    for (const std::string& argument : hostile) {  // alone, too: first and last on the line
        EXPECT_EQ(application_argv({argument}), std::vector<std::string>{argument}) << argument;
    }
}

TEST(CommandLine, SizesTakeBinarySuffixes) {
    EXPECT_EQ(parse({"x", "--memory", "4096K"}).config.memory_bytes, 4u << 20);
    EXPECT_EQ(parse({"x", "--memory", "128MiB"}).config.memory_bytes, 128u << 20);
    EXPECT_EQ(parse({"x", "--memory", "8388608"}).config.memory_bytes, 8u << 20);
}

TEST(CommandLine, DisksAttachInOrderAndMayBeReadOnly) {
    Parsed p = parse({"x", "--disk", "a.img", "--disk=b,c.img,ro", "--disk", "d.img,rw"});
    EXPECT_EQ(p.outcome, hal_posix::ParseOutcome::kRun);
    ASSERT_EQ(p.config.disks.size(), 3u);
    EXPECT_EQ(p.config.disks[0].path, "a.img");
    EXPECT_FALSE(p.config.disks[0].read_only);
    EXPECT_EQ(p.config.disks[1].path, "b,c.img");
    EXPECT_TRUE(p.config.disks[1].read_only);
    EXPECT_EQ(p.config.disks[2].path, "d.img");
    EXPECT_FALSE(p.config.disks[2].read_only);
}

TEST(CommandLine, SeedTakesAnyDecimalOrHexSixtyFourBitNumber) {
    EXPECT_FALSE(parse({"x"}).config.seed.has_value());
    EXPECT_EQ(parse({"x", "--seed", "42"}).config.seed, 42u);
    EXPECT_EQ(parse({"x", "--seed=0"}).config.seed, 0u);
    EXPECT_EQ(parse({"x", "--seed", "0x2A"}).config.seed, 42u);
    EXPECT_EQ(parse({"x", "--seed", "18446744073709551615"}).config.seed, ~0ull);
    EXPECT_EQ(parse({"x", "--seed", "0xffffffffffffffff"}).config.seed, ~0ull);
    EXPECT_NE(hal_posix::usage("x").find("--seed N"), std::string::npos);
}

TEST(CommandLine, HelpIsNotAnError) {
    EXPECT_EQ(parse({"x", "--help"}).outcome, hal_posix::ParseOutcome::kHelp);
    EXPECT_NE(hal_posix::usage("x").find("--cpus N"), std::string::npos);
}

TEST(CommandLine, TapTakesItsNameAndOffloadSetting) {
    Parsed p = parse({"x", "--nic", "tap:t0", "--nic", "tap:t1,offload=off", "--nic", "tap:t2,offload=on"});
    ASSERT_EQ(p.outcome, hal_posix::ParseOutcome::kRun) << p.error;
    ASSERT_EQ(p.config.nics.size(), 3u);
    EXPECT_EQ(p.config.nics[0].tap, "t0");
    EXPECT_TRUE(p.config.nics[0].tap_offload);
    EXPECT_EQ(p.config.nics[1].tap, "t1");
    EXPECT_FALSE(p.config.nics[1].tap_offload);
    EXPECT_TRUE(p.config.nics[2].tap_offload);
}

TEST(CommandLine, RejectsEachBadFlagWithAMessage) {
    struct Case {
        std::vector<std::string> words;
        std::string message;
    };
    const Case cases[] = {
        {{"x", "--cpus", "0"}, "--cpus: '0' is not a CPU count from 1 to 64"},
        {{"x", "--cpus", "999"}, "--cpus: '999' is not a CPU count from 1 to 64"},
        {{"x", "--cpus", "-1"}, "--cpus: '-1' is not a CPU count from 1 to 64"},
        {{"x", "--cpus", "2x"}, "--cpus: '2x' is not a CPU count from 1 to 64"},
        {{"x", "--cpus"}, "--cpus needs a value"},
        {{"x", "--memory", "banana"}, "--memory: 'banana' is not a size (e.g. 64M, 1G)"},
        {{"x", "--memory", "1M"}, "--memory: '1M' is outside 4M to 64G"},
        {{"x", "--memory", "65G"}, "--memory: '65G' is outside 4M to 64G"},
        {{"x", "--memory", "99999999999999999999G"},
         "--memory: '99999999999999999999G' is not a size (e.g. 64M, 1G)"},
        {{"x", "--seed", "banana"},
         "--seed: 'banana' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed", "-1"}, "--seed: '-1' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed", "0x"}, "--seed: '0x' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed", " 7"}, "--seed: ' 7' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed", "7f"}, "--seed: '7f' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed", "18446744073709551616"},
         "--seed: '18446744073709551616' is not a number from 0 to 2^64-1 (decimal or 0x hex)"},
        {{"x", "--seed"}, "--seed needs a value"},
        {{"x", "--frobnicate"}, "unknown option '--frobnicate'"},
        {{"x", "stray"}, "unexpected argument 'stray' (application arguments go after --)"},
        {{"x", "--disk"}, "--disk needs a value"},
        {{"x", "--disk", ",ro"}, "--disk needs a file path"},
        {{"x", "--disk", "a.img,rx"}, "--disk: unknown option 'rx' in 'a.img,rx' (PATH[,ro])"},
        {{"x", "--nic", "tap:"}, "--nic tap: needs a device name (tap:NAME[,offload=off])"},
        {{"x", "--nic", "tap:,offload=off"}, "--nic tap: needs a device name (tap:NAME[,offload=off])"},
        {{"x", "--nic", "tap:t0,offload=of"},
         "--nic tap: unknown option 'offload=of' in 'tap:t0,offload=of' (offload=on|off)"},
        {{"x", "--nic", "tap:t0,"}, "--nic tap: unknown option '' in 'tap:t0,' (offload=on|off)"},
    };
    for (const Case& c : cases) {
        Parsed p = parse(c.words);
        EXPECT_EQ(p.outcome, hal_posix::ParseOutcome::kError) << c.message;
        EXPECT_EQ(p.error, c.message);
    }
}

}  // namespace
