#pragma once
// What becomes of each checked message: bad input, an event in a topic its type does not route
// to, sensitive data from a foreign producer, or a message the process died on `crash_limit`
// times goes to the dead-letter topic at once; an event without a handler is skipped; the rest
// is applied in the batch. Internal.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain_events/config.hpp"
#include "domain_events/consume/consumer.hpp"
#include "domain_events/consume/consumer_options.hpp"
#include "domain_events/consume/subscription.hpp"
#include "publish/sensitive_scan.hpp"
#include "consume/batch_applier.hpp"
#include "consume/consumer_tally.hpp"
#include "consume/crash_journal.hpp"
#include "consume/message_check.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief The handlers given to `consumer::on` and `consumer::otherwise`. */
struct handler_table {
    std::unordered_map<std::string, event_handler> by_type;
    event_handler fallback;

    /** @brief The handler of `event_type`, else the fallback; null when neither. */
    [[nodiscard]] const event_handler* find(const std::string& event_type) const {
        if (const auto found = by_type.find(event_type); found != by_type.end()) return &found->second;
        return fallback ? &fallback : nullptr;
    }
};

class message_dispatch {
public:
    /** @brief What the dispatch borrows from its consumer; each must outlive it. */
    struct context {
        const config& settings;
        const consumer_options& options;
        spdlog::logger& log;
        const subscription& topics;
        const handler_table& handlers;
        const sensitive_scan& sensitive;
        crash_journal& journal;
        consumer_tally& tally;
        batch_applier& applier;
    };

    explicit message_dispatch(const context& borrowed) : c_(borrowed) {}

    /** @brief Deals with one message: applied, duplicate or skipped join the open batch. */
    batch_applier::outcome process(kafka_message m, checked_message checked);

private:
    std::optional<std::string> topic_mismatch(std::string_view topic, const event& e) const;

    context c_;
};

}  // namespace domain_events::detail
