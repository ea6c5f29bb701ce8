#pragma once
// What the relay sends for one outbox row, in the configured envelope format: key, value and
// headers. Validation counts the same record, so that one size limit holds whatever the
// format (kafka_record.hpp). Internal.
#include <forward_list>
#include <string>
#include <string_view>

#include "domain_events/publish/envelope_format.hpp"
#include "domain_events/publish/kafka_record.hpp"
#include "domain_events/storage/outbox.hpp"

namespace domain_events::detail {

/** @brief A record to produce: views into the row and into the writer, valid until its next `write`. */
struct kafka_record {
    std::string_view key;
    std::string_view value;
    event_headers headers;
};

class record_writer {
public:
    explicit record_writer(envelope_format format) noexcept : format_(format) {}

    /**
     * @brief The record of `row`. Native: the stored envelope as it is, headers from the row's
     *        columns, nothing parsed. A CloudEvents format reads the envelope's members from
     *        its text (envelope_text.hpp) and copies `data` as text.
     * @throws validation_error on `payload` when a CloudEvents format meets a payload that is
     *         not an envelope (none that `publisher` wrote).
     */
    const kafka_record& write(const outbox_message& row);

    [[nodiscard]] envelope_format format() const noexcept { return format_; }

private:
    envelope_format format_;
    kafka_record record_;
    std::forward_list<std::string> decoded_;  // envelope strings that held escapes
    std::string structured_;
};

/** @brief `e` as the outbox row it becomes, its envelope being `serialized` (views into both). */
[[nodiscard]] outbox_message row_of(const event& e, std::string_view serialized) noexcept;

}  // namespace domain_events::detail
