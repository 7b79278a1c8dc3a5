// Splitting the boot command line into the application's argv.
#pragma once

namespace toro::process {

struct Arguments {
    int count;
    char** words;  // count words, then a null
};

// Words are separated by blanks; a double-quoted part may hold blanks (the
// quotes are dropped); `\"` is a `"` and `\\` a `\`, in quotes or not (any
// other backslash is itself). argv[0] is `program`. The words live in kernel
// memory for the life of the machine. False when memory is exhausted.
bool split_command_line(const char* program, const char* line, Arguments* arguments);

}  // namespace toro::process
