#pragma once
/** @file
 * Django's model signals (`pre_save`, `post_save`, `pre_delete`, `post_delete`) for models the
 * library does not know: repositories describe each write as a `model_change`.
 */
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain_events/publish/signal.hpp"

namespace domain_events {

class database;  // defined in database.hpp

/** @brief What a repository reports about one row being written or deleted. */
struct model_change {
    // Every member has an initializer so `model_change{.model = ..., .data = ...}` stays clean
    // under -Wextra (GCC's -Wmissing-field-initializers flags designated inits otherwise).
    std::string model{};                      ///< aggregate type and signal sender, e.g. "patient"
    std::string id{};                         ///< aggregate id as text, e.g. "123"
    /// Row version after the write (the event's aggregate_version); 0: the publisher gives the
    /// aggregate's next version (its last published + 1), for models that keep none.
    std::int64_t version = 0;
    nlohmann::json data = nlohmann::json::object();  ///< the row as an event may show it (no sensitive fields)
    bool created = false;                     ///< post_save: true when the row was inserted
    std::vector<std::string> changed_fields{};  ///< post_save on update: the fields whose values changed
    std::optional<std::string> correlation_id = std::nullopt;
    std::optional<std::string> causation_id = std::nullopt;
};

/**
 * @brief The four model signals. No global instance: an application creates one and passes it to
 *        its repositories and its publisher. Receivers get the connection the write runs on, so
 *        whatever they write joins the same transaction. Each is sent with the model name as
 *        sender: connect with `connect_options{.sender = "patient"}` to hear one model only.
 *        Threads: each signal is thread-safe (`signal.hpp`); receivers run on the thread of the
 *        write that sends it, so one `model_signals` serves writers on several threads, each
 *        with its own `database`.
 */
struct model_signals {
    /** Sent before a row is inserted or updated. */
    signal<database&, const model_change&> pre_save;
    /** Sent after a row was inserted or updated; `created` and `changed_fields` say which. */
    signal<database&, const model_change&> post_save;
    /** Sent before a row is deleted. */
    signal<database&, const model_change&> pre_delete;
    /** Sent after a row was deleted. */
    signal<database&, const model_change&> post_delete;
};

}  // namespace domain_events
