// The DHCP client (dhcp.h): messages out, replies in, and the lease's
// timers. A reply is copied out of its packets whole (at most 1500 bytes)
// and every option is checked against the copy's length before it is read.
#include "hal/random.h"
#include "net/stack.h"

namespace toro::net {

namespace {

constexpr std::uint8_t kMagic[4] = {99, 130, 83, 99};
constexpr std::size_t kMaxReply = 1500;
constexpr std::size_t kMessageBytes = 300;  // RFC 1542 §3.1.1: BOOTP's minimum
constexpr std::uint64_t kFirstBackoff = 4 * kSecond;
constexpr std::uint64_t kLastBackoff = 64 * kSecond;
constexpr std::uint64_t kMinimumLease = 60 * kSecond;

// RFC 2132 option codes and DHCP message types (§9.6).
enum : std::uint8_t {
    kOptionPad = 0, kOptionSubnetMask = 1, kOptionRouter = 3, kOptionDns = 6,
    kOptionRequestedAddress = 50, kOptionLeaseTime = 51, kOptionMessageType = 53,
    kOptionServerId = 54, kOptionParameterList = 55, kOptionRenewalTime = 58,
    kOptionRebindingTime = 59, kOptionEnd = 255,
};
enum : std::uint8_t { kDiscover = 1, kOffer = 2, kRequest = 3, kAck = 5, kNak = 6 };

// The options a reply carries, each found once (the first wins).
struct ReplyOptions {
    std::uint8_t type = 0;
    bool has_mask = false, has_router = false, has_dns = false, has_server = false;
    Ipv4Address mask, router, dns, server;
    std::uint32_t lease_seconds = 0, renew_seconds = 0, rebind_seconds = 0;
};

bool parse_options(const std::uint8_t* options, std::size_t length, ReplyOptions* out) {
    for (std::size_t i = 0; i < length;) {
        std::uint8_t code = options[i];
        if (code == kOptionPad) {
            ++i;
            continue;
        }
        if (code == kOptionEnd) return true;
        if (i + 2 > length || i + 2 + options[i + 1] > length) return false;  // runs past the end
        std::size_t size = options[i + 1];
        const std::uint8_t* value = options + i + 2;
        auto address = [&](bool* has, Ipv4Address* field) {
            if (size >= 4 && !*has) {
                *has = true;
                field->value = load32(value);
            }
        };
        switch (code) {
            case kOptionMessageType: if (size == 1 && out->type == 0) out->type = value[0]; break;
            case kOptionSubnetMask: address(&out->has_mask, &out->mask); break;
            case kOptionRouter: address(&out->has_router, &out->router); break;
            case kOptionDns: address(&out->has_dns, &out->dns); break;
            case kOptionServerId: address(&out->has_server, &out->server); break;
            case kOptionLeaseTime: if (size == 4) out->lease_seconds = load32(value); break;
            case kOptionRenewalTime: if (size == 4) out->renew_seconds = load32(value); break;
            case kOptionRebindingTime: if (size == 4) out->rebind_seconds = load32(value); break;
            default: break;
        }
        i += 2 + size;
    }
    return true;  // no End option: accepted, as most clients do
}

// A mask of contiguous ones -> its prefix length; false otherwise.
bool prefix_of(Ipv4Address mask, unsigned* prefix) {
    std::uint32_t inverted = ~mask.value;
    if ((inverted & (inverted + 1)) != 0) return false;  // ones, then zeros
    unsigned ones = 0;
    for (std::uint32_t bits = mask.value; bits != 0; bits <<= 1) ++ones;  // no libgcc popcount
    *prefix = ones;
    return true;
}

}  // namespace

void Stack::dhcp_start(std::uint64_t now) {
    dhcp_.state = DhcpState::kSelecting;
    dhcp_.transaction = static_cast<std::uint32_t>(hal::random_u64());
    dhcp_.backoff_ns = 0;
    dhcp_send(kDiscover, now);
    dhcp_.deadline = dhcp_backoff(now);
    note_deadline(dhcp_.deadline);
}

// RFC 2131 §4.1: 4 s, doubling to 64 s, each randomised by +-1 s.
std::uint64_t Stack::dhcp_backoff(std::uint64_t now) {
    dhcp_.backoff_ns = dhcp_.backoff_ns == 0 ? kFirstBackoff
                       : dhcp_.backoff_ns >= kLastBackoff ? kLastBackoff
                                                          : dhcp_.backoff_ns * 2;
    std::uint64_t jitter = hal::random_u64() % (2 * kSecond + 1);
    return now + dhcp_.backoff_ns - kSecond + jitter;
}

void Stack::dhcp_send(std::uint8_t type, std::uint64_t now) {
    std::uint8_t message[kMessageBytes] = {};
    auto* header = reinterpret_cast<DhcpMessage*>(message);
    header->op = 1;
    header->htype = 1;
    header->hlen = 6;
    store32(header->xid, dhcp_.transaction);
    bool renewing = dhcp_.state == DhcpState::kRenewing || dhcp_.state == DhcpState::kRebinding;
    // Ask for broadcast replies: without an address we could not take a unicast one.
    store16(header->flags, renewing ? 0 : 0x8000);
    if (renewing) store32(header->ciaddr, config_.address.value);
    __builtin_memcpy(header->chaddr, mac_.bytes, 6);
    __builtin_memcpy(header->magic, kMagic, 4);
    std::uint8_t* option = message + sizeof(DhcpMessage);
    *option++ = kOptionMessageType;
    *option++ = 1;
    *option++ = type;
    if (type == kRequest && dhcp_.state == DhcpState::kRequesting) {  // §4.3.2: SELECTING's REQUEST
        *option++ = kOptionRequestedAddress;
        *option++ = 4;
        store32(option, dhcp_.offered.value);
        option += 4;
        *option++ = kOptionServerId;
        *option++ = 4;
        store32(option, dhcp_.server.value);
        option += 4;
    }
    const std::uint8_t wanted[] = {kOptionSubnetMask, kOptionRouter, kOptionDns, kOptionLeaseTime};
    *option++ = kOptionParameterList;
    *option++ = sizeof wanted;
    for (std::uint8_t code : wanted) *option++ = code;
    *option = kOptionEnd;
    Endpoint server{dhcp_.state == DhcpState::kRenewing ? dhcp_.server : Ipv4Address{0xFFFFFFFF},
                    kDhcpServerPort};
    (void)udp_output(kDhcpClientPort, server, message, sizeof message, now);
}

void Stack::dhcp_input(const Packet* first, std::size_t length, std::uint64_t now) {
    if (length < sizeof(DhcpMessage)) return;
    std::uint8_t reply[kMaxReply];
    if (length > sizeof reply) length = sizeof reply;
    length = copy_from_chain(first, 0, reply, length);
    const auto* header = reinterpret_cast<const DhcpMessage*>(reply);
    if (header->op != 2 || load32(header->xid) != dhcp_.transaction ||
        __builtin_memcmp(header->chaddr, mac_.bytes, 6) != 0 ||
        __builtin_memcmp(header->magic, kMagic, 4) != 0) {
        return;  // not an answer to us
    }
    const std::uint8_t* options = reply + sizeof(DhcpMessage);
    std::size_t options_length = length - sizeof(DhcpMessage);
    ReplyOptions parsed;
    if (!parse_options(options, options_length, &parsed)) return;
    if (parsed.type == kOffer && dhcp_.state == DhcpState::kSelecting && parsed.has_server) {
        dhcp_.offered.value = load32(header->yiaddr);
        dhcp_.server = parsed.server;
        dhcp_.state = DhcpState::kRequesting;
        dhcp_.backoff_ns = 0;
        dhcp_send(kRequest, now);
        dhcp_.deadline = dhcp_backoff(now);
        note_deadline(dhcp_.deadline);
        return;
    }
    bool waiting = dhcp_.state == DhcpState::kRequesting || dhcp_.state == DhcpState::kRenewing ||
                   dhcp_.state == DhcpState::kRebinding;
    if (!waiting) return;
    if (parsed.type == kNak) {  // §4.3.2: the address is no longer ours
        set_address({});
        dhcp_start(now);
        return;
    }
    if (parsed.type == kAck) dhcp_bind(*header, options, options_length, now);
}

void Stack::dhcp_bind(const DhcpMessage& reply, const std::uint8_t* options, std::size_t length,
                      std::uint64_t now) {
    ReplyOptions parsed;
    parse_options(options, length, &parsed);
    InterfaceConfig config;
    config.address.value = load32(reply.yiaddr);
    if (config.address.is_any() || config.address.is_broadcast()) return;
    config.prefix_length = 24;  // RFC 1122 would take the class; a /24 is what servers mean
    if (parsed.has_mask && !prefix_of(parsed.mask, &config.prefix_length)) return;
    if (parsed.has_router) config.gateway = parsed.router;
    std::uint64_t lease = parsed.lease_seconds == 0 ? 0 : parsed.lease_seconds * kSecond;
    if (parsed.lease_seconds == 0xFFFFFFFF) lease = kNoDeadline;  // infinite
    if (lease < kMinimumLease) lease = kMinimumLease;
    if (!(config.address == config_.address) || config.prefix_length != config_.prefix_length ||
        !(config.gateway == config_.gateway)) {
        set_address(config);
    }
    if (parsed.has_server) dhcp_.server = parsed.server;
    if (parsed.has_dns) dhcp_.dns = parsed.dns;
    dhcp_.state = DhcpState::kBound;
    dhcp_.backoff_ns = 0;
    ++dhcp_.leases;
    dhcp_.lease_start = now;
    if (lease == kNoDeadline) {
        dhcp_.renew_at = dhcp_.rebind_at = dhcp_.expire_at = dhcp_.deadline = kNoDeadline;
        return;
    }
    // §4.4.5: T1 = half the lease, T2 = 7/8 of it, unless the server says.
    std::uint64_t renew = parsed.renew_seconds != 0 ? parsed.renew_seconds * kSecond : lease / 2;
    std::uint64_t rebind = parsed.rebind_seconds != 0 ? parsed.rebind_seconds * kSecond : lease / 8 * 7;
    if (rebind > lease) rebind = lease;
    if (renew > rebind) renew = rebind;
    dhcp_.renew_at = now + renew;
    dhcp_.rebind_at = now + rebind;
    dhcp_.expire_at = now + lease;
    dhcp_.deadline = dhcp_.renew_at;
    note_deadline(dhcp_.deadline);
}

// RFC 2131 §4.4.5: in RENEWING and REBINDING, retransmit at half the time
// left to T2 (or the lease's end), but no more often than every 60 s.
std::uint64_t Stack::dhcp_poll(std::uint64_t now) {
    if (dhcp_.state == DhcpState::kOff || dhcp_.deadline > now) return dhcp_.deadline;
    switch (dhcp_.state) {
        case DhcpState::kSelecting:
            dhcp_send(kDiscover, now);
            dhcp_.deadline = dhcp_backoff(now);
            break;
        case DhcpState::kRequesting:
            if (dhcp_.backoff_ns >= kLastBackoff / 4) {  // four REQUESTs unanswered: start over
                dhcp_start(now);
                break;
            }
            dhcp_send(kRequest, now);
            dhcp_.deadline = dhcp_backoff(now);
            break;
        case DhcpState::kBound:
        case DhcpState::kRenewing:
        case DhcpState::kRebinding: {
            if (now >= dhcp_.expire_at) {  // the lease is over: no address any more
                set_address({});
                dhcp_start(now);
                break;
            }
            dhcp_.state = now >= dhcp_.rebind_at ? DhcpState::kRebinding : DhcpState::kRenewing;
            dhcp_send(kRequest, now);
            std::uint64_t until = dhcp_.state == DhcpState::kRenewing ? dhcp_.rebind_at : dhcp_.expire_at;
            std::uint64_t wait = (until - now) / 2;
            if (wait < 60 * kSecond) wait = 60 * kSecond;
            dhcp_.deadline = now + wait < until ? now + wait : until;
            break;
        }
        case DhcpState::kOff: break;
    }
    return dhcp_.deadline;
}

}  // namespace toro::net
