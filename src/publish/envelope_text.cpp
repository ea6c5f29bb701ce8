#include "publish/envelope_text.hpp"

#include <nlohmann/json.hpp>

namespace domain_events::detail {
namespace {

// Reads JSON tokens from left to right; every method returns false (and reads no further than
// the text) when the text is not what it expects.
class json_cursor {
public:
    json_cursor(std::string_view text, std::forward_list<std::string>& decoded) : text_(text), decoded_(decoded) {}

    bool at_end() {
        blanks();
        return at_ == text_.size();
    }
    bool expect(char c) {
        blanks();
        if (at_ == text_.size() || text_[at_] != c) return false;
        ++at_;
        return true;
    }
    bool peek(char c) {
        blanks();
        return at_ < text_.size() && text_[at_] == c;
    }

    // A string, decoded.
    bool string(std::string_view& out) {
        blanks();
        const auto start = at_;
        bool escaped = false;
        if (!skip_string(escaped)) return false;
        const auto raw = text_.substr(start, at_ - start);
        if (!escaped) {
            out = raw.substr(1, raw.size() - 2);
            return true;
        }
        const auto parsed = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
        if (!parsed.is_string()) return false;
        out = decoded_.emplace_front(parsed.get<std::string>());
        return true;
    }

    // An integer, as its text.
    bool integer(std::string_view& out) {
        blanks();
        const auto start = at_;
        if (at_ < text_.size() && text_[at_] == '-') ++at_;
        while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
        out = text_.substr(start, at_ - start);
        return !out.empty() && out != "-" && (at_ == text_.size() || (text_[at_] != '.' && text_[at_] != 'e' && text_[at_] != 'E'));
    }

    // Any value, as its text: strings and brackets are followed, nothing else is checked (the
    // text is an envelope this library wrote and validated).
    bool value(std::string_view& out) {
        blanks();
        const auto start = at_;
        std::size_t depth = 0;
        while (at_ < text_.size()) {
            const char c = text_[at_];
            if (depth == 0 && (c == ',' || c == '}' || c == ']')) break;
            if (c == '"') {
                bool escaped = false;
                if (!skip_string(escaped)) return false;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') --depth;
            ++at_;
        }
        out = text_.substr(start, at_ - start);
        while (!out.empty() && is_blank(out.back())) out.remove_suffix(1);
        return !out.empty() && depth == 0;
    }

private:
    static bool is_blank(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
    void blanks() {
        while (at_ < text_.size() && is_blank(text_[at_])) ++at_;
    }
    bool skip_string(bool& escaped) {
        if (at_ == text_.size() || text_[at_] != '"') return false;
        for (++at_; at_ < text_.size(); ++at_) {
            if (text_[at_] == '\\') {
                escaped = true;
                ++at_;
            } else if (text_[at_] == '"') {
                ++at_;
                return true;
            }
        }
        return false;
    }

    std::string_view text_;
    std::size_t at_ = 0;
    std::forward_list<std::string>& decoded_;
};

// Calls `member(cursor, key)` for each member of the object at the cursor; false when the text
// is not an object or `member` returns false.
template <class Member>
bool each_member(json_cursor& cursor, Member member) {
    if (!cursor.expect('{')) return false;
    if (cursor.expect('}')) return true;
    do {
        std::string_view key;
        if (!cursor.string(key) || !cursor.expect(':') || !member(key)) return false;
    } while (cursor.expect(','));
    return cursor.expect('}');
}

}  // namespace

std::optional<envelope_text> scan_envelope(std::string_view text, std::forward_list<std::string>& decoded) {
    json_cursor cursor(text, decoded);
    envelope_text found;
    auto& f = found.fields;
    unsigned seen = 0;
    const auto string_member = [&](std::string_view& out, unsigned bit) {
        seen |= bit;
        return cursor.string(out);
    };
    const auto optional_string = [&](std::optional<std::string_view>& out) {
        if (cursor.peek('n')) {
            std::string_view null;
            return cursor.value(null) && null == "null";
        }
        std::string_view value;
        if (!cursor.string(value)) return false;
        out = value;
        return true;
    };
    const auto metadata_member = [&](std::string_view key) {
        if (key == "source") return string_member(f.source, 1u << 8);
        if (key == "version") return string_member(f.schema_version, 1u << 9);
        if (key == "correlation_id") return optional_string(f.correlation_id);
        if (key == "causation_id") return optional_string(f.causation_id);
        std::string_view skipped;
        return cursor.value(skipped);
    };
    const bool read = each_member(cursor, [&](std::string_view key) {
        if (key == "event_id") return string_member(f.event_id, 1u << 0);
        if (key == "event_type") return string_member(f.event_type, 1u << 1);
        if (key == "timestamp") return string_member(f.timestamp, 1u << 2);
        if (key == "aggregate_type") return string_member(f.aggregate_type, 1u << 3);
        if (key == "aggregate_id") return string_member(f.aggregate_id, 1u << 4);
        if (key == "aggregate_version") {
            seen |= 1u << 5;
            return cursor.integer(f.aggregate_version);
        }
        if (key == "data") {
            seen |= 1u << 6;
            return cursor.peek('{') && cursor.value(found.data);
        }
        if (key == "metadata") {
            seen |= 1u << 7;
            return each_member(cursor, metadata_member);
        }
        std::string_view skipped;
        return cursor.value(skipped);
    });
    if (!read || !cursor.at_end() || seen != (1u << 10) - 1) return std::nullopt;
    return found;
}

}  // namespace domain_events::detail
