// fstool: the Filesystem unit's front and test vehicle. Its arguments are
// commands separated by a lone ";"; the first disk is mounted at "/".
#pragma once

#include <toro/fs.h>
#include <toro/toro.h>

namespace fstool {

// A command's words: words[0] is its name.
struct Command {
    char** words;
    int count;
};

// Runs one command; prints "fstool: NAME: MESSAGE" itself and returns
// false on an error.
bool run(const Command& command);

// Prints the tree below `path` (tree.cpp). False if any entry failed.
bool print_tree(const char* path);

// Prints "fstool: NAME: [DETAIL: ]MESSAGE".
void report(const char* name, const char* detail, toro::Error error);

// Big I/O buffers: aligned for direct disk transfers.
inline constexpr std::size_t kChunkBytes = 256 * 1024;

}  // namespace fstool
