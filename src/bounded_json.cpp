#include "domain_events/bounded_json.hpp"

#include <vector>

#include "domain_events/error.hpp"

namespace domain_events {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_key_in_path = 64;  // a path names where, not what: keys are cut

// The byte offset just past the bracket that opens a level deeper than `max_depth`, or 0.
// Brackets inside strings do not count; the text need not be valid JSON (the parse says so).
std::size_t too_deep_offset(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        switch (c) {
        case '"': in_string = true; break;
        case '[':
        case '{':
            if (++depth > max_depth) return i + 1;
            break;
        case ']':
        case '}':
            if (depth > 0) --depth;
            break;
        default: break;
        }
    }
    return 0;
}

// One level of a path: `[3]` inside an array, `.key` (cut) inside an object.
void append_level(std::string& path, bool array, std::size_t index, std::string_view key) {
    if (array) {
        path += "[" + std::to_string(index) + "]";
        return;
    }
    if (!path.empty()) path += '.';
    path.append(key.substr(0, max_key_in_path));
}

// SAX over the text up to the first level too deep, keeping the key or index of each open level:
// run only once the byte scan found one, to name it.
class path_finder {
public:
    explicit path_finder(std::size_t max_depth) : max_depth_(max_depth) {}

    [[nodiscard]] const std::optional<std::string>& found() const { return found_; }

    bool null() { return value(); }
    bool boolean(bool) { return value(); }
    bool number_integer(json::number_integer_t) { return value(); }
    bool number_unsigned(json::number_unsigned_t) { return value(); }
    bool number_float(json::number_float_t, const json::string_t&) { return value(); }
    bool string(json::string_t&) { return value(); }
    bool binary(json::binary_t&) { return value(); }
    bool start_object(std::size_t) { return open(false); }
    bool start_array(std::size_t) { return open(true); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t& name) {
        open_.back().key = std::move(name);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    struct level {
        bool array;
        std::size_t index;
        std::string key;
    };

    bool value() {
        if (!open_.empty() && open_.back().array) ++open_.back().index;
        return true;
    }
    bool open(bool array) {
        if (open_.size() + 1 > max_depth_) {
            std::string path;
            for (const auto& l : open_) append_level(path, l.array, l.index, l.key);
            found_ = std::move(path);
            return false;
        }
        open_.push_back({array, 0, {}});
        return true;
    }
    bool close() {
        open_.pop_back();
        return value();
    }

    std::size_t max_depth_;
    std::vector<level> open_;
    std::optional<std::string> found_;
};

[[noreturn]] void refuse_too_deep(const std::string& path, std::string_view what, std::size_t max_depth) {
    throw validation_error(path.empty() ? std::string(what) : path,
                           "nested deeper than the limit of " + std::to_string(max_depth) + " levels (max_depth)");
}

}  // namespace

void check_json_depth(std::string_view text, std::size_t max_depth, std::string_view what) {
    const auto offset = too_deep_offset(text, max_depth);
    if (offset == 0) return;
    path_finder finder(max_depth);
    json::sax_parse(text.substr(0, offset), &finder, json::input_format_t::json, /*strict=*/false);
    refuse_too_deep(finder.found().value_or(""), what, max_depth);
}

json parse_bounded_json(std::string_view text, const json_bounds& bounds, std::string_view what) {
    if (text.size() > bounds.max_bytes) {
        throw validation_error(std::string(what), std::to_string(text.size()) + " bytes, over the limit of " +
                                                      std::to_string(bounds.max_bytes) + " (max_bytes)");
    }
    check_json_depth(text, bounds.max_depth, what);
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        // nlohmann's message quotes the text it read last: only the offset is repeated here.
        throw validation_error(std::string(what), "not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception&) {
        // out_of_range for a number too large for a double (`1e999`).
        throw validation_error(std::string(what), "not valid JSON (a number out of range)");
    }
}

std::optional<json> try_parse_bounded_json(std::string_view text, const json_bounds& bounds) {
    if (text.size() > bounds.max_bytes || too_deep_offset(text, bounds.max_depth) != 0) return std::nullopt;
    auto parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
}

std::optional<std::string> too_deep_path(const json& value, std::size_t max_depth, std::string_view path,
                                         std::size_t outer_depth) {
    if (!value.is_structured()) return std::nullopt;
    if (outer_depth + 1 > max_depth) return std::string(path);
    struct level {
        const json* node;
        json::const_iterator next;
        std::size_t index;
    };
    std::vector<level> open{{&value, value.cbegin(), 0}};
    while (!open.empty()) {
        auto& top = open.back();
        if (top.next == top.node->cend()) {
            open.pop_back();
            if (!open.empty()) {
                ++open.back().next;
                ++open.back().index;
            }
            continue;
        }
        const json& child = *top.next;
        if (!child.is_structured()) {
            ++top.next;
            ++top.index;
            continue;
        }
        if (outer_depth + open.size() + 1 > max_depth) {
            std::string at(path);
            for (const auto& l : open) {
                const bool array = l.node->is_array();
                append_level(at, array, l.index, array ? std::string_view{} : std::string_view(l.next.key()));
            }
            return at;
        }
        open.push_back({&child, child.cbegin(), 0});
    }
    return std::nullopt;
}

void check_tree_depth(const json& value, std::size_t max_depth, std::string_view path, std::size_t outer_depth,
                      std::string_view what) {
    if (const auto at = too_deep_path(value, max_depth, path, outer_depth)) refuse_too_deep(*at, what, max_depth);
}

}  // namespace domain_events
