// The hosted machine's command line.
#include <cerrno>
#include <cstdlib>
#include <string>

#include "hal/boot.h"
#include "hal_posix/machine.h"
#include "net_options.h"

namespace hal_posix {

namespace {

// "64M", "1G", "512K", "1048576", also "64MiB": binary units.
bool parse_size(const std::string& text, std::size_t* bytes) {
    if (text.empty() || text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (errno != 0) return false;
    std::string suffix(end);
    unsigned shift = 0;
    if (suffix == "" || suffix == "B") {
        shift = 0;
    } else if (suffix == "K" || suffix == "KiB" || suffix == "k") {
        shift = 10;
    } else if (suffix == "M" || suffix == "MiB") {
        shift = 20;
    } else if (suffix == "G" || suffix == "GiB") {
        shift = 30;
    } else {
        return false;
    }
    if (value > (~0ull >> shift)) return false;
    *bytes = static_cast<std::size_t>(value << shift);
    return true;
}

bool parse_cpus(const std::string& text, unsigned* cpus) {
    if (text.empty() || text.size() > 4) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    unsigned long value = std::strtoul(text.c_str(), nullptr, 10);
    if (value < 1 || value > hal::kMaxCpus) return false;
    *cpus = static_cast<unsigned>(value);
    return true;
}

// "42" or "0x2a": any of 0 .. 2^64-1 and nothing else (strtoull alone
// would take "-1", leading blanks and a trailing word).
bool parse_seed(const std::string& text, std::uint64_t* seed) {
    bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    std::string digits = hex ? text.substr(2) : text;
    if (digits.empty()) return false;
    for (char c : digits) {
        bool decimal = c >= '0' && c <= '9';
        bool letter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!decimal && !(hex && letter)) return false;
    }
    errno = 0;
    unsigned long long value = std::strtoull(digits.c_str(), nullptr, hex ? 16 : 10);
    if (errno != 0) return false;  // past 2^64-1
    *seed = value;
    return true;
}

// "PATH" or "PATH,ro".
bool parse_disk(const std::string& text, std::vector<DiskConfig>* disks, std::string* error) {
    DiskConfig disk;
    disk.path = text;
    std::size_t comma = text.rfind(',');
    if (comma != std::string::npos) {
        std::string option = text.substr(comma + 1);
        if (option != "ro" && option != "rw") {
            *error = "--disk: unknown option '" + option + "' in '" + text + "' (PATH[,ro])";
            return false;
        }
        disk.read_only = option == "ro";
        disk.path = text.substr(0, comma);
    }
    if (disk.path.empty()) {
        *error = "--disk needs a file path";
        return false;
    }
    if (disks->size() >= 16) {
        *error = "--disk: at most 16 disks";
        return false;
    }
    disks->push_back(disk);
    return true;
}

// Writes `argument` as one word in the syntax the kernel splits the command
// line with (hal/boot.h): quoted if it is empty or holds a blank, each `"`
// and `\` escaped with a backslash, so that the application gets back
// exactly the string it was given.
void append_argument(std::string* line, const std::string& argument) {
    if (!line->empty()) *line += ' ';
    bool needs_quotes = argument.empty() || argument.find_first_of(" \t\n\r") != std::string::npos;
    if (needs_quotes) *line += '"';
    for (char c : argument) {
        if (c == '"' || c == '\\') *line += '\\';
        *line += c;
    }
    if (needs_quotes) *line += '"';
}

}  // namespace

std::string usage(const std::string& program) {
    return "usage: " + program +
           " [--cpus N] [--memory SIZE] [--disk PATH[,ro]]... [--seed N]"
           " [--nic KIND]... [--ip ADDR/PREFIX] [--gateway ADDR] [--net-faults SPEC] [--capture FILE]"
           " [--tcp-syn-retries N]"
           " [--help] [-- APP_ARGS...]\n"
           "  --cpus N       CPUs (threads) of the machine, 1 to " +
           std::to_string(hal::kMaxCpus) +
           " (default 1)\n"
           "  --memory SIZE  RAM of the machine, e.g. 64M or 1G (default 64M, 4M to 64G)\n"
           "  --disk PATH[,ro]  attach a file as the next disk (read-only with ,ro); repeatable\n"
           "  --seed N       the machine's random numbers repeat run to run for the same N\n"
           "                 (decimal or 0x hex; default: unpredictable, from the host)\n"
           "  --nic KIND     the next NIC (repeatable; the first carries the default route):\n"
           "                 user[,net=A/P][,hostfwd=[tcp|udp]:[HOST]:PORT-[GUEST]:PORT]... (libslirp,\n"
           "                 no root; the default of an app that uses the network),\n"
           "                 tap:NAME[,offload=off] (a TAP device, made if missing and root may;\n"
           "                 TCP segmentation offload unless off),\n"
           "                 pcap:IFACE (a live interface through libpcap)\n"
           "  --ip ADDR/PREFIX  the first NIC's address, e.g. 198.18.0.2/24\n"
           "  --gateway ADDR the default route's next hop\n"
           "  --net-faults SPEC  faults on the first NIC, both ways, e.g.\n"
           "                 loss=0.05,dup=0.02,corrupt=0.01,reorder=0.05,delay=2,jitter=2 (ms)\n"
           "  --capture FILE every frame of the first NIC, both ways, into a pcap file\n"
           "  --tcp-syn-retries N  resends of an unanswered SYN or SYN-ACK before TCP gives\n"
           "                 the connection up, 1 to 12 (default 6: about two minutes)\n"
           "  --help         print this and exit\n"
           "  -- APP_ARGS    everything after -- goes to the application\n";
}

ParseOutcome parse_command_line(int argc, char** argv, MachineConfig* config, std::string* error) {
    if (argc > 0 && argv[0] != nullptr) {
        std::string path = argv[0];
        config->program = path.substr(path.find_last_of('/') + 1);
    }
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        std::string value;
        bool has_inline_value = false;
        if (flag.rfind("--", 0) == 0 && flag.find('=') != std::string::npos) {
            value = flag.substr(flag.find('=') + 1);
            flag = flag.substr(0, flag.find('='));
            has_inline_value = true;
        }
        if (flag == "--") {
            for (++i; i < argc; ++i) append_argument(&config->command_line, argv[i]);
            break;
        }
        if (flag == "--help" || flag == "-h") return ParseOutcome::kHelp;
        if (flag != "--cpus" && flag != "--memory" && flag != "--disk" && flag != "--seed" &&
            !is_network_flag(flag)) {
            *error = flag.rfind('-', 0) == 0
                         ? "unknown option '" + flag + "'"
                         : "unexpected argument '" + flag + "' (application arguments go after --)";
            return ParseOutcome::kError;
        }
        if (!has_inline_value) {
            if (i + 1 >= argc) {
                *error = flag + " needs a value";
                return ParseOutcome::kError;
            }
            value = argv[++i];
        }
        if (flag == "--cpus" && !parse_cpus(value, &config->cpus)) {
            *error = "--cpus: '" + value + "' is not a CPU count from 1 to " +
                     std::to_string(hal::kMaxCpus);
            return ParseOutcome::kError;
        }
        if (flag == "--disk" && !parse_disk(value, &config->disks, error)) return ParseOutcome::kError;
        if (is_network_flag(flag) && !parse_network_flag(flag, value, config, error)) {
            return ParseOutcome::kError;
        }
        if (flag == "--seed") {
            std::uint64_t seed = 0;
            if (!parse_seed(value, &seed)) {
                *error = "--seed: '" + value + "' is not a number from 0 to 2^64-1 (decimal or 0x hex)";
                return ParseOutcome::kError;
            }
            config->seed = seed;
        }
        if (flag == "--memory") {
            std::size_t bytes = 0;
            if (!parse_size(value, &bytes)) {
                *error = "--memory: '" + value + "' is not a size (e.g. 64M, 1G)";
                return ParseOutcome::kError;
            }
            if (bytes < kMinimumMemory || bytes > kMaximumMemory) {
                *error = "--memory: '" + value + "' is outside 4M to 64G";
                return ParseOutcome::kError;
            }
            config->memory_bytes = bytes;
        }
    }
    return ParseOutcome::kRun;
}

}  // namespace hal_posix
