#pragma once
// The sweep of a consumer's idempotency records older than `dedupe_retention`: a slice at a time,
// each in a transaction of its own so writers never wait long. Internal.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "domain_events/consume/idempotency_store.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

class record_sweep {
public:
    using clock = std::chrono::steady_clock;
    /// Records examined per slice.
    static constexpr std::size_t slice = 5'000;
    /// The longest between two slices.
    static constexpr std::chrono::seconds interval{60};

    record_sweep(idempotency_store& store, spdlog::logger& log, std::string group_id, std::chrono::seconds retention)
        : store_(store), log_(log), group_id_(std::move(group_id)), retention_(retention) {}

    /**
     * @brief After every half slice of applied events, so that the sweep examines twice as many
     *        records as are added and passes over the whole table at least once per half of the
     *        time a record is kept; and at least once per `interval`.
     * @param applied events applied so far.
     */
    [[nodiscard]] bool due(std::uint64_t applied, clock::time_point now) const noexcept {
        return applied - applied_at_last_ >= slice / 2 || now - last_ >= interval;
    }

    /**
     * @brief One slice; what it deleted is logged at most once per `interval`. A slice that meets
     *        another writer's lock is put off to the next. @throws storage_error for other failures.
     */
    void run(std::uint64_t applied);

private:
    idempotency_store& store_;
    spdlog::logger& log_;
    std::string group_id_;
    std::chrono::seconds retention_;
    std::uint64_t applied_at_last_ = 0;
    clock::time_point last_{};
    std::uint64_t pruned_unlogged_ = 0;
    clock::time_point pruned_logged_{};
};

}  // namespace domain_events::detail
