#pragma once
// Writing accepted events: through a group commit (concurrent requests share one SQLite
// transaction, each answered after its COMMIT), into the outbox by the publisher, with each
// client-chosen event_id remembered in the same transaction so that a retry is recognised.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <domain_events/config.hpp>
#include <domain_events/storage/group_commit.hpp>
#include <domain_events/publish/publisher.hpp>
#include <domain_events/relay/relay.hpp>

#include "event_intake.hpp"

namespace domain_events::gateway {

/** @brief What became of one event handed to `event_writer::write`. */
enum class write_outcome {
    accepted,   ///< committed to the outbox now
    duplicate,  ///< its event_id was accepted before with the same content: nothing written
    conflict,   ///< its event_id was accepted before with other content: nothing written
};

/** @brief What one `write_later` came to. */
struct write_result {
    std::vector<incoming_event> events;   ///< as written: event ids and versions filled in
    std::vector<write_outcome> outcomes;  ///< one per event, in order (when nothing failed)
    std::exception_ptr failure;           ///< set: nothing of the call was kept (a storage_error, mostly)
};

/**
 * @brief The gateway's write path. `write_later` is thread-safe and never waits: the events of
 *        one call commit together (or not at all) in a shared transaction, and its completion
 *        is called after their COMMIT, so that an HTTP loop can serve other clients meanwhile.
 */
class event_writer {
public:
    /**
     * @brief Opens `settings.database_path`, installs the outbox and the gateway's event-id table.
     *        The destructor writes and tells every call still queued before it returns.
     * @throws config_error, storage_error.
     */
    event_writer(const config& settings, std::size_t max_batch);
    ~event_writer();

    event_writer(const event_writer&) = delete;
    event_writer& operator=(const event_writer&) = delete;

    using write_done = std::function<void(write_result&& written)>;

    /**
     * @brief Queues `events` for one savepoint of a shared transaction; `done` gets one outcome
     *        per event once that transaction has committed (a repeated event_id within the call
     *        is a duplicate or conflict of its first occurrence), or the failure that kept none.
     *        `done` runs on the thread leading the transaction: keep it to building the answer.
     */
    void write_later(std::vector<incoming_event> events, write_done done);

    /** @brief Forgets event ids accepted before `cutoff`, at most `max_rows`. @return how many. */
    std::size_t forget_event_ids_before(std::chrono::system_clock::time_point cutoff, std::size_t max_rows);

    /** @brief The publisher (the relay wakes on its commits). */
    [[nodiscard]] publisher& events() noexcept;
    [[nodiscard]] group_commit_counters counters() const;

private:
    struct state;
    std::unique_ptr<state> state_;
};

}  // namespace domain_events::gateway
