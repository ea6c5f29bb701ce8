#include "publish/envelope_reader.hpp"

#include <vector>

namespace domain_events::detail {
namespace {

using json = nlohmann::json;

enum class member : unsigned {
    event_id,
    event_type,
    timestamp,
    aggregate_type,
    aggregate_id,
    aggregate_version,
    data,
    metadata,
    source,
    version,
    correlation_id,
    causation_id,
    unknown,
};

constexpr unsigned bit(member m) { return 1u << static_cast<unsigned>(m); }

constexpr unsigned required_of_envelope = bit(member::event_id) | bit(member::event_type) | bit(member::timestamp) |
                                          bit(member::aggregate_type) | bit(member::aggregate_id) |
                                          bit(member::aggregate_version) | bit(member::data) | bit(member::metadata);
constexpr unsigned required_of_metadata = bit(member::source) | bit(member::version);

member envelope_member(std::string_view name) {
    static constexpr std::pair<std::string_view, member> names[] = {
        {"event_id", member::event_id},           {"event_type", member::event_type},
        {"timestamp", member::timestamp},         {"aggregate_type", member::aggregate_type},
        {"aggregate_id", member::aggregate_id},   {"aggregate_version", member::aggregate_version},
        {"data", member::data},                   {"metadata", member::metadata}};
    for (const auto& [text, m] : names) {
        if (text == name) return m;
    }
    return member::unknown;
}

member metadata_member(std::string_view name) {
    if (name == "source") return member::source;
    if (name == "version") return member::version;
    if (name == "correlation_id") return member::correlation_id;
    if (name == "causation_id") return member::causation_id;
    return member::unknown;
}

// nlohmann's SAX interface. Any event the envelope's shape does not allow returns false, which
// ends the parse: the caller then reads the text the slow way, whose errors name the problem.
class envelope_handler {
public:
    envelope_handler(event& e, std::size_t max_depth) : e_(e), max_depth_(max_depth) {}

    [[nodiscard]] bool complete() const {
        constexpr unsigned required = required_of_envelope | required_of_metadata;
        return depth_ == 0 && (seen_ & required) == required;
    }
    [[nodiscard]] std::string& timestamp() { return timestamp_; }

    bool null() {
        if (building()) return add(json(nullptr));
        if (skipping()) return true;
        // A null correlation or causation id reads as not set.
        return take_member(pending_ == member::unknown || pending_ == member::correlation_id ||
                           pending_ == member::causation_id);
    }
    bool boolean(bool value) { return building() ? add(json(value)) : scalar(); }
    bool number_integer(json::number_integer_t value) {
        if (building()) return add(json(value));
        if (pending_ == member::aggregate_version && !skipping()) e_.aggregate_version = value;
        return scalar(member::aggregate_version);
    }
    bool number_unsigned(json::number_unsigned_t value) {
        if (building()) return add(json(value));
        if (pending_ == member::aggregate_version && !skipping() && fits_a_version(value)) {
            e_.aggregate_version = static_cast<std::int64_t>(value);
            return scalar(member::aggregate_version);
        }
        return scalar();
    }
    bool number_float(json::number_float_t value, const json::string_t&) {
        return building() ? add(json(value)) : scalar();
    }
    bool string(json::string_t& value) {
        if (building()) return add(json(std::move(value)));
        if (skipping()) return true;
        switch (pending_) {
        case member::event_id: e_.event_id = std::move(value); break;
        case member::event_type: e_.event_type = std::move(value); break;
        case member::timestamp: timestamp_ = std::move(value); break;
        case member::aggregate_type: e_.aggregate_type = std::move(value); break;
        case member::aggregate_id: e_.aggregate_id = std::move(value); break;
        case member::source: e_.metadata.source = std::move(value); break;
        case member::version: e_.metadata.version = std::move(value); break;
        case member::correlation_id: e_.metadata.correlation_id = std::move(value); break;
        case member::causation_id: e_.metadata.causation_id = std::move(value); break;
        default: return take_member(pending_ == member::unknown);
        }
        return take_member(true);
    }
    bool binary(json::binary_t&) { return false; }  // not in JSON text

    bool start_object(std::size_t) {
        if (building()) return open(json::object());
        if (++depth_ > max_depth_) return false;
        if (skipping() || depth_ == 1) return true;
        if (depth_ == 2 && pending_ == member::data) {
            // The tree starts at e_.data, so nothing is copied into it afterwards.
            e_.data = json::object();
            open_.push_back(&e_.data);
            return take_member(true);
        }
        if (depth_ == 2 && pending_ == member::metadata) return take_member(true);
        return begin_skip();
    }
    bool end_object() {
        if (building()) return close();
        if (skipping()) return end_skip();
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        if (building()) return open(json::array());
        if (++depth_ > max_depth_) return false;
        return skipping() || begin_skip();
    }
    bool end_array() {
        if (building()) return close();
        return skipping() && end_skip();
    }
    bool key(json::string_t& name) {
        if (building()) {
            key_ = std::move(name);
            return true;
        }
        if (skipping()) return true;
        pending_ = depth_ == 1 ? envelope_member(name) : metadata_member(name);
        if (pending_ == member::unknown) return true;
        if ((seen_ & bit(pending_)) != 0) return false;  // twice: the slow way keeps the last
        seen_ |= bit(pending_);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    [[nodiscard]] bool building() const { return !open_.empty(); }
    [[nodiscard]] bool skipping() const { return skip_depth_ != 0; }

    // A scalar outside `data`: fine where it is the expected type or the member is unknown.
    bool scalar(member expected = member::unknown) {
        if (skipping()) return true;
        return take_member(pending_ == member::unknown || pending_ == expected);
    }
    bool take_member(bool accepted) {
        pending_ = member::unknown;
        return accepted && depth_ > 0;
    }

    // An unknown member's object or array: read past it.
    bool begin_skip() {
        if (pending_ != member::unknown) return false;
        skip_depth_ = depth_;
        return true;
    }
    bool end_skip() {
        if (--depth_ < skip_depth_) skip_depth_ = 0;
        return true;
    }

    bool add(json value) {
        auto& container = *open_.back();
        if (container.is_object()) {
            container[key_] = std::move(value);  // a repeated key keeps the last, as nlohmann's parse does
        } else {
            container.push_back(std::move(value));
        }
        return true;
    }
    bool open(json value) {
        // Inside `data`, depth_ counts the envelope's levels down to `data`, and open_ `data` and below.
        if (depth_ + open_.size() > max_depth_) return false;
        auto& container = *open_.back();
        json* added = nullptr;
        if (container.is_object()) {
            added = &(container[key_] = std::move(value));
        } else {
            container.push_back(std::move(value));
            added = &container.back();
        }
        open_.push_back(added);
        return true;
    }
    bool close() {
        open_.pop_back();
        if (open_.empty()) --depth_;  // `data` itself ended
        return true;
    }

    event& e_;
    std::size_t max_depth_;
    std::string timestamp_;
    std::size_t depth_ = 0;       // objects and arrays open around the current token, outside `data`
    std::size_t skip_depth_ = 0;  // the depth at which the skipped value opened; 0: not skipping
    unsigned seen_ = 0;
    member pending_ = member::unknown;  // the member whose value comes next
    std::vector<json*> open_;           // inside `data`: its open objects and arrays, innermost last
    std::string key_;                   // inside `data`: the key of the value that comes next
};

}  // namespace

std::optional<event> read_envelope(std::string_view text, std::size_t max_depth) {
    event e;
    envelope_handler handler(e, max_depth);
    if (!json::sax_parse(text, &handler, json::input_format_t::json, /*strict=*/true) || !handler.complete()) {
        return std::nullopt;
    }
    check_event_id(e.event_id);
    e.timestamp = parse_timestamp(handler.timestamp(), "timestamp");
    return e;
}

}  // namespace domain_events::detail
