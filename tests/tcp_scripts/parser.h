// Reads a packetdrill script (script.h has the grammar it takes). A script
// that does not parse gives the first error, with its file, line and column.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "script.h"

namespace tcp_scripts {

struct ParseError {
    std::string path;
    Location at;
    std::string message;
    // "path:line:column: message", as compilers write it.
    std::string describe() const;
};

struct ParseOptions {
    // The names `#ifdef` sees defined. The suite marks what RFC 9293 asks
    // for STANDARD, and FreeBSD's own behaviour FreeBSD: we are checked
    // against the standard.
    std::vector<std::string> defines{"STANDARD"};
};

struct ParseResult {
    std::optional<Script> script;  // set when it parsed
    ParseError error;              // otherwise, why not
};

ParseResult parse_script(std::string_view text, const std::string& path,
                         const ParseOptions& options = {});
// Reads the file first; a file that cannot be read is an error at 0:0.
ParseResult parse_file(const std::string& path, const ParseOptions& options = {});

}  // namespace tcp_scripts
