#pragma once
// Where a message was read, and the offsets a batch stores once its transaction committed: one
// entry per partition, the next offset to read. Internal; no librdkafka, so the batch is
// unit-tested without it.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace domain_events::detail {

/** @brief A message's topic, partition and offset; `topic` borrows from the message (its `rkt`). */
struct message_position {
    std::string_view topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
};

class offset_batch {
public:
    struct entry {
        std::string topic;
        std::int32_t partition;
        std::int64_t next_offset;
    };

    /** @brief Marks the message at `at` finished (messages of one partition come in offset order). */
    void add(const message_position& at) {
        for (auto& e : entries_) {
            if (e.partition == at.partition && e.topic == at.topic) {
                e.next_offset = std::max(e.next_offset, at.offset + 1);
                return;
            }
        }
        entries_.push_back({std::string(at.topic), at.partition, at.offset + 1});
    }

    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    void clear() noexcept { entries_.clear(); }
    /** @brief One entry per partition, in the order each was first added. */
    [[nodiscard]] std::span<const entry> entries() const noexcept { return entries_; }

private:
    std::vector<entry> entries_;  // a handful of partitions: a linear search beats a map
};

}  // namespace domain_events::detail
