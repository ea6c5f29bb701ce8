#pragma once
// Which produced events are acknowledged, in commit order, so the relay can mark a whole
// acknowledged prefix published at once (the outbox's watermark) and hold acknowledgements that
// arrive out of order until the gap before them fills. Internal; unit-tested on its own.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "domain_events/storage/outbox.hpp"

namespace domain_events::detail {

class ack_window {
public:
    /** @brief Records an event sent to Kafka; positions rise by commit order within one pass. */
    void produced(std::int64_t position, time_point_ms created_at) { entries_.push_back({position, created_at, false}); }

    /**
     * @brief For each row read again after a rewind: true (and counted as acknowledged, in its
     *        place) when Kafka already acknowledged it, so it is not sent twice.
     */
    bool already_acknowledged(std::int64_t position) {
        // Held positions below this row belong to rows that are gone: forget them.
        while (!held_.empty() && held_.front() < position) held_.pop_front();
        if (held_.empty() || held_.front() != position) return false;
        held_.pop_front();
        entries_.push_back({position, {}, true});
        return true;
    }

    /**
     * @brief Records a successful delivery report. @return the event's commit time the first
     *        time it is acknowledged; empty for a position not waiting (e.g. sent before a rewind).
     */
    std::optional<time_point_ms> acknowledge(std::int64_t position) {
        const auto at = std::ranges::lower_bound(entries_, position, {}, &entry::position);
        if (at == entries_.end() || at->position != position || at->acknowledged) return std::nullopt;
        at->acknowledged = true;
        return at->created_at;
    }

    /**
     * @brief Takes the acknowledged events at the front, appending their positions to `out`.
     * @return the last position taken: every row up to it is acknowledged; 0 when none was.
     */
    std::int64_t take_acknowledged_prefix(std::vector<std::int64_t>& out) {
        std::int64_t through = 0;
        while (!entries_.empty() && entries_.front().acknowledged) {
            through = entries_.front().position;
            out.push_back(through);
            entries_.pop_front();
        }
        return through;
    }

    /**
     * @brief After a failure: forgets what was not acknowledged (it will be read and sent again)
     *        and holds what was, to be recognised by `already_acknowledged` on the next pass.
     */
    void rewind() {
        std::vector<std::int64_t> keep;
        for (const auto& e : entries_) {
            if (e.acknowledged) keep.push_back(e.position);
        }
        entries_.clear();
        // Held positions from an earlier pass that were not read again yet stay, in order.
        std::vector<std::int64_t> merged;
        std::ranges::merge(held_, keep, std::back_inserter(merged));
        held_.assign(merged.begin(), merged.end());
    }

    /** @brief Forgets everything (the lease was lost: another relay owns the outbox now). */
    void clear() {
        entries_.clear();
        held_.clear();
    }

    /** @brief Events sent or recognised but not yet taken as a prefix (the read-ahead). */
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] std::size_t held() const noexcept { return held_.size(); }

private:
    struct entry {
        std::int64_t position;
        time_point_ms created_at;
        bool acknowledged;
    };
    std::deque<entry> entries_;
    std::deque<std::int64_t> held_;
};

}  // namespace domain_events::detail
