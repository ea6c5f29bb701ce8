#include "consume/group_member.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "domain_events/error.hpp"
#include "kafka/kafka_conf.hpp"
#include "kafka/kafka_handles.hpp"
#include "kafka/kafka_properties.hpp"

namespace domain_events::detail {
namespace {

// The rebalance callbacks need the group's protocol, and asking librdkafka for it
// (rd_kafka_rebalance_protocol) from a callback that rd_kafka_consumer_close serves can block
// forever or answer null. The configuration decides it: librdkafka refuses a strategy list that
// mixes protocols, so any strategy named tells it, and the new group protocol (KIP-848) is
// cooperative only.
bool cooperative_by_configuration(const std::map<std::string, std::string>& properties) {
    if (const auto group = properties.find("group.protocol"); group != properties.end() && group->second == "consumer") {
        return true;
    }
    const auto strategy = properties.find("partition.assignment.strategy");
    return strategy != properties.end() && strategy->second.find("cooperative-sticky") != std::string::npos;
}

constexpr std::chrono::milliseconds watermark_interval{500};

// How long closing waits for the group to settle first: the default of Kafka's Java consumer
// for close(). Normally it takes one rebalance; a rebalance other members hold up takes longer.
constexpr std::chrono::milliseconds settle_limit{30'000};

std::vector<topic_partition> partitions_of(const rd_kafka_topic_partition_list_t* partitions) {
    std::vector<topic_partition> list;
    list.reserve(static_cast<std::size_t>(partitions->cnt));
    for (int i = 0; i < partitions->cnt; ++i) list.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    return list;
}

std::string describe(const rd_kafka_topic_partition_list_t* partitions) {
    std::string text;
    for (int i = 0; i < partitions->cnt && i < 20; ++i) {
        if (!text.empty()) text += ", ";
        text += std::string(partitions->elems[i].topic) + "[" + std::to_string(partitions->elems[i].partition) + "]";
    }
    if (partitions->cnt > 20) text += ", ... (" + std::to_string(partitions->cnt) + " in all)";
    return text.empty() ? "none" : text;
}

}  // namespace

std::map<std::string, std::string> group_member_properties(const std::string& bootstrap_servers,
                                                           const std::string& group_id, bool from_beginning,
                                                           const std::map<std::string, std::string>& user) {
    // Offsets are stored by hand once an event's transaction committed, and committed by hand,
    // so Kafka never holds an offset past an event that is not applied or dead-lettered.
    std::map<std::string, std::string> properties = {
        {"bootstrap.servers", bootstrap_servers},
        {"group.id", group_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", from_beginning ? "earliest" : "latest"},
        {"log_level", "4"},
        // The lag per partition comes from librdkafka's statistics (consumer_progress.hpp).
        {"statistics.interval.ms", "1000"},
    };
    const std::string requires_false = "would commit offsets of events not yet applied; the consumer requires false";
    const pinned_property pinned[] = {
        pin_to("enable.auto.commit", "false", requires_false),
        pin_to("enable.auto.offset.store", "false", requires_false),
        pin_to("group.id", group_id, "contradicts group_id '" + group_id + "'; set consumer_options::group_id only"),
    };
    return merge_properties(std::move(properties), user, pinned, "consumer");
}

group_member::group_member(const std::map<std::string, std::string>& properties, spdlog::logger& log_to,
                           group_member_counters& counters)
    : counters_(counters), cooperative_(cooperative_by_configuration(properties)),
      static_member_(properties.contains("group.instance.id") && !properties.at("group.instance.id").empty()),
      client_(this, log_to, "consumer") {
    if (const auto reset = properties.find("auto.offset.reset"); reset != properties.end()) {
        counters_.progress.set_from_beginning(reset->second == "earliest" || reset->second == "smallest" ||
                                              reset->second == "beginning");
    }
    auto conf = make_kafka_conf(properties, "consumer");
    rd_kafka_conf_set_rebalance_cb(conf.get(), &kafka_callback<&group_member::on_rebalance>::call);
    rd_kafka_conf_set_offset_commit_cb(conf.get(), &kafka_callback<&group_member::on_commit>::call);
    rd_kafka_conf_set_error_cb(conf.get(), &kafka_callback<&group_member::on_error>::call);
    rd_kafka_conf_set_stats_cb(conf.get(), &kafka_callback<&group_member::on_statistics>::call);
    client_.open(RD_KAFKA_CONSUMER, std::move(conf), "consumer");
    rd_kafka_poll_set_consumer(client_.get());  // callbacks are served by poll(), on its thread
}

group_member::~group_member() { close(); }

void group_member::subscribe(const std::vector<std::string>& topics) {
    kafka_partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& topic : topics) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (const auto error = rd_kafka_subscribe(client_.get(), list.get()); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw consume_error("consumer: subscribing to " + describe(list.get()) + ": " + kafka_error_text(error), error);
    }
}

kafka_message group_member::poll(std::chrono::milliseconds timeout) {
    if (const auto now = std::chrono::steady_clock::now(); now - watermarks_read_ >= watermark_interval) {
        watermarks_read_ = now;
        read_high_watermarks();
    }
    kafka_message message(rd_kafka_consumer_poll(client_.get(), static_cast<int>(timeout.count())));
    if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) counters_.progress.received();
    return message;
}

void group_member::read_high_watermarks() {
    std::map<topic_partition, std::int64_t> highs;
    for (auto& tp : counters_.progress.assignment()) {
        std::int64_t low = RD_KAFKA_OFFSET_INVALID;
        std::int64_t high = RD_KAFKA_OFFSET_INVALID;
        // The fetcher's cached value: no request is sent.
        if (rd_kafka_get_watermark_offsets(client_.get(), tp.topic.c_str(), tp.partition, &low, &high) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= 0) {
            highs.emplace(std::move(tp), high);
        }
    }
    counters_.progress.high_watermarks(highs);
}

std::optional<std::pair<std::int64_t, std::int64_t>> group_member::query_watermarks(
    const topic_partition& tp, std::chrono::milliseconds timeout) const {
    std::int64_t low = RD_KAFKA_OFFSET_INVALID;
    std::int64_t high = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_query_watermark_offsets(client_.get(), tp.topic.c_str(), tp.partition, &low, &high,
                                         static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
        return std::nullopt;
    }
    return std::pair{low, high};
}

std::optional<std::vector<std::string>> group_member::cluster_topics(std::chrono::milliseconds timeout) const {
    const rd_kafka_metadata_t* raw = nullptr;
    const auto error = rd_kafka_metadata(client_.get(), 1 /* all topics */, nullptr, &raw, static_cast<int>(timeout.count()));
    const kafka_metadata metadata(raw);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
    std::vector<std::string> names;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        if (metadata->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) names.emplace_back(metadata->topics[i].topic);
    }
    return names;
}

bool group_member::store_offsets(const offset_batch& offsets) {
    if (offsets.empty()) return false;
    kafka_partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.entries().size())));
    for (const auto& e : offsets.entries()) {
        rd_kafka_topic_partition_list_add(list.get(), e.topic.c_str(), e.partition)->offset = e.next_offset;
    }
    const auto error = rd_kafka_offsets_store(client_.get(), list.get());
    bool stored = false;
    for (int i = 0; i < list->cnt; ++i) {
        const auto& p = list->elems[i];
        counters_.progress.dealt_with({p.topic, p.partition}, p.offset);  // whether or not still ours
        if (error == RD_KAFKA_RESP_ERR_NO_ERROR && p.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            stored = true;
            continue;
        }
        client_.log().debug("consumer: offset {} of {}[{}] not stored ({}): the partition was revoked", p.offset - 1,
                      p.topic, p.partition, kafka_error_text(p.err != RD_KAFKA_RESP_ERR_NO_ERROR ? p.err : error));
    }
    return stored;
}

void group_member::commit_async() { rd_kafka_commit(client_.get(), nullptr, 1); }

bool group_member::commit_sync() {
    const auto error = rd_kafka_commit(client_.get(), nullptr, 0);
    // The callback also sees this commit's result, and counts or logs it there.
    return error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET;
}

void group_member::close() noexcept {
    if (closed_ || !client_) return;
    closed_ = true;
    commit_sync();
    settle_before_closing();
    // A dynamic member has left the group by now; a static one's assignment is revoked here
    // (the callback commits again), while the group keeps its place until the session times out.
    if (const auto error = rd_kafka_consumer_close(client_.get()); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        client_.log().warn("consumer: closing: {}", kafka_error_text(error));
    }
    counters_.progress.unassigned();
}

// A rebalance that rd_kafka_consumer_close serves is unsafe in librdkafka 2.0 (Debian 12): the
// group may finish terminating without waiting for the callback's call, which then waits forever
// for an answer that was purged, or trips librdkafka's assertion that no assignment is in
// progress (both seen in the hermetic test); and an assignment that arrives while closing leaves
// the group waiting for an assign call for good (librdkafka#4527, fixed in 2.4). So a dynamic
// member leaves the group first, serving that rebalance through poll like any other, and
// closing has nothing left to serve. A static member (group.instance.id) keeps its membership
// across a restart (KIP-345), so it only serves what is queued.
void group_member::settle_before_closing() noexcept {
    if (!static_member_) {
        if (const auto error = rd_kafka_unsubscribe(client_.get()); error != RD_KAFKA_RESP_ERR_NO_ERROR) {
            client_.log().warn("consumer: leaving the group before closing: {}", kafka_error_text(error));
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + settle_limit;
    while (std::chrono::steady_clock::now() < deadline) {
        // Serves the rebalance callbacks. A message read here is dropped: its offset is never
        // stored, so the partition's next owner reads it.
        if (const kafka_message dropped(rd_kafka_consumer_poll(client_.get(), 100)); dropped) continue;
        if (queued_events() == 0 && (static_member_ || has_left_group())) return;
    }
    client_.log().warn("consumer: the group did not settle within {} s; closing anyway",
                       std::chrono::duration_cast<std::chrono::seconds>(settle_limit).count());
}

bool group_member::has_left_group() const {
    char* member_id = rd_kafka_memberid(client_.get());
    const bool left = member_id == nullptr || *member_id == '\0';
    if (member_id != nullptr) rd_kafka_mem_free(client_.get(), member_id);
    return left && counters_.progress.assignment().empty();
}

std::size_t group_member::queued_events() const {
    const kafka_queue queue(rd_kafka_queue_get_consumer(client_.get()));
    return queue ? rd_kafka_queue_length(queue.get()) : 0;
}

void group_member::assign(rd_kafka_topic_partition_list_t* partitions) {
    client_.log().info("consumer: assigned {}; resuming from the committed offsets", describe(partitions));
    counters_.progress.assigned(partitions_of(partitions));
    // Offsets left INVALID: each partition resumes from its committed offset (else auto.offset.reset).
    rd_kafka_error_t* error = nullptr;
    if (cooperative_) {
        error = rd_kafka_incremental_assign(client_.get(), partitions);
    } else if (const auto code = rd_kafka_assign(client_.get(), partitions); code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        client_.log().error("consumer: assigning {}: {}", describe(partitions), kafka_error_text(code));
    }
    if (error != nullptr) {
        client_.log().error("consumer: assigning {}: {}", describe(partitions), rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
}

void group_member::revoke(rd_kafka_topic_partition_list_t* partitions) {
    // This runs inside poll(), between events: the owner commits its open batch and stores its
    // offsets first, then the stored offsets are committed synchronously, so the next owner
    // starts right after the last applied event.
    const auto revoked = partitions_of(partitions);
    if (before_revoke_) before_revoke_(revoked);
    counters_.progress.revoked(revoked);
    if (rd_kafka_assignment_lost(client_.get())) {
        client_.log().warn("consumer: assignment lost ({}); its stored offsets cannot be committed, the next owner finds "
                     "those events recorded",
                     describe(partitions));
    } else {
        client_.log().info("consumer: revoked {}; committing", describe(partitions));
        commit_sync();
    }
    if (cooperative_) {
        if (auto* error = rd_kafka_incremental_unassign(client_.get(), partitions); error != nullptr) {
            client_.log().error("consumer: unassigning {}: {}", describe(partitions), rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else {
        rd_kafka_assign(client_.get(), nullptr);
    }
}

void group_member::on_rebalance(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions) {
    ++counters_.rebalances;
    if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(partitions);
    } else if (error == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        revoke(partitions);
    } else {
        client_.log().error("consumer: rebalance failed: {}; dropping the assignment", kafka_error_text(error));
        counters_.progress.error("rebalance failed: " + kafka_error_text(error));
        counters_.progress.unassigned();
        rd_kafka_assign(client_.get(), nullptr);
    }
}

void group_member::on_commit(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* offsets) {
    if (error == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing new was stored
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Not fatal: the offsets stay stored and go with the next commit; meanwhile a restart
        // reads some events again and finds them recorded.
        client_.log().warn("consumer: committing offsets of {}: {}", describe(offsets), kafka_error_text(error));
        counters_.progress.error("committing offsets: " + kafka_error_text(error));
        return;
    }
    ++counters_.commits;
}

void group_member::on_error(int error, const char* reason) {
    client_.report_error(error, reason);
    counters_.progress.error(kafka_error_text(static_cast<rd_kafka_resp_err_t>(error)) + ": " + reason);
}

int group_member::on_statistics(char* json, std::size_t json_length) {
    counters_.progress.statistics(std::string_view(json, json_length));
    return 0;  // librdkafka frees the document
}

}  // namespace domain_events::detail
