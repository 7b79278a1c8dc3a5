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

// hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, as QEMU's.
bool parse_forward(const std::string& text, HostForward* forward) {
    static const std::regex syntax(
        "(tcp|udp)?:([0-9.]*):([0-9]{1,5})-([0-9.]*):([0-9]{1,5})");
    std::smatch parts;
    if (!std::regex_match(text, parts, syntax)) return false;
    forward->udp = parts[1] == "udp";
    forward->host_address = parts[2];
    forward->guest_address = parts[4];
    int host_port = std::stoi(parts[3]);
    int guest_port = std::stoi(parts[5]);
    if (host_port < 1 || host_port > 65535 || guest_port < 1 || guest_port > 65535) return false;
    if ((!forward->host_address.empty() && !valid_address(forward->host_address)) ||
        (!forward->guest_address.empty() && !valid_address(forward->guest_address))) {
        return false;
    }
    forward->host_port = static_cast<std::uint16_t>(host_port);
    forward->guest_port = static_cast<std::uint16_t>(guest_port);
    return true;
}

// user[,net=A/P][,hostfwd=...]...
bool parse_user_nic(const std::string& value, MachineConfig* config, std::string* error) {
    NicConfig nic;
    nic.user = true;
    std::size_t start = value.find(',');
    while (start != std::string::npos) {
        std::size_t end = value.find(',', start + 1);
        std::string option = value.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
        start = end;
        if (option.rfind("hostfwd=", 0) == 0) {
            HostForward forward;
            if (!parse_forward(option.substr(8), &forward)) {
                *error = "--nic user: '" + option + "' is not hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT";
                return false;
            }
            nic.user_config.forwards.push_back(forward);
            continue;
        }
        if (option.rfind("net=", 0) == 0) {
            std::string network = option.substr(4);
            std::size_t slash = network.find('/');
            in_addr address{};
            std::string prefix = slash == std::string::npos ? "24" : network.substr(slash + 1);
            if (inet_pton(AF_INET, network.substr(0, slash).c_str(), &address) != 1 || prefix.empty() ||
                prefix.size() > 2 || prefix.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(prefix) < 8 || std::stoi(prefix) > 30) {
                *error = "--nic user: '" + option + "' is not net=ADDRESS/PREFIX (prefix 8 to 30)";
                return false;
            }
            nic.user_config.network = ntohl(address.s_addr);
            nic.user_config.prefix_length = static_cast<unsigned>(std::stoi(prefix));
            continue;
        }
        *error = "--nic user: unknown option '" + option + "' (net=, hostfwd=)";
        return false;
    }
    config->nics.push_back(nic);
    return true;
}

bool parse_nic(const std::string& value, MachineConfig* config, std::string* error) {
    if (value == "user" || value.rfind("user,", 0) == 0) return parse_user_nic(value, config, error);
    if (value.rfind("pcap:", 0) == 0 || value == "pcap") {
        NicConfig nic;
        nic.pcap = value.size() > 5 ? value.substr(5) : "";
        if (nic.pcap.empty()) {
            *error = "--nic pcap: needs an interface name (pcap:IFACE)";
            return false;
        }
        config->nics.push_back(nic);
        return true;
    }
    if (value.rfind("tap:", 0) == 0 || value == "tap") {
        std::string rest = value.size() > 4 ? value.substr(4) : "";
        std::string name = rest.substr(0, rest.find(','));
        if (name.empty()) {
            *error = "--nic tap: needs a device name (tap:NAME[,offload=off])";
            return false;
        }
        NicConfig nic;
        nic.tap = name;
        for (std::size_t at = name.size(); at < rest.size();) {
            std::size_t end = rest.find(',', at + 1);
            std::string option = rest.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
            if (option == "offload=off" || option == "offload=on") {
                nic.tap_offload = option == "offload=on";
            } else {
                *error = "--nic tap: unknown option '" + option + "' in '";
                *error += value + "' (offload=on|off)";
                return false;
            }
            at = end == std::string::npos ? rest.size() : end;
        }
        config->nics.push_back(nic);
        return true;
    }
    std::string kind = value.substr(0, value.find_first_of(":,"));
    *error = "--nic: unknown kind '" + kind + "' in '" + value + "' (user[,...], tap:NAME or pcap:IFACE)";
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
           flag == "--capture" || flag == "--tcp-syn-retries";
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
    if (flag == "--tcp-syn-retries") {
        bool digits = !value.empty() && value.size() <= 2 &&
                      value.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoi(value) < 1 || std::stoi(value) > 12) {
            *error = "--tcp-syn-retries: '" + value + "' is not a count from 1 to 12";
            return false;
        }
        add_kernel_option(config, "toro.tcp.syn_retries=" + value);
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
