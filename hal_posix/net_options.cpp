// The hosted machine's network flags: --nic, --ip, --gateway. The NICs go
// into MachineConfig::nics; the addresses become kernel options ("ip=A/P
// gw=A") for the Networking unit, the same words the bare HAL takes from
// its boot command line.
#include <arpa/inet.h>

#include <regex>
#include <string>

#include "hal_posix/machine.h"
#include "net_options.h"

namespace hal_posix {

namespace {

bool valid_address(const std::string& text) {
    in_addr address{};
    return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool parse_nic(const std::string& value, MachineConfig* config, std::string* error) {
    if (value.rfind("tap:", 0) == 0 || value == "tap") {
        std::string name = value.size() > 4 ? value.substr(4) : "";
        if (name.empty()) {
            *error = "--nic tap: needs a device name (tap:NAME)";
            return false;
        }
        NicConfig nic;
        nic.tap = name;
        config->nics.push_back(nic);
        return true;
    }
    std::string kind = value.substr(0, value.find_first_of(":,"));
    *error = "--nic: unknown kind '" + kind + "' in '" + value + "' (tap:NAME)";
    return false;
}

void add_kernel_option(MachineConfig* config, const std::string& word) {
    if (!config->kernel_options.empty()) config->kernel_options += ' ';
    config->kernel_options += word;
}

}  // namespace

// "loss=0.05,dup=0.02,corrupt=0.01,delay=2,jitter=2,reorder=0.05": the
// kernel's FaultyNic parses it again; this catches a typo at the shell.
bool valid_faults(const std::string& spec) {
    static const std::regex setting(
        "(loss|dup|corrupt|reorder)=(0(\\.[0-9]+)?|1(\\.0*)?|\\.[0-9]+)|(delay|jitter)=[0-9]{1,5}");
    std::size_t start = 0;
    while (start <= spec.size()) {
        std::size_t comma = spec.find(',', start);
        std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!std::regex_match(item, setting)) return false;
        if (item.rfind("delay=", 0) == 0 || item.rfind("jitter=", 0) == 0) {
            if (std::stoi(item.substr(item.find('=') + 1)) > 10000) return false;
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return !spec.empty();
}

bool is_network_flag(const std::string& flag) {
    return flag == "--nic" || flag == "--ip" || flag == "--gateway" || flag == "--net-faults" ||
           flag == "--capture";
}

bool parse_network_flag(const std::string& flag, const std::string& value, MachineConfig* config,
                        std::string* error) {
    if (flag == "--nic") return parse_nic(value, config, error);
    if (flag == "--capture") {
        if (value.empty()) {
            *error = "--capture needs a file name";
            return false;
        }
        config->capture_path = value;
        return true;
    }
    if (flag == "--net-faults") {
        if (!valid_faults(value)) {
            *error = "--net-faults: '" + value +
                     "' is not loss=P,dup=P,corrupt=P,reorder=P,delay=MS,jitter=MS (P from 0 to 1, MS up to 10000)";
            return false;
        }
        add_kernel_option(config, "toro.net.faults=" + value);
        return true;
    }
    if (flag == "--ip") {
        std::size_t slash = value.find('/');
        std::string address = value.substr(0, slash);
        std::string prefix = slash == std::string::npos ? "32" : value.substr(slash + 1);
        bool prefix_ok = !prefix.empty() && prefix.size() <= 2 &&
                         prefix.find_first_not_of("0123456789") == std::string::npos &&
                         std::stoi(prefix) <= 32;
        if (!valid_address(address) || !prefix_ok) {
            *error = "--ip: '" + value + "' is not ADDRESS/PREFIX (e.g. 198.18.0.2/24)";
            return false;
        }
        add_kernel_option(config, "ip=" + address + "/" + prefix);
        return true;
    }
    if (!valid_address(value)) {
        *error = "--gateway: '" + value + "' is not an IPv4 address";
        return false;
    }
    add_kernel_option(config, "gw=" + value);
    return true;
}

}  // namespace hal_posix
