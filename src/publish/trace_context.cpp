#include "domain_events/publish/trace_context.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool all_lower_hex(std::string_view text) { return std::all_of(text.begin(), text.end(), is_lower_hex); }
bool all_zeros(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

int hex_value(char c) { return is_digit(c) ? c - '0' : c - 'a' + 10; }

// Why `value` is not a traceparent, or "" with its version-00 form in `written`.
std::string traceparent_problem(std::string_view value, std::string& written) {
    if (value.size() < 3 || !all_lower_hex(value.substr(0, 2)) || value[2] != '-') {
        return "must start with a version of two lower-case hexadecimal digits and '-', e.g. "
               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    }
    const auto version = value.substr(0, 2);
    if (version == "ff") return "version ff is forbidden";
    if (version == "00" && value.size() != 55) {
        return "version 00 is 55 characters, 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>; this one has " +
               std::to_string(value.size());
    }
    if (value.size() < 55) return "is shorter than the 55 characters of any version";
    if (value[35] != '-' || value[52] != '-') return "expected '-' after the 32-digit trace id and the 16-digit parent id";
    const auto trace_id = value.substr(3, 32), parent_id = value.substr(36, 16), flags = value.substr(53, 2);
    if (!all_lower_hex(trace_id)) return "the trace id must be 32 lower-case hexadecimal digits";
    if (all_zeros(trace_id)) return "the trace id must not be all zeros";
    if (!all_lower_hex(parent_id)) return "the parent id must be 16 lower-case hexadecimal digits";
    if (all_zeros(parent_id)) return "the parent id must not be all zeros";
    if (!all_lower_hex(flags)) return "the flags must be 2 lower-case hexadecimal digits";
    if (value.size() > 55 && value[55] != '-') return "the flags of a higher version must be followed by '-' or the end";
    written.assign("00-").append(trace_id).append("-").append(parent_id).append("-");
    if (version == "00") {
        written.append(flags);
    } else {
        // Only the sampled bit of a later version is known to mean what it means in version 00.
        written.append((hex_value(flags[1]) & 1) != 0 ? "01" : "00");
    }
    return {};
}

bool is_key_char(char c) {
    return is_lower(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}
bool is_value_char(char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; }

std::string_view trim_blanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Why a non-empty member (blanks trimmed) is not `key=value`, or "" with its key in `key`.
std::string member_problem(std::string_view member, std::string_view& key) {
    const auto equals = member.find('=');
    if (equals == std::string_view::npos) return "is not key=value";
    key = member.substr(0, equals);
    const auto value = member.substr(equals + 1);
    if (key.empty() || key.size() > 256 || !(is_lower(key[0]) || is_digit(key[0])) ||
        !std::all_of(key.begin(), key.end(), is_key_char)) {
        return "has a key that does not match [a-z0-9][a-z0-9_\\-*/@]{0,255}";
    }
    if (value.empty() || value.size() > 256 || !std::all_of(value.begin(), value.end(), is_value_char) ||
        value.back() == ' ') {
        return "has a value that is not 1 to 256 printable ASCII characters other than ',' and '=' "
               "(not ending in a space)";
    }
    return {};
}

// Calls `visit(member)` for each non-empty member, blanks trimmed, until it returns false.
template <class Visit>
void for_each_member(std::string_view list, Visit visit) {
    for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        const auto member = trim_blanks(list.substr(start, comma - start));
        if (!member.empty() && !visit(member)) return;
        start = comma + 1;
    }
}

std::string joined(const std::vector<std::string_view>& members) {
    std::string out;
    for (const auto& m : members) out.append(out.empty() ? "" : ",").append(m);
    return out;
}

std::size_t joined_size(const std::vector<std::string_view>& members) {
    std::size_t size = members.empty() ? 0 : members.size() - 1;
    for (const auto& m : members) size += m.size();
    return size;
}

bool has_key(const std::vector<std::string_view>& members, std::string_view key) {
    return std::any_of(members.begin(), members.end(),
                       [key](std::string_view m) { return m.substr(0, m.find('=')) == key; });
}

std::string cut(std::string_view text) { return std::string(text.substr(0, 64)) + (text.size() > 64 ? "..." : ""); }

}  // namespace

trace_context trace_context::parse(std::string_view traceparent, std::string_view tracestate,
                                   std::string_view field_prefix) {
    const auto field = [&](const char* name) { return std::string(field_prefix) + name; };
    std::string written;
    if (auto why = traceparent_problem(traceparent, written); !why.empty()) {
        throw validation_error(field("traceparent"), "'" + cut(traceparent) + "' " + why);
    }
    std::vector<std::string_view> members;
    std::string problem;
    for_each_member(tracestate, [&](std::string_view member) {
        std::string_view key;
        if (members.size() == max_tracestate_members) {
            problem = "has more than " + std::to_string(max_tracestate_members) + " members";
        } else if (auto why = member_problem(member, key); !why.empty()) {
            problem = "member " + std::to_string(members.size() + 1) + " " + why;
        } else if (has_key(members, key)) {
            problem = "has the key '" + cut(key) + "' twice; each key may appear once";
        }
        members.push_back(member);
        return problem.empty();
    });
    if (!problem.empty()) throw validation_error(field("tracestate"), problem);
    if (const auto size = joined_size(members); size > max_tracestate_chars) {
        throw validation_error(field("tracestate"), std::to_string(size) + " characters (without blanks), over the " +
                                                        std::to_string(max_tracestate_chars) +
                                                        " an event carries (max_tracestate_chars)");
    }
    return trace_context(std::move(written), joined(members));
}

std::optional<trace_context> trace_context::receive(std::string_view traceparent, std::string_view tracestate) {
    std::string written;
    if (!traceparent_problem(traceparent, written).empty()) return std::nullopt;
    std::vector<std::string_view> members;
    for_each_member(tracestate, [&](std::string_view member) {
        std::string_view key;
        if (member_problem(member, key).empty() && !has_key(members, key)) members.push_back(member);
        return members.size() < max_tracestate_members;
    });
    while (joined_size(members) > max_tracestate_chars) {
        const auto longest_last = std::find_if(members.rbegin(), members.rend(),
                                               [](std::string_view m) { return m.size() > long_tracestate_member; });
        members.erase(longest_last != members.rend() ? std::prev(longest_last.base()) : std::prev(members.end()));
    }
    return trace_context(std::move(written), joined(members));
}

trace_context trace_context::child() const {
    std::array<unsigned char, 8> id{};
    do {
        if (::getrandom(id.data(), id.size(), 0) != static_cast<ssize_t>(id.size())) {
            std::random_device fallback;  // only on a kernel without getrandom
            for (auto& byte : id) byte = static_cast<unsigned char>(fallback());
        }
    } while (std::all_of(id.begin(), id.end(), [](unsigned char b) { return b == 0; }));
    static constexpr char digits[] = "0123456789abcdef";
    std::string written = traceparent_;
    for (std::size_t i = 0; i < id.size(); ++i) {
        written[36 + 2 * i] = digits[id[i] >> 4];
        written[37 + 2 * i] = digits[id[i] & 0x0f];
    }
    return trace_context(std::move(written), tracestate_);
}

std::uint8_t trace_context::flags() const noexcept {
    return static_cast<std::uint8_t>(hex_value(traceparent_[53]) * 16 + hex_value(traceparent_[54]));
}

namespace detail {

void write_trace_fields(std::optional<std::string>& traceparent, std::optional<std::string>& tracestate,
                        std::string_view field_prefix) {
    if (traceparent) {
        const auto trace = trace_context::parse(*traceparent, tracestate.value_or(""), field_prefix);
        traceparent = trace.traceparent();
        tracestate = trace.tracestate().empty() ? std::nullopt : std::optional(trace.tracestate());
    } else if (tracestate) {
        throw validation_error(std::string(field_prefix) + "tracestate",
                               "is set without a traceparent; a tracestate belongs to its traceparent");
    }
}

}  // namespace detail

}  // namespace domain_events
