// tcp_scripts [--parse-only] [--strict-padding] [--defaults freebsd|toro]
//             [--accepted FILE] [--define NAME] [--skip-missing] PATH...
// Runs the packetdrill scripts named (files, or folders searched
// recursively for *.pkt) against the TCP stack and prints, per script,
// PASS or FAIL with the first mismatch, a summary per folder, and
// "N passed, M failed". Exits 1 if a script failed that the accepted-
// failure file (path suffix and reason per line) does not list, 2 on a
// usage error or a PATH that is not there (77, CTest's "skipped", with
// --skip-missing).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "driver.h"
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

// "path-suffix  reason" lines; # starts a comment.
struct AcceptedFailure {
    std::string path;
    std::string reason;
    bool seen = false;
};
bool read_accepted(const std::string& file, std::vector<AcceptedFailure>* out) {
    std::ifstream in(file);
    if (!in) return false;
    std::string line;
    while (std::getline(in, line)) {
        std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        std::size_t end = line.find_first_of(" \t", start);
        std::size_t reason = end == std::string::npos ? end : line.find_first_not_of(" \t", end);
        out->push_back({line.substr(start, end - start),
                        reason == std::string::npos ? "" : line.substr(reason)});
    }
    return true;
}
AcceptedFailure* accepted_for(std::vector<AcceptedFailure>& accepted, const std::string& script) {
    for (AcceptedFailure& entry : accepted) {
        if (script.size() >= entry.path.size() &&
            script.compare(script.size() - entry.path.size(), entry.path.size(), entry.path) == 0) {
            return &entry;
        }
    }
    return nullptr;
}

// The folder a script is counted under: the first one below the PATH it
// was found under (state-event-engine/, not each of its 46), or its own.
std::string summary_folder(const std::string& path, const std::string& script) {
    std::filesystem::path relative = std::filesystem::path(script).lexically_relative(path);
    if (relative.empty() || relative.begin() == relative.end() ||
        std::next(relative.begin()) == relative.end()) {
        return std::filesystem::path(script).parent_path().string();
    }
    return (std::filesystem::path(path) / *relative.begin()).lexically_normal().string();
}

int usage() {
    std::fprintf(stderr,
                 "usage: tcp_scripts [--parse-only] [--strict-padding] [--defaults freebsd|toro] "
                 "[--accepted FILE] [--define NAME] [--skip-missing] PATH...\n");
    return 2;
}

struct Tally {
    unsigned passed = 0, failed = 0, accepted = 0;
};

}  // namespace

int main(int argc, char** argv) {
    bool parse_only = false;
    bool skip_missing = false;
    tcp_scripts::RunOptions run_options;
    tcp_scripts::ParseOptions parse_options;
    std::vector<AcceptedFailure> accepted;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        std::string argument = argv[i];
        if (argument == "--parse-only") {
            parse_only = true;
        } else if (argument == "--skip-missing") {
            skip_missing = true;
        } else if (argument == "--strict-padding") {
            run_options.strict_padding = true;
        } else if (argument == "--defaults" && i + 1 < argc) {
            std::string defaults = argv[++i];
            if (defaults == "freebsd") {
                run_options.defaults = tcp_scripts::freebsd_defaults();
            } else if (defaults == "toro") {
                run_options.defaults = tcp_scripts::toro_defaults();
            } else {
                return usage();
            }
        } else if (argument == "--accepted" && i + 1 < argc) {
            if (!read_accepted(argv[++i], &accepted)) {
                std::fprintf(stderr, "tcp_scripts: cannot read %s\n", argv[i]);
                return 2;
            }
        } else if (argument == "--define" && i + 1 < argc) {
            parse_options.defines.push_back(argv[++i]);
        } else if (!argument.empty() && argument[0] == '-') {
            return usage();
        } else {
            paths.push_back(argument);
        }
    }
    if (paths.empty()) return usage();
    for (const std::string& path : paths) {
        std::error_code error;
        if (!std::filesystem::exists(path, error)) {
            std::printf("tcp_scripts: %s is not there: %s\n", path.c_str(),
                        skip_missing ? "skipped" : "nothing to run");
            return skip_missing ? 77 : 2;
        }
    }
    std::map<std::string, Tally> folders;
    Tally total;
    unsigned stale = 0;  // listed as accepted failures, but passed
    for (const std::string& path : paths) {
        for (const std::string& script : scripts_under(path)) {
            Tally& folder = folders[summary_folder(path, script)];
            tcp_scripts::ParseResult parsed = tcp_scripts::parse_file(script, parse_options);
            std::string failure;
            if (!parsed.script) {
                failure = parsed.error.describe();
            } else if (!parse_only) {
                tcp_scripts::RunResult result =
                    tcp_scripts::run_script(*parsed.script, run_options);
                if (!result.passed) {
                    failure = result.failure;
                    for (const std::string& setting : result.unsupported)
                        failure += " [unsupported: " + setting + "]";
                }
            }
            AcceptedFailure* known = accepted_for(accepted, script);
            if (failure.empty()) {
                std::printf("PASS %s\n", script.c_str());
                ++folder.passed, ++total.passed;
                if (known != nullptr && !parse_only) {
                    std::printf("STALE %s: passes, but the accepted failures list it\n",
                                script.c_str());
                    ++stale;
                }
                continue;
            }
            if (known != nullptr) {
                known->seen = true;
                std::printf("FAIL %s: %s (accepted: %s)\n", script.c_str(), failure.c_str(),
                            known->reason.c_str());
                ++folder.accepted, ++total.accepted;
            } else {
                std::printf("FAIL %s: %s\n", script.c_str(), failure.c_str());
            }
            ++folder.failed, ++total.failed;
        }
    }
    std::printf("\n");
    for (const auto& [folder, tally] : folders) {
        std::printf("%s: %u passed, %u failed (%u accepted)\n", folder.c_str(), tally.passed,
                    tally.failed, tally.accepted);
    }
    unsigned unexpected = total.failed - total.accepted;
    std::printf("%u passed, %u failed (%u accepted, %u unexpected)", total.passed, total.failed,
                total.accepted, unexpected);
    if (stale > 0) std::printf(", %u accepted failures now pass (take them off the list)", stale);
    std::printf("\n");
    return unexpected == 0 && stale == 0 ? 0 : 1;
}
