#include "consume/record_sweep.hpp"

#include <spdlog/spdlog.h>

#include "domain_events/storage/outbox.hpp"
#include "consume/storage_faults.hpp"

namespace domain_events::detail {

void record_sweep::run(std::uint64_t applied) {
    applied_at_last_ = applied;
    last_ = clock::now();
    const auto cutoff = now_ms() - retention_;
    try {
        pruned_unlogged_ += store_.sweep(cutoff.time_since_epoch().count(), slice).deleted;
        if (pruned_unlogged_ > 0 && last_ - pruned_logged_ >= interval) {
            log_.info("consumer {}: pruned {} idempotency records", group_id_, pruned_unlogged_);
            pruned_unlogged_ = 0;
            pruned_logged_ = last_;
        }
    } catch (const storage_error& e) {
        if (!is_busy(e)) throw;
        log_.warn("consumer {}: pruning idempotency records put off to the next slice: {}", group_id_, e.what());
    }
}

}  // namespace domain_events::detail
