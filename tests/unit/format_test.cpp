// toro::format against the host's snprintf as the oracle: a table of
// directives, truncation at every capacity, and random integer directives.

#include <gtest/gtest.h>

#include <cinttypes>
#include <climits>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>

#include "toro/print.h"

// The formats below are passed around as runtime strings, and some are wrong
// on purpose (unknown conversions, unfinished directives).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

namespace {

constexpr std::size_t kRenderCapacity = 512;

// What one formatter produced: the text and the length it returned.
struct Rendering {
    std::string text;
    long long length = 0;

    bool operator==(const Rendering&) const = default;
};

std::ostream& operator<<(std::ostream& stream, const Rendering& rendering) {
    return stream << '"' << rendering.text << "\" (returned " << rendering.length << ')';
}

template <typename... Arguments>
Rendering render_with_toro(const char* format_string, Arguments... arguments) {
    char buffer[kRenderCapacity];
    std::size_t length = toro::format(buffer, sizeof buffer, format_string, arguments...);
    return {buffer, static_cast<long long>(length)};
}

template <typename... Arguments>
Rendering render_with_snprintf(const char* format_string, Arguments... arguments) {
    char buffer[kRenderCapacity];
    int length = std::snprintf(buffer, sizeof buffer, format_string, arguments...);
    return {buffer, length};
}

// One table row renders the same call with both formatters; `call` is the
// source text of the arguments, for the failure message.
struct OracleCase {
    const char* call;
    Rendering (*render_toro)();
    Rendering (*render_snprintf)();
};

#define ORACLE_CASE(...)                                                \
    OracleCase {                                                        \
        #__VA_ARGS__, [] { return render_with_toro(__VA_ARGS__); },     \
            [] { return render_with_snprintf(__VA_ARGS__); }            \
    }

void* pointer_at(std::uintptr_t address) { return reinterpret_cast<void*>(address); }

const char* const kNullString = nullptr;
void* const kNullPointer = nullptr;
const std::intmax_t kIntMaxMin = INTMAX_MIN;
const std::uintmax_t kUintMaxMax = UINTMAX_MAX;
const std::size_t kSizeMax = SIZE_MAX;
const std::make_signed_t<std::size_t> kSignedSizeMinusOne = -1;
const std::ptrdiff_t kPtrdiffMin = PTRDIFF_MIN;
const std::make_unsigned_t<std::ptrdiff_t> kUnsignedPtrdiffMax = PTRDIFF_MAX;

const OracleCase kOracleCases[] = {
    // Literal text, '%%'.
    ORACLE_CASE(""),
    ORACLE_CASE("no directives at all"),
    ORACLE_CASE("%%"),
    ORACLE_CASE("100%% sure, %%d stays"),
    ORACLE_CASE("[%5%]"),
    ORACLE_CASE("[%-5%]"),
    // %d %i: signs, width, zero padding.
    ORACLE_CASE("%d", 0),
    ORACLE_CASE("%d", 42),
    ORACLE_CASE("%d", -42),
    ORACLE_CASE("%i", -7),
    ORACLE_CASE("%d", INT_MAX),
    ORACLE_CASE("%d", INT_MIN),
    ORACLE_CASE("[%5d]", 42),
    ORACLE_CASE("[%-5d]", 42),
    ORACLE_CASE("[%05d]", 42),
    ORACLE_CASE("[%05d]", -42),
    ORACLE_CASE("[%-05d]", -42),
    ORACLE_CASE("[%2d]", -12345),
    ORACLE_CASE("%+d", 42),
    ORACLE_CASE("%+d", -42),
    ORACLE_CASE("%+d", 0),
    ORACLE_CASE("[% d]", 42),
    ORACLE_CASE("[% d]", -42),
    ORACLE_CASE("[%+ d]", 42),
    ORACLE_CASE("[% +d]", 42),
    ORACLE_CASE("[%+05d]", 42),
    ORACLE_CASE("[% 05d]", 42),
    ORACLE_CASE("[%+-6d]", 42),
    ORACLE_CASE("%#d", 5),
    ORACLE_CASE("[%012d]", INT_MIN),
    ORACLE_CASE("%+i", INT_MAX),
    // Integer precision: minimum digits, "%.0d" of 0, '0' flag ignored.
    ORACLE_CASE("%.3d", 7),
    ORACLE_CASE("%.3d", -7),
    ORACLE_CASE("[%8.3d]", -7),
    ORACLE_CASE("[%-8.3d]", -7),
    ORACLE_CASE("[%08.3d]", -7),
    ORACLE_CASE("[%.0d]", 0),
    ORACLE_CASE("[%5.0d]", 0),
    ORACLE_CASE("[%+.0d]", 0),
    ORACLE_CASE("[% .0d]", 0),
    ORACLE_CASE("[%.0d]", 1),
    ORACLE_CASE("[%.d]", 0),
    ORACLE_CASE("%.12d", INT_MIN),
    ORACLE_CASE("%.40d", 123),
    // %u.
    ORACLE_CASE("%u", 0u),
    ORACLE_CASE("%u", UINT_MAX),
    ORACLE_CASE("%+u", 5u),
    ORACLE_CASE("% u", 5u),
    ORACLE_CASE("[%08u]", 123u),
    ORACLE_CASE("[%.5u]", 12u),
    ORACLE_CASE("[%-8.5u]", 12u),
    // %x %X: case, '#' prefix only for nonzero values.
    ORACLE_CASE("%x", 0xdeadbeefu),
    ORACLE_CASE("%X", 0xdeadbeefu),
    ORACLE_CASE("%x", UINT_MAX),
    ORACLE_CASE("%#x", 0xbeefu),
    ORACLE_CASE("%#X", 0xbeefu),
    ORACLE_CASE("%#x", 0u),
    ORACLE_CASE("[%#.0x]", 0u),
    ORACLE_CASE("[%#5.0x]", 0u),
    ORACLE_CASE("%#010x", 0xbeefu),
    ORACLE_CASE("%#.8x", 0xbeefu),
    ORACLE_CASE("[%#12.6X]", 0xbeefu),
    ORACLE_CASE("[%-#10x]", 0xbeefu),
    ORACLE_CASE("%+x", 5u),
    // %o: '#' forces a leading zero, once.
    ORACLE_CASE("%o", 8u),
    ORACLE_CASE("%o", UINT_MAX),
    ORACLE_CASE("%#o", 8u),
    ORACLE_CASE("%#o", 0u),
    ORACLE_CASE("[%#.0o]", 0u),
    ORACLE_CASE("[%.0o]", 0u),
    ORACLE_CASE("%#.3o", 8u),
    ORACLE_CASE("%#.2o", 8u),
    ORACLE_CASE("[%#6o]", 8u),
    ORACLE_CASE("[%#06o]", 8u),
    // Length modifiers: narrowing for hh and h, full width for the rest.
    ORACLE_CASE("%hhd", 300),
    ORACLE_CASE("%hhd", -129),
    ORACLE_CASE("%hhd", 127),
    ORACLE_CASE("%hhu", -1),
    ORACLE_CASE("%hhx", 0x1ff),
    ORACLE_CASE("%hhi", 128),
    ORACLE_CASE("%hd", 70000),
    ORACLE_CASE("%hd", -32769),
    ORACLE_CASE("%hu", -1),
    ORACLE_CASE("%hx", 0x12345),
    ORACLE_CASE("%#ho", 0x10008),
    ORACLE_CASE("%ld", LONG_MIN),
    ORACLE_CASE("%ld", LONG_MAX),
    ORACLE_CASE("%lu", ULONG_MAX),
    ORACLE_CASE("%lx", 0x123456789abcdefUL),
    ORACLE_CASE("%lld", LLONG_MIN),
    ORACLE_CASE("%llu", ULLONG_MAX),
    ORACLE_CASE("%llX", ULLONG_MAX),
    ORACLE_CASE("%llo", ULLONG_MAX),
    ORACLE_CASE("%#llo", ULLONG_MAX),
    ORACLE_CASE("%" PRId64, INT64_MIN),
    ORACLE_CASE("%" PRId64, INT64_MAX),
    ORACLE_CASE("%" PRIu64, UINT64_MAX),
    ORACLE_CASE("%#" PRIx64, UINT64_MAX),
    ORACLE_CASE("[%030" PRId64 "]", INT64_MIN),
    ORACLE_CASE("[%-30" PRId64 "]", INT64_MIN),
    ORACLE_CASE("[%+.25" PRId64 "]", INT64_MIN),
    ORACLE_CASE("%jd", kIntMaxMin),
    ORACLE_CASE("%ju", kUintMaxMax),
    ORACLE_CASE("%zu", kSizeMax),
    ORACLE_CASE("%zx", kSizeMax),
    ORACLE_CASE("%zd", kSignedSizeMinusOne),
    ORACLE_CASE("%td", kPtrdiffMin),
    ORACLE_CASE("%tu", kUnsignedPtrdiffMax),
    ORACLE_CASE("%tx", kUnsignedPtrdiffMax),
    // %c: width applies, precision and '0' do not.
    ORACLE_CASE("%c", 'A'),
    ORACLE_CASE("[%5c]", 'A'),
    ORACLE_CASE("[%-5c]", 'A'),
    ORACLE_CASE("[%05c]", 'A'),
    ORACLE_CASE("[%.0c]", 'A'),
    ORACLE_CASE("%c", 256 + 'B'),
    ORACLE_CASE("%c%c%c", 'a', 'b', 'c'),
    // %s: precision cuts, width pads, null prints "(null)" unless cut short.
    ORACLE_CASE("%s", "hello"),
    ORACLE_CASE("[%10s]", "hello"),
    ORACLE_CASE("[%-10s]", "hello"),
    ORACLE_CASE("[%.3s]", "hello"),
    ORACLE_CASE("[%10.3s]", "hello"),
    ORACLE_CASE("[%-10.3s]", "hello"),
    ORACLE_CASE("[%.0s]", "hello"),
    ORACLE_CASE("[%.10s]", "hi"),
    ORACLE_CASE("[%s]", ""),
    ORACLE_CASE("[%5s]", ""),
    ORACLE_CASE("[%05s]", "ab"),
    ORACLE_CASE("[%2s]", "longer"),
    ORACLE_CASE("%s", kNullString),
    ORACLE_CASE("[%10s]", kNullString),
    ORACLE_CASE("[%-10s]", kNullString),
    ORACLE_CASE("[%.3s]", kNullString),
    ORACLE_CASE("[%.6s]", kNullString),
    // %p: "0x" hex, "(nil)" for null, sign flags and zero padding as glibc.
    ORACLE_CASE("%p", pointer_at(0x1234)),
    ORACLE_CASE("%p", pointer_at(UINTPTR_MAX)),
    ORACLE_CASE("%p", kNullPointer),
    ORACLE_CASE("[%20p]", pointer_at(0x1234)),
    ORACLE_CASE("[%-20p]", pointer_at(0x1234)),
    ORACLE_CASE("[%020p]", pointer_at(0x1234)),
    ORACLE_CASE("[%.8p]", pointer_at(0x1234)),
    ORACLE_CASE("[%+p]", pointer_at(0x1234)),
    ORACLE_CASE("[% p]", pointer_at(0x1234)),
    ORACLE_CASE("[%10p]", kNullPointer),
    ORACLE_CASE("[%-10p]", kNullPointer),
    ORACLE_CASE("[%010p]", kNullPointer),
    ORACLE_CASE("[%.2p]", kNullPointer),
    // '*' width and precision; negative width means '-', negative precision none.
    ORACLE_CASE("[%*d]", 8, 42),
    ORACLE_CASE("[%-*d]", 8, 42),
    ORACLE_CASE("[%*d]", -8, 42),
    ORACLE_CASE("[%0*d]", -8, 42),
    ORACLE_CASE("[%0*d]", 8, -42),
    ORACLE_CASE("[%.*d]", 5, 42),
    ORACLE_CASE("[%.*d]", -5, 42),
    ORACLE_CASE("[%0.*d]", -5, 42),
    ORACLE_CASE("[%.*d]", 0, 0),
    ORACLE_CASE("[%*.*d]", 8, 5, -42),
    ORACLE_CASE("[%*.*s]", 8, 3, "abcdef"),
    ORACLE_CASE("[%.*s]", -1, "abc"),
    ORACLE_CASE("[%*s]", -6, "ab"),
    ORACLE_CASE("[%*c]", 3, 'x'),
    ORACLE_CASE("[%*p]", 12, pointer_at(0xabc)),
    // Several directives in one format.
    ORACLE_CASE("a%db%sc%xd", 1, "two", 3u),
    ORACLE_CASE("[%5d|%-5s|%05x|%c]", -3, "ab", 0xafu, 'z'),
    ORACLE_CASE("%s=%lld (%#llx)", "value", LLONG_MAX, ULLONG_MAX),
    // Unknown conversions are printed as written.
    ORACLE_CASE("%y"),
    ORACLE_CASE("a%yb%d", 5),
    ORACLE_CASE("[%5y]"),
    ORACLE_CASE("[%-5y]"),
};

TEST(FormatTest, MatchesSnprintfOnConversionTable) {
    EXPECT_GE(std::size(kOracleCases), 80u);
    for (const OracleCase& oracle_case : kOracleCases) {
        EXPECT_EQ(oracle_case.render_toro(), oracle_case.render_snprintf())
            << "for format(" << oracle_case.call << ")";
    }
}

// Behaviour chosen where glibc reports an error or normalizes the directive.
TEST(FormatTest, PrintsTrailingLonePercent) {
    EXPECT_EQ(render_with_toro("%"), (Rendering{"%", 1}));
    EXPECT_EQ(render_with_toro("abc%"), (Rendering{"abc%", 4}));
}

TEST(FormatTest, PrintsUnfinishedDirectiveAsWritten) {
    EXPECT_EQ(render_with_toro("abc%-5"), (Rendering{"abc%-5", 6}));
    EXPECT_EQ(render_with_toro("x%.3l"), (Rendering{"x%.3l", 5}));
}

TEST(FormatTest, PrintsUnknownConversionVerbatimAndContinues) {
    EXPECT_EQ(render_with_toro("%y"), (Rendering{"%y", 2}));
    EXPECT_EQ(render_with_toro("%hy|%d", 7), (Rendering{"%hy|7", 5}));
    EXPECT_EQ(render_with_toro("%-08.3lly"), (Rendering{"%-08.3lly", 9}));
    EXPECT_EQ(render_with_toro("%n%s", "after"), (Rendering{"%nafter", 7}));
}

TEST(FormatTest, StringPrecisionNeverReadsPastLimit) {
    const char unterminated[3] = {'a', 'b', 'c'};
    EXPECT_EQ(render_with_toro("%.3s", unterminated), (Rendering{"abc", 3}));
    EXPECT_EQ(render_with_toro("[%5.2s]", unterminated), (Rendering{"[   ab]", 7}));
}

std::size_t format_through_vformat(char* buffer, std::size_t capacity, const char* format_string,
                                   ...) {
    va_list arguments;
    va_start(arguments, format_string);
    std::size_t length = toro::vformat(buffer, capacity, format_string, arguments);
    va_end(arguments);
    return length;
}

TEST(FormatTest, VformatTakesArgumentsFromVaList) {
    char buffer[64];
    std::size_t length =
        format_through_vformat(buffer, sizeof buffer, "%s %*d %llx", "n", 4, -7, ULLONG_MAX);
    EXPECT_STREQ(buffer, "n   -7 ffffffffffffffff");
    EXPECT_EQ(length, std::strlen(buffer));
}

// A buffer whose bytes start out as a canary, so that any write past the
// capacity given to the formatter shows.
constexpr char kCanary = '\x5a';
constexpr std::size_t kGuardedSize = 64;

struct GuardedBuffer {
    char bytes[kGuardedSize];

    GuardedBuffer() { std::memset(bytes, kCanary, sizeof bytes); }

    bool untouched_from(std::size_t index) const {
        for (std::size_t i = index; i < kGuardedSize; ++i) {
            if (bytes[i] != kCanary) return false;
        }
        return true;
    }
};

TEST(FormatTest, ZeroCapacityWritesNothingAndReturnsFullLength) {
    GuardedBuffer buffer;
    EXPECT_EQ(toro::format(buffer.bytes, 0, "hello %d", 42), 8u);
    EXPECT_TRUE(buffer.untouched_from(0));
    EXPECT_EQ(toro::format(nullptr, 0, "hello %d", 42), 8u);
}

TEST(FormatTest, CapacityOneWritesOnlyTerminator) {
    GuardedBuffer buffer;
    EXPECT_EQ(toro::format(buffer.bytes, 1, "hello %d", 42), 8u);
    EXPECT_EQ(buffer.bytes[0], '\0');
    EXPECT_TRUE(buffer.untouched_from(1));
}

TEST(FormatTest, ExactCapacityFitsWholeOutput) {
    GuardedBuffer buffer;
    EXPECT_EQ(toro::format(buffer.bytes, 9, "hello %d", 42), 8u);
    EXPECT_STREQ(buffer.bytes, "hello 42");
    EXPECT_TRUE(buffer.untouched_from(9));
}

TEST(FormatTest, OneShortCapacityDropsLastCharacter) {
    GuardedBuffer buffer;
    EXPECT_EQ(toro::format(buffer.bytes, 8, "hello %d", 42), 8u);
    EXPECT_STREQ(buffer.bytes, "hello 4");
    EXPECT_TRUE(buffer.untouched_from(8));
}

// Every capacity from 0 to past the end, with the cut falling into literal
// text, padding, sign, prefix, precision zeros and digits: both formatters
// must leave the same bytes, canaries included, and return the same length.
TEST(FormatTest, TruncatesAndReturnsFullLength) {
    struct TruncationCase {
        const char* format_string;
        long long value;
    };
    const TruncationCase cases[] = {
        {"value=%lld!", -1234567},     {"[%12lld]", -42},   {"[%-12lld]", 42},
        {"[%+012lld]", 42},            {"[%#20llx]", 0xbeef}, {"[%.15lld]", -9},
        {"%lld and some more text", 7}, {"%lld", LLONG_MIN},
    };
    for (const TruncationCase& test_case : cases) {
        Rendering whole = render_with_toro(test_case.format_string, test_case.value);
        std::size_t full_length = whole.text.size();
        for (std::size_t capacity = 0; capacity <= full_length + 2; ++capacity) {
            GuardedBuffer ours;
            GuardedBuffer theirs;
            std::size_t length =
                toro::format(ours.bytes, capacity, test_case.format_string, test_case.value);
            int expected_length =
                std::snprintf(theirs.bytes, capacity, test_case.format_string, test_case.value);
            EXPECT_EQ(static_cast<long long>(length), expected_length)
                << test_case.format_string << " capacity " << capacity;
            EXPECT_EQ(std::memcmp(ours.bytes, theirs.bytes, kGuardedSize), 0)
                << test_case.format_string << " capacity " << capacity;
            EXPECT_TRUE(ours.untouched_from(capacity))
                << test_case.format_string << " capacity " << capacity;
        }
    }
}

TEST(FormatTest, HugeWidthAndPrecisionAreCountedButNotWritten) {
    GuardedBuffer buffer;
    EXPECT_EQ(toro::format(buffer.bytes, 16, "%100000d", 1), 100000u);
    EXPECT_STREQ(buffer.bytes, "               ");
    EXPECT_TRUE(buffer.untouched_from(16));

    GuardedBuffer zeros;
    EXPECT_EQ(toro::format(zeros.bytes, 8, "%.300d", -1), 301u);
    EXPECT_STREQ(zeros.bytes, "-000000");
    EXPECT_TRUE(zeros.untouched_from(8));
}

// A random integer directive and the arguments it takes.
struct RandomDirective {
    std::string format_string;
    bool star_width = false;
    int width = 0;
    bool star_precision = false;
    int precision = 0;
    std::string length_modifier;
    char conversion = 'd';
};

class RandomDirectiveMaker {
public:
    explicit RandomDirectiveMaker(std::uint64_t seed) : engine_(seed) {}

    RandomDirective make() {
        RandomDirective directive;
        directive.length_modifier = pick({"", "hh", "h", "l", "ll", "z", "t", "j"});
        directive.conversion = pick({"d", "i", "u", "x", "X", "o"})[0];
        std::string spec = "%" + random_flags() + random_width(directive) +
                           random_precision(directive) + directive.length_modifier +
                           directive.conversion;
        directive.format_string = "<" + spec + ">";
        return directive;
    }

    // Mostly edge values and small numbers, where the layout rules bite.
    std::uint64_t random_value() {
        const std::uint64_t edges[] = {0,
                                       1,
                                       UINT64_MAX,
                                       static_cast<std::uint64_t>(INT64_MIN),
                                       INT64_MAX,
                                       static_cast<std::uint64_t>(INT_MIN),
                                       INT_MAX,
                                       UINT_MAX,
                                       0x80,
                                       0x8000};
        switch (below(3)) {
            case 0: return edges[below(std::size(edges))];
            case 1: return static_cast<std::uint64_t>(static_cast<std::int64_t>(below(601)) - 300);
            default: return engine_();
        }
    }

private:
    std::uint64_t below(std::uint64_t bound) { return engine_() % bound; }

    int between(int low, int high) {
        return low + static_cast<int>(below(static_cast<std::uint64_t>(high - low) + 1));
    }

    const char* pick(std::initializer_list<const char*> choices) {
        return choices.begin()[below(choices.size())];
    }

    // Each flag about a third of the time, in random order, sometimes twice.
    std::string random_flags() {
        std::string flags;
        for (char flag : std::string("-0+ #")) {
            if (below(3) == 0) flags.insert(below(flags.size() + 1), 1 + below(4) / 3, flag);
        }
        return flags;
    }

    std::string random_width(RandomDirective& directive) {
        switch (below(5)) {
            case 0:
            case 1: return "";
            case 2:
            case 3: return std::to_string(between(1, 30));
            default:
                directive.star_width = true;
                directive.width = between(-30, 30);
                return "*";
        }
    }

    std::string random_precision(RandomDirective& directive) {
        switch (below(10)) {
            case 0:
            case 1:
            case 2:
            case 3: return "";
            case 4: return ".";
            case 5:
            case 6:
            case 7: return "." + std::to_string(between(0, 30));
            default:
                directive.star_precision = true;
                directive.precision = between(-5, 30);
                return ".*";
        }
    }

    std::mt19937_64 engine_;
};

template <typename Value>
bool same_as_snprintf(const RandomDirective& directive, Value value, std::string& report) {
    const char* format_string = directive.format_string.c_str();
    Rendering ours;
    Rendering theirs;
    if (directive.star_width && directive.star_precision) {
        ours = render_with_toro(format_string, directive.width, directive.precision, value);
        theirs = render_with_snprintf(format_string, directive.width, directive.precision, value);
    } else if (directive.star_width) {
        ours = render_with_toro(format_string, directive.width, value);
        theirs = render_with_snprintf(format_string, directive.width, value);
    } else if (directive.star_precision) {
        ours = render_with_toro(format_string, directive.precision, value);
        theirs = render_with_snprintf(format_string, directive.precision, value);
    } else {
        ours = render_with_toro(format_string, value);
        theirs = render_with_snprintf(format_string, value);
    }
    if (ours == theirs) return true;
    report = directive.format_string + " width " + std::to_string(directive.width) +
             " precision " + std::to_string(directive.precision) + " value " +
             std::to_string(value) + ": \"" + ours.text + "\" but snprintf gives \"" +
             theirs.text + "\"";
    return false;
}

// Passes the value as the type the length modifier and conversion expect
// (hh and h take the promoted int), cut to that type's width.
template <typename Signed, typename Unsigned>
bool same_as_snprintf_as(const RandomDirective& directive, std::uint64_t bits,
                         std::string& report) {
    bool is_signed = directive.conversion == 'd' || directive.conversion == 'i';
    if (is_signed) return same_as_snprintf(directive, static_cast<Signed>(bits), report);
    return same_as_snprintf(directive, static_cast<Unsigned>(bits), report);
}

bool same_as_snprintf_for_bits(const RandomDirective& directive, std::uint64_t bits,
                               std::string& report) {
    const std::string& length = directive.length_modifier;
    if (length == "l") return same_as_snprintf_as<long, unsigned long>(directive, bits, report);
    if (length == "ll") {
        return same_as_snprintf_as<long long, unsigned long long>(directive, bits, report);
    }
    if (length == "z") {
        return same_as_snprintf_as<std::make_signed_t<std::size_t>, std::size_t>(directive, bits,
                                                                                 report);
    }
    if (length == "t") {
        return same_as_snprintf_as<std::ptrdiff_t, std::make_unsigned_t<std::ptrdiff_t>>(
            directive, bits, report);
    }
    if (length == "j") {
        return same_as_snprintf_as<std::intmax_t, std::uintmax_t>(directive, bits, report);
    }
    return same_as_snprintf_as<int, unsigned>(directive, bits, report);
}

TEST(FormatTest, MatchesSnprintfOnRandomIntegerDirectives) {
    constexpr int kCaseCount = 5000;
    constexpr int kReportedMismatches = 10;
    RandomDirectiveMaker maker(0x70c0ffee);
    int mismatches = 0;
    for (int i = 0; i < kCaseCount && mismatches < kReportedMismatches; ++i) {
        RandomDirective directive = maker.make();
        std::string report;
        if (!same_as_snprintf_for_bits(directive, maker.random_value(), report)) {
            ADD_FAILURE() << "case " << i << ": " << report;
            ++mismatches;
        }
    }
}

}  // namespace

#pragma GCC diagnostic pop
