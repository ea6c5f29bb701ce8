// When reading a partition back has reached its end. A fetch's end-of-partition is not enough:
// right after a leader change the new leader answers fetches with the high watermark it last
// heard from the old leader, which can lag what was acknowledged (acks=all) until its followers
// fetch again. The end Kafka lists for the partition (ListOffsets) is refused while that lasts
// (OFFSET_NOT_AVAILABLE, KIP-207), so that figure is the end, and an earlier EOF only says when
// to ask for it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace domain_events::testing {

class partition_end {
public:
    /** A record at `offset` was read. */
    void read(std::int64_t offset) noexcept { reached_ = std::max(reached_, offset + 1); }

    /** The consumer reported the end of the partition at `offset` (the fetch's high watermark). */
    void end_of_partition(std::int64_t offset) noexcept {
        seen_end_ = true;
        reached_ = std::max(reached_, offset);
    }

    /** True once an EOF was seen and the listed end is not known yet: time to ask for it. */
    [[nodiscard]] bool wants_listed_end() const noexcept { return seen_end_ && !listed_end_; }

    /** The partition's end as ListOffsets gave it. */
    void listed_end(std::int64_t end) noexcept { listed_end_ = end; }

    /** Every record before the listed end has been read (or skipped as a control record). */
    [[nodiscard]] bool finished() const noexcept { return listed_end_ && reached_ >= *listed_end_; }

    /** The offset reading has reached: one past the last record, or the last EOF's offset. */
    [[nodiscard]] std::int64_t reached() const noexcept { return reached_; }

    [[nodiscard]] std::optional<std::int64_t> listed() const noexcept { return listed_end_; }

private:
    std::int64_t reached_ = 0;
    bool seen_end_ = false;
    std::optional<std::int64_t> listed_end_;
};

}  // namespace domain_events::testing
