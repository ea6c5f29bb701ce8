#pragma once
// Finds fields with sensitive names in a JSON tree and refuses or redacts them per policy: at
// publish time (validation) and in a consumer, for events from producers that do not. Internal.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain_events/error.hpp"
#include "domain_events/publish/validation.hpp"

namespace domain_events::detail {

inline bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
inline bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/** The words of `key` between single underscores: "accessToken" -> "_access_token_". */
[[nodiscard]] std::string word_form(std::string_view key);

/** What a refusal under the `refuse` policy tells, after "is a sensitive field (matches 'x')". */
inline constexpr std::string_view refused_at_publish =
    "and must not be published; leave it out, or set the sensitive field policy to redact";
inline constexpr std::string_view refused_at_consumer =
    "its producer did not keep out; no handler saw it (the sensitive field policy redact passes such "
    "events on with the value replaced)";

// A sensitive name in word form, kept with the name as configured for the error message.
struct sensitive_name {
    std::string_view name;
    std::string form;
};

class sensitive_scan {
public:
    /** `found`: collect every sensitive field there instead of throwing at the first (a dry run). */
    explicit sensitive_scan(const validation_rules& rules, std::vector<validation_error>* found = nullptr,
                            std::string_view refusal = refused_at_publish)
        : policy_(rules.on_sensitive), found_(found), refusal_(refusal) {
        names_.reserve(rules.sensitive_fields.size());
        for (const auto& name : rules.sensitive_fields) {
            if (auto form = word_form(name); form != "_") names_.push_back({name, std::move(form)});
        }
    }

    // Paths are built only for containers and for the error: most members are plain values.
    void visit(nlohmann::json& value, const std::string& path) const {
        if (names_.empty()) return;  // nothing to look for: no key needs its word form
        if (value.is_object()) {
            for (auto& [key, child] : value.items()) visit_member(key, child, path);
        } else if (value.is_array()) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (value[i].is_structured()) visit(value[i], path + "[" + std::to_string(i) + "]");
            }
        }
    }

private:
    void visit_member(const std::string& key, nlohmann::json& child, const std::string& parent_path) const {
        const auto key_form = word_form(key);
        const auto match = std::find_if(names_.begin(), names_.end(), [&](const sensitive_name& sensitive) {
            return key_form.find(sensitive.form) != std::string::npos;
        });
        if (match == names_.end()) {
            if (child.is_structured()) visit(child, parent_path + "." + key);
            return;
        }
        if (policy_ == sensitive_field_policy::refuse) {
            // The value stays out of the message: it is the secret being kept out of Kafka.
            validation_error refused(parent_path + "." + key,
                                     "is a sensitive field (matches '" + std::string(match->name) + "') " +
                                         std::string(refusal_));
            if (found_ == nullptr) throw refused;
            found_->push_back(std::move(refused));
            return;
        }
        child = std::string(redacted_value);
    }

    sensitive_field_policy policy_;
    std::vector<validation_error>* found_;
    std::string_view refusal_;
    std::vector<sensitive_name> names_;
};

}  // namespace domain_events::detail
