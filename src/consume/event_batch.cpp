#include "consume/event_batch.hpp"

#include <exception>
#include <utility>

#include "domain_events/storage/outbox.hpp"
#include "domain_events/publish/publish_scope.hpp"
#include "consume/error_text.hpp"
#include "consume/handler_context.hpp"
#include "consume/storage_faults.hpp"

namespace domain_events::detail {

bool event_batch::try_begin() {
    touch();
    try {
        tx_.emplace(db_);
        return true;
    } catch (const storage_error& e) {
        if (!is_busy(e)) throw;
        return false;
    }
}

std::optional<std::string> event_batch::attempt(const message_position& at, const event& e,
                                                const event_handler& handler, std::uint32_t deaths, bool& duplicate) {
    std::optional<transaction> event_scope;
    if (careful_) event_scope.emplace(db_);  // SAVEPOINT
    if (!store_.record(e.event_id, now_ms().time_since_epoch().count())) {
        duplicate = true;  // recorded earlier, or earlier in this very batch
        if (event_scope) event_scope->commit();  // nothing was written in it
        return std::nullopt;
    }
    const auto started = clock::now();
    try {
        // A death while the handler runs is charged to the message; returning or throwing is surviving it.
        const auto charged = journal_.applying(at.topic, at.partition, at.offset, deaths);
        const publish_scope continued(handler_context(e));  // what it publishes follows from e
        handler(e, db_);
    } catch (const storage_error& failure) {
        // A full disk or a read-only file fails every event alike: the consumer's failure
        // (it backs off and tries again), not this event's (which would be dead-lettered).
        if (is_the_databases_fault(failure)) throw;
        return cut_text(failure.what());
    } catch (const std::exception& failure) {
        // event_scope, if any, rolls back: record and effects. Cut: the text is the handler's
        // (it may quote the event), and goes to a log line per attempt and to the status.
        return cut_text(failure.what());
    } catch (...) {
        return std::string("the handler threw something that is not a std::exception");
    }
    if (event_scope) event_scope->commit();  // RELEASE: kept in the batch, committed with it
    handler_latency_.record(std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started));
    return std::nullopt;
}

void event_batch::add(batch_item item) {
    touch();
    if (item.handler != nullptr) ++(item.applied ? applied_ : duplicates_);
    offsets_.add(item.at);
    items_.push_back(std::move(item));
}

std::vector<batch_item> event_batch::roll_back_for_savepoints() {
    auto earlier = std::exchange(items_, {});
    clear();
    careful_ = true;
    return earlier;
}

bool event_batch::commit() {
    if (tx_ && applied_ > 0) {
        tx_->commit();
        return true;
    }
    tx_.reset();
    return false;
}

void event_batch::clear() noexcept {
    tx_.reset();
    items_.clear();
    offsets_.clear();
    applied_ = duplicates_ = 0;
}

}  // namespace domain_events::detail
