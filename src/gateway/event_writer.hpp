#pragma once
// Writing accepted events: through a group commit (concurrent requests share one SQLite
// transaction, each answered after its COMMIT), into the outbox by the publisher, with each
// client-chosen event_id remembered in the same transaction so that a retry is recognised.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
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

/**
 * @brief The gateway's write path. `write` is thread-safe; the events of one call commit together
 *        (or not at all) and it returns only after their COMMIT.
 */
class event_writer {
public:
    /**
     * @brief Opens `settings.database_path`, installs the outbox and the gateway's event-id table.
     * @throws config_error, storage_error.
     */
    event_writer(const config& settings, std::size_t max_batch);
    ~event_writer();

    event_writer(const event_writer&) = delete;
    event_writer& operator=(const event_writer&) = delete;

    /**
     * @brief Writes `events` in one savepoint of a shared transaction and waits for its COMMIT.
     * @return one outcome per event, in order (a repeated event_id within the call is a
     *         duplicate or conflict of its first occurrence).
     * @throws storage_error when the transaction fails (then nothing of this call was kept).
     */
    [[nodiscard]] std::vector<write_outcome> write(std::span<incoming_event> events);

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
