// Dotted-quad addresses and the interface's options ("ip=A/P gw=A").
#include "net/network_unit.h"
#include "toro/print.h"

namespace toro::net {

bool parse_address(const char* text, std::size_t length, Ipv4Address* address) {
    std::uint32_t value = 0;
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= length || text[i] != '.') return false;
            ++i;
        }
        std::size_t digits = 0;
        std::uint32_t octet = 0;
        while (i < length && text[i] >= '0' && text[i] <= '9' && digits < 4) {
            octet = octet * 10 + static_cast<std::uint32_t>(text[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || octet > 255) return false;
        value = value << 8 | octet;
    }
    if (i != length) return false;
    address->value = value;
    return true;
}

void format_address(Ipv4Address address, char out[16]) {
    std::uint32_t v = address.value;
    format(out, 16, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF);
}

namespace {

bool starts_with(const char* word, std::size_t length, const char* prefix) {
    std::size_t i = 0;
    for (; prefix[i] != '\0'; ++i) {
        if (i >= length || word[i] != prefix[i]) return false;
    }
    return true;
}

// "A.B.C.D/P"; a missing prefix is /32 (no subnet: everything via gw).
bool parse_address_and_prefix(const char* text, std::size_t length, InterfaceConfig* config) {
    std::size_t slash = 0;
    while (slash < length && text[slash] != '/') ++slash;
    if (!parse_address(text, slash, &config->address)) return false;
    config->prefix_length = 32;
    if (slash == length) return true;
    std::size_t digits = length - slash - 1;
    if (digits == 0 || digits > 2) return false;
    unsigned prefix = 0;
    for (std::size_t i = slash + 1; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        prefix = prefix * 10 + static_cast<unsigned>(text[i] - '0');
    }
    if (prefix > 32) return false;
    config->prefix_length = prefix;
    return true;
}

}  // namespace

bool parse_interface_options(const char* options, InterfaceConfig* config, const char** error) {
    bool ok = true;
    for (const char* word = options; *word != '\0';) {
        while (*word == ' ') ++word;
        std::size_t length = 0;
        while (word[length] != '\0' && word[length] != ' ') ++length;
        if (length == 0) break;
        bool parsed = true;
        if (starts_with(word, length, "ip=")) {
            parsed = parse_address_and_prefix(word + 3, length - 3, config);
        } else if (starts_with(word, length, "gw=")) {
            parsed = parse_address(word + 3, length - 3, &config->gateway);
        }
        if (!parsed && ok) {
            *error = word;
            ok = false;
        }
        word += length;
    }
    return ok;
}

}  // namespace toro::net
