// A recursive-descent parser over the script's characters: a line is an
// option, a preprocessor directive, or a timed event; an event is a
// backquoted shell command, a %{ code }% block, a packet or a system call.
// Each parse_ function consumes what it names and returns false (with the
// first error noted) when the text is not that.
#include "parser.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace tcp_scripts {

std::string ParseError::describe() const {
    return path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + message;
}

namespace {

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

class Parser {
  public:
    Parser(std::string_view text, const std::string& path, const ParseOptions& options)
        : text_(text), options_(options) {
        script_.path = path;
        error_.path = path;
    }

    ParseResult run() {
        while (skip_blank_and_comments(true)) {
            if (at_line_start_ && peek() == '#') {
                if (!parse_directive()) return failed();
                continue;
            }
            if (!active()) {
                skip_to_end_of_line();
                continue;
            }
            if (peek() == '-' && peek(1) == '-') {
                if (!parse_option()) return failed();
            } else if (!parse_event()) {
                return failed();
            }
        }
        if (!conditionals_.empty()) {
            fail_at(conditional_at_, "#ifdef without #endif");
            return failed();
        }
        ParseResult result;
        result.script = std::move(script_);
        return result;
    }

  private:
    // --- characters -------------------------------------------------------
    char peek(std::size_t ahead = 0) const {
        return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0';
    }
    bool at_end() const { return at_ >= text_.size(); }
    void advance() {
        if (at_end()) return;
        if (text_[at_] == '\n') {
            ++line_;
            column_ = 1;
            at_line_start_ = true;
        } else {
            ++column_;
            if (!std::isspace(static_cast<unsigned char>(text_[at_]))) at_line_start_ = false;
        }
        ++at_;
    }
    Location here() const { return {line_, column_}; }
    bool looking_at(std::string_view word) const { return text_.substr(at_, word.size()) == word; }
    bool accept(std::string_view word) {
        if (!looking_at(word)) return false;
        for (std::size_t i = 0; i < word.size(); ++i) advance();
        return true;
    }

    // Skips spaces, tabs and comments; newlines too if `lines`. Returns
    // false at the end of the text.
    bool skip_blank_and_comments(bool lines) {
        for (;;) {
            char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || (lines && c == '\n')) {
                advance();
            } else if (c == '/' && peek(1) == '/') {
                while (!at_end() && peek() != '\n') advance();
            } else if (c == '/' && peek(1) == '*') {
                advance(), advance();
                while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
                if (!at_end()) advance(), advance();
            } else {
                return !at_end();
            }
        }
    }
    void skip_spaces() { skip_blank_and_comments(false); }
    void skip_to_end_of_line() {
        while (!at_end() && peek() != '\n') advance();
    }

    // --- errors -----------------------------------------------------------
    bool fail_at(Location at, const std::string& message) {
        if (!failed_) {
            failed_ = true;
            error_.at = at;
            error_.message = message;
        }
        return false;
    }
    bool fail(const std::string& message) { return fail_at(here(), message); }
    bool expected(const std::string& what) {
        if (at_end()) return fail("expected " + what + ", found the end of the file");
        if (peek() == '\n') return fail("expected " + what + ", found the end of the line");
        return fail("expected " + what + ", found '" + std::string(1, peek()) + "'");
    }
    ParseResult failed() const {
        ParseResult result;
        result.error = error_;
        return result;
    }

    // --- tokens -----------------------------------------------------------
    bool parse_name(std::string* out) {
        skip_spaces();
        if (!is_name_start(peek())) return expected("a name");
        out->clear();
        while (is_name_char(peek())) out->push_back(peek()), advance();
        return true;
    }
    bool parse_keyword(std::string_view word) {
        skip_spaces();
        Location at = here();
        if (!accept(word) || is_name_char(peek()))
            return fail_at(at, "expected '" + std::string(word) + "'");
        return true;
    }
    bool parse_char(char c) {
        skip_spaces();
        if (peek() != c) return expected(std::string("'") + c + "'");
        advance();
        return true;
    }
    // A decimal or 0x hexadecimal number.
    bool parse_unsigned(std::uint64_t* out) {
        skip_spaces();
        if (!std::isdigit(static_cast<unsigned char>(peek()))) return expected("a number");
        Location at = here();
        std::uint64_t value = 0;
        bool overflow = false;
        if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X')) {
            advance(), advance();
            if (!std::isxdigit(static_cast<unsigned char>(peek()))) return expected("a hex digit");
            while (std::isxdigit(static_cast<unsigned char>(peek()))) {
                char c = static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
                unsigned digit =
                    c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
                overflow |= value >> 60 != 0;
                value = value * 16 + digit;
                advance();
            }
        } else {
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                overflow |= value > (~std::uint64_t{0} - 9) / 10;
                value = value * 10 + static_cast<unsigned>(peek() - '0');
                advance();
            }
        }
        if (overflow) return fail_at(at, "number too large");
        *out = value;
        return true;
    }
    bool parse_u32(std::uint32_t* out) {
        Location at = (skip_spaces(), here());
        std::uint64_t value = 0;
        if (!parse_unsigned(&value)) return false;
        if (value > 0xFFFFFFFFu) return fail_at(at, "number does not fit 32 bits");
        *out = static_cast<std::uint32_t>(value);
        return true;
    }
    // Seconds with an optional fraction ("1", "0.25", ".1"), in microseconds.
    bool parse_seconds(std::int64_t* out) {
        skip_spaces();
        if (!std::isdigit(static_cast<unsigned char>(peek())) &&
            !(peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1))))) {
            return expected("a time in seconds");
        }
        std::int64_t whole = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            if (whole > 1'000'000'000) return fail("time too large");
            whole = whole * 10 + (peek() - '0');
            advance();
        }
        std::int64_t fraction = 0, scale = 1'000'000;
        if (peek() == '.' && peek(1) != '.') {
            advance();
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                scale /= 10;
                fraction += (peek() - '0') * scale;  // digits past microseconds add 0
                advance();
            }
        }
        *out = whole * 1'000'000 + fraction;
        return true;
    }

    // --- lines ------------------------------------------------------------
    bool active() const {
        for (bool taken : conditionals_) {
            if (!taken) return false;
        }
        return true;
    }
    bool defined(const std::string& name) const {
        for (const std::string& define : options_.defines) {
            if (define == name) return true;
        }
        return false;
    }
    // #ifdef NAME, #ifndef NAME, #else, #endif.
    bool parse_directive() {
        Location at = here();
        advance();
        std::string directive;
        if (!parse_name(&directive)) return false;
        if (directive == "ifdef" || directive == "ifndef") {
            std::string name;
            if (!parse_name(&name)) return false;
            if (conditionals_.empty()) conditional_at_ = at;
            conditionals_.push_back(defined(name) == (directive == "ifdef"));
        } else if (directive == "else") {
            if (conditionals_.empty()) return fail_at(at, "#else without #ifdef");
            conditionals_.back() = !conditionals_.back();
        } else if (directive == "endif") {
            if (conditionals_.empty()) return fail_at(at, "#endif without #ifdef");
            conditionals_.pop_back();
        } else {
            return fail_at(at, "unknown directive #" + directive);
        }
        return end_of_line();
    }
    // --name=value (or --name alone).
    bool parse_option() {
        Option option;
        option.at = here();
        advance(), advance();
        if (!is_name_start(peek())) return expected("an option name");
        while (is_name_char(peek())) option.name.push_back(peek()), advance();
        if (peek() == '=') {
            advance();
            while (!at_end() && !std::isspace(static_cast<unsigned char>(peek()))) {
                option.value.push_back(peek());
                advance();
            }
        }
        script_.options.push_back(std::move(option));
        return end_of_line();
    }
    bool end_of_line() {
        skip_spaces();
        if (at_end() || peek() == '\n') return true;
        return fail("unexpected '" + std::string(1, peek()) + "' after the end of the statement");
    }

    bool parse_time_point(Timing::Kind* kind, std::int64_t* microseconds) {
        skip_spaces();
        *kind = Timing::Kind::kAbsolute;
        if (peek() == '+') {
            advance();
            *kind = Timing::Kind::kRelative;
        }
        return parse_seconds(microseconds);
    }
    bool parse_timing(Timing* timing) {
        skip_spaces();
        if (peek() == '*') {
            advance();
            timing->kind = Timing::Kind::kAny;
            return true;
        }
        if (!parse_time_point(&timing->kind, &timing->microseconds)) return false;
        if (peek() == '~') {
            advance();
            timing->end = Timing::End::kRange;
            return parse_time_point(&timing->end_kind, &timing->end_microseconds);
        }
        if (looking_at("...")) {
            accept("...");
            timing->end = Timing::End::kBlocking;
            return parse_time_point(&timing->end_kind, &timing->end_microseconds);
        }
        return true;
    }

    bool parse_event() {
        Event event;
        event.at = here();
        std::size_t start = at_;
        // A command or a code block may come untimed: it runs right after
        // the event before it.
        bool untimed = peek() == '`' || (peek() == '%' && peek(1) == '{');
        if (untimed) event.timing.kind = Timing::Kind::kRelative;
        if (!untimed && !parse_timing(&event.timing)) return false;
        skip_spaces();
        bool ok = false;
        if (peek() == '`') {
            event.kind = Event::Kind::kShell;
            ok = parse_enclosed("`", "`", &event.text);
        } else if (peek() == '%' && peek(1) == '{') {
            event.kind = Event::Kind::kCode;
            ok = parse_enclosed("%{", "}%", &event.text);
        } else if (peek() == '<' || peek() == '>') {
            event.kind = Event::Kind::kPacket;
            ok = parse_packet(&event.packet);
        } else if (is_name_start(peek())) {
            event.kind = Event::Kind::kSyscall;
            ok = parse_syscall(&event.syscall);
        } else {
            return expected("a system call, a packet, a `command` or %{ code }%");
        }
        if (!ok) return false;
        std::size_t end = at_;
        if (!end_of_line()) return false;
        event.source = std::string(text_.substr(start, end - start));
        script_.events.push_back(std::move(event));
        return true;
    }
    // Text between `open` and `close`, which may span lines.
    bool parse_enclosed(std::string_view open, std::string_view close, std::string* out) {
        Location at = here();
        accept(open);
        while (!at_end() && !looking_at(close)) out->push_back(peek()), advance();
        if (at_end()) return fail_at(at, "'" + std::string(open) + "' is never closed");
        accept(close);
        return true;
    }

    // --- system calls -----------------------------------------------------
    bool parse_syscall(Syscall* call) {
        if (!parse_name(&call->name)) return false;
        if (!parse_char('(')) return false;
        skip_spaces();
        if (peek() != ')') {
            for (;;) {
                Expression argument;
                if (!parse_expression(&argument)) return false;
                call->arguments.push_back(std::move(argument));
                skip_spaces();
                if (peek() != ',') break;
                advance();
            }
        }
        if (!parse_char(')')) return false;
        if (!parse_char('=')) return false;
        skip_spaces();
        bool negative = false;
        if (peek() == '-') {
            advance();
            negative = true;
        }
        std::uint64_t result = 0;
        if (!parse_unsigned(&result)) return false;
        call->result =
            negative ? -static_cast<std::int64_t>(result) : static_cast<std::int64_t>(result);
        skip_spaces();
        if (is_name_start(peek()) && !parse_name(&call->error)) return false;
        skip_spaces();
        if (peek() == '(') {
            // A note in words, its parentheses balanced.
            Location at = here();
            advance();
            unsigned depth = 1;
            while (!at_end() && peek() != '\n') {
                if (peek() == '(') ++depth;
                if (peek() == ')' && --depth == 0) break;
                call->note.push_back(peek());
                advance();
            }
            if (peek() != ')') return fail_at(at, "'(' is never closed");
            advance();
        }
        return true;
    }
    bool parse_expression(Expression* out) {
        Expression first;
        if (!parse_primary(&first)) return false;
        skip_spaces();
        if (peek() != '|') {
            *out = std::move(first);
            return true;
        }
        out->kind = Expression::Kind::kOr;
        out->at = first.at;
        out->items.push_back(std::move(first));
        while (peek() == '|') {
            advance();
            Expression next;
            if (!parse_primary(&next)) return false;
            out->items.push_back(std::move(next));
            skip_spaces();
        }
        return true;
    }
    bool parse_primary(Expression* out) {
        skip_spaces();
        out->at = here();
        char c = peek();
        if (looking_at("...")) {
            accept("...");
            out->kind = Expression::Kind::kEllipsis;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
            bool negative = c == '-';
            if (negative) advance();
            std::uint64_t value = 0;
            if (!parse_unsigned(&value)) return false;
            out->kind = Expression::Kind::kInteger;
            out->integer =
                negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
        } else if (is_name_start(c)) {
            out->kind = Expression::Kind::kName;
            if (!parse_name(&out->text)) return false;
            if (peek() == '(') return parse_call_arguments(out);
        } else if (c == '"') {
            out->kind = Expression::Kind::kString;
            return parse_string(&out->text);
        } else if (c == '[' || c == '{') {
            return parse_aggregate(out);
        } else {
            return expected("an argument");
        }
        return true;
    }
    // htons(8080), inet_addr("192.0.2.1"): the name is read, `(` is next.
    bool parse_call_arguments(Expression* out) {
        out->kind = Expression::Kind::kCall;
        advance();
        skip_spaces();
        while (peek() != ')') {
            Expression argument;
            if (!parse_expression(&argument)) return false;
            out->items.push_back(std::move(argument));
            skip_spaces();
            if (peek() != ',') break;
            advance();
        }
        return parse_char(')');
    }
    bool parse_string(std::string* out) {
        Location at = here();
        advance();
        while (!at_end() && peek() != '"' && peek() != '\n') {
            if (peek() == '\\') advance();
            out->push_back(peek());
            advance();
        }
        if (peek() != '"') return fail_at(at, "string is never closed");
        advance();
        return true;
    }
    // [a, b] (a list; [x] is a pointer to x) or {name = value, ...}.
    bool parse_aggregate(Expression* out) {
        bool list = peek() == '[';
        char close = list ? ']' : '}';
        out->kind = list ? Expression::Kind::kList : Expression::Kind::kStruct;
        advance();
        skip_spaces();
        while (peek() != close) {
            Expression item;
            if (!list) {
                std::string field;
                if (!parse_name(&field)) return false;
                if (!parse_char('=')) return false;
                if (!parse_expression(&item)) return false;
                item.field = field;
            } else if (!parse_expression(&item)) {
                return false;
            }
            out->items.push_back(std::move(item));
            skip_spaces();
            if (peek() != ',') break;
            advance();
            skip_spaces();
        }
        return parse_char(close);
    }

    // --- packets ----------------------------------------------------------
    bool parse_packet(Packet* packet) {
        packet->inbound = peek() == '<';
        advance();
        skip_spaces();
        if (peek() == '[') {
            advance();
            if (!parse_name(&packet->ecn)) return false;
            if (ecn_bits(packet->ecn) == kUnknownEcn) return fail("unknown ECN mark [" + packet->ecn + "]");
            if (!parse_char(']')) return false;
            skip_spaces();
        }
        if (peek() == '(' && !parse_ip_attributes(packet)) return false;
        skip_spaces();
        if (looking_at("icmp") && !is_name_char(peek(4))) {
            packet->is_icmp = true;
            if (!parse_icmp(&packet->icmp)) return false;
        } else if (!parse_tcp(&packet->tcp)) {
            return false;
        }
        skip_spaces();
        if (peek() == '/') return parse_udp(packet);
        return true;
    }
    // (ttl 6), (tos 0x20), (tos 0x2, flowlabel 7, ttl 64)
    bool parse_ip_attributes(Packet* packet) {
        advance();
        for (;;) {
            std::string name;
            Location at = (skip_spaces(), here());
            if (!parse_name(&name)) return false;
            std::uint32_t value = 0;
            if (!parse_u32(&value)) return false;
            if (name == "ttl") {
                packet->ttl = value;
            } else if (name == "tos") {
                packet->tos = value;
            } else if (name == "flowlabel") {
                packet->flow_label = value;
            } else {
                return fail_at(at, "unknown IP attribute '" + name + "'");
            }
            skip_spaces();
            if (peek() != ',') break;
            advance();
        }
        return parse_char(')');
    }
    // /udp(SOURCE > DESTINATION)
    bool parse_udp(Packet* packet) {
        advance();
        if (!parse_keyword("udp") || !parse_char('(')) return false;
        std::uint32_t source = 0, destination = 0;
        if (!parse_u32(&source) || !parse_char('>') || !parse_u32(&destination)) return false;
        if (source > 0xFFFF || destination > 0xFFFF) return fail("port out of range");
        packet->udp_encapsulated = true;
        packet->udp_source = static_cast<std::uint16_t>(source);
        packet->udp_destination = static_cast<std::uint16_t>(destination);
        return parse_char(')');
    }
    // start:end(length), each a 32-bit number, end - start == length.
    bool parse_sequence_range(std::uint32_t* start, std::uint32_t* end, std::uint32_t* length) {
        Location at = (skip_spaces(), here());
        if (!parse_u32(start) || !parse_char(':') || !parse_u32(end)) return false;
        if (!parse_char('(') || !parse_u32(length) || !parse_char(')')) return false;
        if (*end - *start != *length) {
            return fail_at(at, "the range " + std::to_string(*start) + ":" + std::to_string(*end) +
                                   " is not " + std::to_string(*length) + " bytes long");
        }
        return true;
    }
    bool parse_tcp(TcpSegment* segment) {
        Location at = here();
        static constexpr std::string_view kFlags = "SFRP.EWCU";
        while (kFlags.find(peek()) != std::string_view::npos && peek() != '\0' &&
               !looking_at("...")) {
            if (segment->flags.find(peek()) != std::string::npos) {
                return fail("flag '" + std::string(1, peek()) + "' given twice");
            }
            segment->flags.push_back(peek());
            advance();
        }
        if (segment->flags.empty())
            return fail_at(at, "expected TCP flags (S F R P . E W C U) or icmp");
        skip_spaces();
        if (looking_at("...")) {
            accept("...");
            segment->any_sequence = true;
            if (!parse_char('(') || !parse_u32(&segment->length) || !parse_char(')')) return false;
        } else if (!parse_sequence_range(&segment->start, &segment->end, &segment->length)) {
            return false;
        }
        if (peek() == '!') {
            advance();
            segment->absolute_sequence = true;
        }
        for (;;) {
            skip_spaces();
            if (looking_at("ack") && !is_name_char(peek(3))) {
                accept("ack");
                std::uint32_t ack = 0;
                if (!parse_u32(&ack)) return false;
                segment->ack = ack;
            } else if (looking_at("win") && !is_name_char(peek(3))) {
                accept("win");
                std::uint32_t window = 0;
                if (!parse_u32(&window)) return false;
                if (window > 0xFFFF) return fail("window out of range");
                segment->window = window;
            } else if (peek() == '<') {
                advance();
                segment->has_options = true;
                return parse_tcp_options(segment);
            } else {
                return true;
            }
        }
    }
    bool parse_tcp_options(TcpSegment* segment) {
        skip_spaces();
        if (looking_at("...")) {
            accept("...");
            segment->any_options = true;
            return parse_char('>');
        }
        skip_spaces();
        if (peek() == '>') {
            advance();
            return true;
        }
        for (;;) {
            TcpOption option;
            if (!parse_tcp_option(&option)) return false;
            segment->options.push_back(std::move(option));
            skip_spaces();
            if (peek() != ',') break;
            advance();
        }
        return parse_char('>');
    }
    bool parse_tcp_option(TcpOption* option) {
        std::string name;
        Location at = (skip_spaces(), here());
        if (!parse_name(&name)) return false;
        using Kind = TcpOption::Kind;
        if (name == "nop") {
            option->kind = Kind::kNop;
        } else if (name == "eol") {
            option->kind = Kind::kEol;
        } else if (name == "sackOK") {
            option->kind = Kind::kSackPermitted;
        } else if (name == "mss" || name == "wscale") {
            option->kind = name == "mss" ? Kind::kMss : Kind::kWindowScale;
            if (!parse_u32(&option->value)) return false;
            if (option->value > (name == "mss" ? 0xFFFFu : 0xFFu))
                return fail_at(at, name + " out of range");
        } else if (name == "TS") {
            option->kind = Kind::kTimestamp;
            if (!parse_keyword("val") || !parse_u32(&option->timestamp_value)) return false;
            if (!parse_keyword("ecr") || !parse_u32(&option->timestamp_echo)) return false;
        } else if (name == "sack") {
            option->kind = Kind::kSack;
            skip_spaces();
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                std::uint32_t left = 0, right = 0;
                if (!parse_u32(&left) || !parse_char(':') || !parse_u32(&right)) return false;
                option->sack_blocks.emplace_back(left, right);
                skip_spaces();
            }
            if (option->sack_blocks.empty()) return expected("a SACK block left:right");
        } else if (name == "md5") {
            option->kind = Kind::kMd5;
            if (!parse_name(&option->text)) return false;
        } else if (name == "FO" || name == "exp-FO") {
            option->kind = name == "FO" ? Kind::kFastOpen : Kind::kExperimental;
            skip_spaces();
            while (std::isxdigit(static_cast<unsigned char>(peek())))
                option->text.push_back(peek()), advance();
        } else {
            return fail_at(at, "unknown TCP option '" + name + "'");
        }
        return true;
    }
    // icmp TYPE [CODE] [mtu N] [[start:end(length)]]
    bool parse_icmp(IcmpMessage* icmp) {
        accept("icmp");
        if (!parse_name(&icmp->type)) return false;
        skip_spaces();
        if (is_name_start(peek()) && !looking_at("mtu") && !parse_name(&icmp->code)) return false;
        skip_spaces();
        if (looking_at("mtu") && !is_name_char(peek(3))) {
            accept("mtu");
            std::uint32_t mtu = 0;
            if (!parse_u32(&mtu)) return false;
            icmp->mtu = mtu;
        }
        skip_spaces();
        if (peek() == '[') {
            advance();
            icmp->has_quoted = true;
            if (!parse_sequence_range(&icmp->start, &icmp->end, &icmp->length)) return false;
            return parse_char(']');
        }
        return true;
    }

    std::string_view text_;
    const ParseOptions& options_;
    std::size_t at_ = 0;
    unsigned line_ = 1, column_ = 1;
    bool at_line_start_ = true;
    std::vector<bool> conditionals_;  // per open #ifdef: whether its branch is taken now
    Location conditional_at_;
    Script script_;
    bool failed_ = false;
    ParseError error_;
};

}  // namespace

ParseResult parse_script(std::string_view text, const std::string& path,
                         const ParseOptions& options) {
    return Parser(text, path, options).run();
}

ParseResult parse_file(const std::string& path, const ParseOptions& options) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        ParseResult result;
        result.error = {path, {0, 0}, "cannot read the file"};
        return result;
    }
    std::ostringstream text;
    text << file.rdbuf();
    return parse_script(text.str(), path, options);
}

}  // namespace tcp_scripts
