#include "consume/batch_applier.hpp"

#include <spdlog/spdlog.h>

#include <optional>
#include <utility>

#include "kafka/backoff.hpp"

namespace domain_events::detail {

// SQLite's lock is not fair: a replica whose batches follow each other can take it again before
// a waiting one looks, for as long as its backlog lasts. So a wait that outlasts lock_wait is
// logged and waited again, never thrown: a locked database delays this consumer, it does not stop
// it. False when stop() came meanwhile.
bool batch_applier::begin_batch() {
    for (auto waited = std::chrono::milliseconds{0};; waited += c_.options.lock_wait) {
        if (batch_.try_begin()) return true;
        const auto why = "SQLite's write lock on '" + c_.options.database_path + "' held by another writer for " +
                         std::to_string((waited + c_.options.lock_wait).count()) + " ms";
        c_.log.warn("consumer {}: {}; still waiting", c_.options.group_id, why);
        c_.progress.error(why);
        if (c_.stop.requested()) return false;
    }
}

void batch_applier::skip(kafka_message m, const message_position& at) {
    batch_.add(batch_item{std::move(m), at, std::nullopt, nullptr, false});
}

// A handler threw with no savepoint around it: its partial writes are in the batch's
// transaction. Roll the whole batch back and apply its events again, each in a savepoint now, so
// the failure that follows undoes only the failing event. Their handlers run a second time; only
// what they wrote through `db` counts, and that was rolled back.
batch_applier::outcome batch_applier::apply_again_carefully() {
    for (auto& item : batch_.roll_back_for_savepoints()) {
        if (item.handler == nullptr) {
            batch_.add(std::move(item));
            continue;
        }
        // It ran in this process without killing it: no deaths are charged to it.
        if (apply(std::move(item.message), item.at, std::move(*item.parsed), *item.handler, 0) == outcome::abandoned) {
            return outcome::abandoned;  // the rest was not stored: read again after a restart
        }
    }
    return outcome::done;
}

batch_applier::outcome batch_applier::apply(kafka_message m, const message_position& at, event&& e,
                                            const event_handler& handler, std::uint32_t deaths) {
    const auto& o = c_.options;
    std::optional<backoff> retry_backoff;  // made on the first failure: it seeds a random device
    for (int attempt_number = 1;; ++attempt_number) {
        if (!batch_.in_transaction() && !begin_batch()) return outcome::abandoned;  // read again after a restart
        bool duplicate = false;
        const bool in_savepoint = batch_.in_savepoints();
        const auto failure = batch_.attempt(at, e, handler, deaths, duplicate);
        if (!failure) {
            if (duplicate) c_.log.debug("consumer {}: event {} already applied; skipped", o.group_id, e.event_id);
            batch_.add(batch_item{std::move(m), at, std::move(e), &handler, !duplicate});
            return outcome::done;
        }
        if (!in_savepoint && apply_again_carefully() == outcome::abandoned) return outcome::abandoned;
        // The earlier events of the batch are kept: commit them (and store their offsets)
        // before pausing or dead-lettering, so the write lock is not held meanwhile.
        finish_batch();
        if (attempt_number >= o.max_handler_attempts) {
            return dead_letter_now(m, at, dead_letter_reason::handler_failed, *failure, attempt_number);
        }
        ++c_.tally.handler_retries;
        c_.progress.error("handler for " + e.event_type + " event " + e.event_id + ": " + *failure);
        if (!retry_backoff) retry_backoff.emplace(o.initial_backoff, o.max_backoff);
        const auto pause = retry_backoff->next();
        c_.log.warn("consumer {}: handler for {} event {} failed (attempt {} of {}), retrying in {} ms: {}", o.group_id,
                    e.event_type, e.event_id, attempt_number, o.max_handler_attempts, pause.count(), *failure);
        if (c_.stop.wait_for(pause)) return outcome::abandoned;  // not stored: read again after a restart
    }
}

batch_applier::outcome batch_applier::dead_letter_now(const kafka_message& m, const message_position& at,
                                                      dead_letter_reason reason, const std::string& error_text,
                                                      int attempts) {
    finish_batch();
    if (!c_.outlet.send_to_dead_letter_topic(m, at, reason, error_text, attempts)) return outcome::abandoned;
    offset_batch dead_lettered;
    dead_lettered.add(at);
    c_.outlet.store_offsets(dead_lettered);
    return outcome::done;
}

void batch_applier::finish_batch() {
    if (!batch_.open()) return;
    try {
        if (batch_.commit()) c_.storage_retries.recovered(clock::now());
        c_.tally.applied += batch_.applied();
        c_.tally.duplicates += batch_.duplicates();
        if (c_.options.after_commit) {
            for (const auto& item : batch_.items()) {
                if (item.applied) c_.options.after_commit(*item.parsed);
            }
        }
        c_.outlet.store_offsets(batch_.offsets());
    } catch (...) {
        drop_after_failure();
        throw;
    }
    batch_.clear();
}

}  // namespace domain_events::detail
