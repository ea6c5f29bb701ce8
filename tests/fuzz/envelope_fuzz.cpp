// Fuzz target: arbitrary bytes as an event envelope, the way a consumer or
// `domain-events validate` receives them. Whatever the input, reading and validating either
// succeed or throw one of the library's own errors; what the tree-less reader accepts or refuses,
// a parsed tree gives the same event or error for; an envelope that reads and validates
// serializes to text that reads back to the same event. Anything else (another exception, a
// crash, a sanitizer report, a disagreement, a round trip that changes the event) is a finding.
#include <domain_events/error.hpp>
#include <domain_events/event.hpp>
#include <domain_events/publish/validation.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "publish/envelope_reader.hpp"

namespace de = domain_events;

namespace {

// The reader's answer must be the tree's: the same event, or the same refusal.
void check_the_reader_agrees_with_the_tree(std::string_view text) {
    std::string read, tree;
    try {
        const auto e = de::detail::read_envelope(text);
        if (!e) return;  // declined: parse_event reads it through the tree
        read = de::serialize(*e);
    } catch (const de::validation_error& e) {
        read = e.what();
    }
    try {
        tree = de::serialize(de::event_from_json(nlohmann::json::parse(text)));
    } catch (const de::validation_error& e) {
        tree = e.what();
    }  // a parse error here, after the reader parsed the same text, escapes: a finding
    if (read != tree) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_the_reader_agrees_with_the_tree(text);
    de::event e;
    try {
        e = de::parse_event(text);
    } catch (const de::validation_error&) {
        return 0;  // refused with a message naming the field: the expected outcome for junk
    }
    de::validation_rules rules;
    rules.on_sensitive = de::sensitive_field_policy::redact;
    try {
        (void)de::validate_event(e, rules);
    } catch (const de::validation_error&) {
        return 0;
    }
    // Validated (and redacted): the text we would publish must read back as this very event.
    if (de::parse_event(de::serialize(e)) != e) std::abort();
    return 0;
}
