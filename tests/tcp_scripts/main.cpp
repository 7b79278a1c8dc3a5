// tcp_scripts PATH...: runs the packetdrill scripts named (files, or
// folders searched recursively for *.pkt).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "parser.h"

namespace {

// The scripts under `path`, sorted, or `path` itself if it is a file.
std::vector<std::string> scripts_under(const std::string& path) {
    std::vector<std::string> scripts;
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
            if (entry.is_regular_file() && entry.path().extension() == ".pkt") {
                scripts.push_back(entry.path().string());
            }
        }
        std::sort(scripts.begin(), scripts.end());
    } else {
        scripts.push_back(path);
    }
    return scripts;
}

int usage() {
    std::fprintf(stderr, "usage: tcp_scripts [--parse-only] PATH...\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    bool parse_only = false;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--parse-only") == 0) {
            parse_only = true;
        } else if (argv[i][0] == '-') {
            return usage();
        } else {
            paths.push_back(argv[i]);
        }
    }
    if (paths.empty()) return usage();
    unsigned passed = 0, failed = 0;
    for (const std::string& path : paths) {
        for (const std::string& script : scripts_under(path)) {
            tcp_scripts::ParseResult parsed = tcp_scripts::parse_file(script);
            if (!parsed.script) {
                std::printf("FAIL %s: %s\n", script.c_str(), parsed.error.describe().c_str());
                ++failed;
                continue;
            }
            if (parse_only) {
                std::printf("PASS %s\n", script.c_str());
                ++passed;
            }
        }
    }
    std::printf("%u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
