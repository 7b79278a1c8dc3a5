#include "process/command_line.h"

#include <cstddef>

#include "toro/memory.h"

namespace toro::process {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t length_of(const char* text) {
    std::size_t length = 0;
    while (text[length] != '\0') ++length;
    return length;
}

// A backslash makes the `"` or `\` after it an ordinary character, so that
// any string can be written as a word (the hosted HAL writes every argument
// so); before anything else it is itself.
bool is_escape(const char* at) { return at[0] == '\\' && (at[1] == '"' || at[1] == '\\'); }

// Copies the next word of `line` (from *cursor) into `out` without its
// quotes and escapes; returns false at the end of the line.
bool next_word(const char* line, std::size_t* cursor, char* out) {
    std::size_t i = *cursor;
    while (is_blank(line[i])) ++i;
    if (line[i] == '\0') return false;
    bool quoted = false;
    std::size_t length = 0;
    for (; line[i] != '\0' && (quoted || !is_blank(line[i])); ++i) {
        if (is_escape(line + i)) {
            out[length++] = line[++i];
        } else if (line[i] == '"') {
            quoted = !quoted;
        } else {
            out[length++] = line[i];
        }
    }
    out[length] = '\0';
    *cursor = i;
    return true;
}

}  // namespace

bool split_command_line(const char* program, const char* line, Arguments* arguments) {
    std::size_t line_length = length_of(line);
    std::size_t program_length = length_of(program);
    // At most one word per two bytes of line, plus argv[0] and the null.
    std::size_t max_words = line_length / 2 + 3;
    auto** words = static_cast<char**>(allocate(max_words * sizeof(char*)));
    // Each word's bytes fit in the line's bytes, plus one NUL per word.
    auto* text = static_cast<char*>(allocate(line_length + program_length + max_words + 1));
    if (words == nullptr || text == nullptr) {
        free(words);
        free(text);
        return false;
    }
    for (std::size_t i = 0; i <= program_length; ++i) text[i] = program[i];
    words[0] = text;
    char* free_text = text + program_length + 1;
    int count = 1;
    std::size_t cursor = 0;
    while (next_word(line, &cursor, free_text)) {
        words[count++] = free_text;
        free_text += length_of(free_text) + 1;
    }
    words[count] = nullptr;
    arguments->count = count;
    arguments->words = words;
    return true;
}

}  // namespace toro::process
