#include "consume/read_ahead.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <utility>

namespace domain_events::detail {
namespace {

bool read_from(const parse_ahead::item& i, const std::vector<topic_partition>& partitions) {
    const topic_partition tp{rd_kafka_topic_name(i.message->rkt), i.message->partition};
    return std::find(partitions.begin(), partitions.end(), tp) != partitions.end();
}

}  // namespace

std::vector<parse_ahead::item> read_ahead::swap(bool& started) {
    auto parsed = parser_.finish();
    if (!revoked_while_parsing_.empty()) {
        std::erase_if(parsed, [this](const auto& i) { return read_from(i, revoked_while_parsing_); });
        revoked_while_parsing_.clear();
    }
    started = !reading_.empty();
    if (started) parser_.start(std::exchange(reading_, {}));
    return parsed;
}

void read_ahead::applied(std::size_t events, clock::duration took) {
    const auto per_event = took / static_cast<clock::rep>(events);
    apply_cost_ = apply_cost_ == clock::duration::zero() ? per_event : (apply_cost_ * 3 + per_event) / 4;
    const auto fits = burst_apply_target / std::max(apply_cost_, clock::duration{1});
    burst_limit_ = static_cast<std::size_t>(std::clamp<clock::rep>(fits, 1, burst_max));
}

void read_ahead::revoked(const std::vector<topic_partition>& revoked) {
    std::erase_if(reading_, [&revoked](const auto& i) { return read_from(i, revoked); });
    if (parser_.busy()) revoked_while_parsing_.insert(revoked_while_parsing_.end(), revoked.begin(), revoked.end());
}

void read_ahead::drop() {
    reading_.clear();
    revoked_while_parsing_.clear();
    static_cast<void>(parser_.finish());
}

}  // namespace domain_events::detail
