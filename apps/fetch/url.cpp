#include "fetch.h"

namespace fetch {

namespace {

bool starts_with(const char* text, const char* prefix) {
    while (*prefix != '\0') {
        if (*text++ != *prefix++) return false;
    }
    return true;
}

}  // namespace

bool parse_url(const char* text, Url* url, const char** why) {
    if (!starts_with(text, "http://")) return *why = "only http:// URLs", false;
    const char* host = text + 7;
    std::size_t length = 0;
    while (host[length] != '\0' && host[length] != '/' && host[length] != ':') ++length;
    if (!toro::net::parse_address(host, length, &url->server.address)) {
        return *why = "the host must be an IPv4 address (no DNS yet)", false;
    }
    const char* rest = host + length;
    unsigned port = 80;
    if (*rest == ':') {
        port = 0;
        ++rest;
        if (*rest < '0' || *rest > '9') return *why = "a bad port", false;
        while (*rest >= '0' && *rest <= '9') {
            port = port * 10 + static_cast<unsigned>(*rest++ - '0');
            if (port > 65535) return *why = "a bad port", false;
        }
        if (port == 0) return *why = "a bad port", false;
    }
    if (*rest != '\0' && *rest != '/') return *why = "a bad port", false;
    url->server.port = static_cast<std::uint16_t>(port);
    url->host = host;
    url->host_length = static_cast<std::size_t>(rest - host);
    url->path = *rest == '/' ? rest : "/";
    return true;
}

}  // namespace fetch
