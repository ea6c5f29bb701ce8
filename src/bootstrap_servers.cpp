#include "bootstrap_servers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace domain_events::detail {
namespace {

bool host_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// Why one broker entry of a bootstrap list is not `[scheme://]host[:port]`, or "".
std::string broker_problem(std::string_view entry) {
    if (const auto scheme = entry.find("://"); scheme != std::string_view::npos) entry.remove_prefix(scheme + 3);
    std::string_view host = entry;
    std::string_view port;
    if (entry.starts_with('[')) {  // [::1]:9092
        const auto close = entry.find(']');
        if (close == std::string_view::npos) return "an IPv6 address must end with ']'";
        host = entry.substr(1, close - 1);
        const auto rest = entry.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return "expected ':port' after ']'";
        if (!rest.empty()) port = rest.substr(1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; })) {
            return "is not an IPv6 address";
        }
    } else {
        const auto colon = entry.find(':');
        if (colon != std::string_view::npos) {
            if (entry.find(':', colon + 1) != std::string_view::npos) return "an IPv6 address needs brackets: [::1]:9092";
            host = entry.substr(0, colon);
            port = entry.substr(colon + 1);
        }
        if (host.empty()) return "the host is empty";
        if (!std::all_of(host.begin(), host.end(), host_character)) return "the host has a character no host name has";
    }
    if (entry.find(':') != std::string_view::npos && port.empty() && !entry.ends_with(']')) return "the port is empty";
    if (!port.empty()) {
        int number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
            return "the port must be a number from 1 to 65535";
        }
    }
    return {};
}

}  // namespace

std::optional<std::pair<std::string, std::string>> bootstrap_problem(std::string_view list) {
    for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        auto entry = list.substr(start, comma - start);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        if (entry.empty()) return std::pair<std::string, std::string>{"", "an entry is empty (two commas, or one at an end)"};
        if (auto why = broker_problem(entry); !why.empty()) return std::pair{std::string(entry), std::move(why)};
        start = comma + 1;
    }
    return std::nullopt;
}

}  // namespace domain_events::detail
