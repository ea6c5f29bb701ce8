#include "delivery_verifier.hpp"

#include <librdkafka/rdkafka.h>

#include <domain_events/database.hpp>
#include <domain_events/detail/handles.hpp>
#include <domain_events/error.hpp>
#include <domain_events/topic_routing.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace domain_events::testing {
namespace {

void note(verification& v, std::string problem) {
    if (v.problems.size() < 10) v.problems.push_back(std::move(problem));
}

std::string header(const rd_kafka_message_t* m, const char* name) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    const void* value = nullptr;
    size_t size = 0;
    if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    return {static_cast<const char*>(value), size};
}

}  // namespace

std::vector<committed_event> committed_events(const std::string& db_path, const config& settings) {
    database db(database_options{.path = db_path, .read_only = true});
    std::vector<committed_event> events;
    const auto read = [&](const char* sql, bool dead) {
        auto& q = db.prepare(sql);
        while (q.step()) {
            events.push_back({q.column_int64(0), q.column_text(1), q.column_text(2),
                              topic_for(settings.topic_prefix, settings.routing, q.column_text(3), q.column_text(4)), dead});
        }
        q.reset();
    };
    read("SELECT position, event_id, aggregate_id, event_type, aggregate_type FROM domain_events_outbox", false);
    read("SELECT original_position, event_id, aggregate_id, event_type, aggregate_type FROM domain_events_dead_letters",
         true);
    std::ranges::sort(events, {}, &committed_event::position);
    return events;
}

std::vector<delivered_message> read_all(const std::string& bootstrap_servers, const std::vector<std::string>& topics,
                                        std::chrono::milliseconds timeout) {
    char reason[512];
    detail::kafka_conf conf(rd_kafka_conf_new());
    for (const auto& [name, value] : std::map<std::string, std::string>{{"bootstrap.servers", bootstrap_servers},
                                                                        {"group.id", "delivery-verifier"},
                                                                        {"enable.partition.eof", "true"},
                                                                        {"enable.auto.commit", "false"},
                                                                        {"log_level", "3"}}) {
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
            throw std::runtime_error("read_all: " + name + ": " + reason);
        }
    }
    detail::kafka_handle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), reason, sizeof reason));
    if (!consumer) throw std::runtime_error(std::string("read_all: rd_kafka_new: ") + reason);
    conf.release();

    // Assign every partition of every topic from the beginning: no group, no rebalance.
    detail::kafka_partition_list assignment(rd_kafka_topic_partition_list_new(16));
    std::set<std::pair<std::string, std::int32_t>> unfinished;
    for (const auto& topic : topics) {
        const rd_kafka_metadata_t* metadata = nullptr;
        rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer.get(), topic.c_str(), nullptr);
        const auto err = rd_kafka_metadata(consumer.get(), 0, handle, &metadata, static_cast<int>(timeout.count()));
        rd_kafka_topic_destroy(handle);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 || metadata->topics[0].err) {
            if (metadata) rd_kafka_metadata_destroy(metadata);
            throw std::runtime_error("read_all: no metadata for topic " + topic);
        }
        for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
            const auto id = metadata->topics[0].partitions[p].id;
            rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), id)->offset = RD_KAFKA_OFFSET_BEGINNING;
            unfinished.emplace(topic, id);
        }
        rd_kafka_metadata_destroy(metadata);
    }
    if (rd_kafka_assign(consumer.get(), assignment.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("read_all: assign failed");
    }
    std::vector<delivered_message> messages;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!unfinished.empty()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            std::ostringstream left;
            for (const auto& [t, p] : unfinished) left << ' ' << t << '[' << p << ']';
            throw std::runtime_error("read_all: not at the end of" + left.str() + " after " +
                                     std::to_string(timeout.count()) + " ms");
        }
        detail::kafka_message m(rd_kafka_consumer_poll(consumer.get(), 100));
        if (!m) continue;
        const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            unfinished.erase({topic, m->partition});
            continue;
        }
        if (m->err) throw std::runtime_error("read_all: " + topic + ": " + rd_kafka_message_errstr(m.get()));
        messages.push_back({topic, m->partition, m->offset,
                            std::string(static_cast<const char*>(m->key), m->key_len), header(m.get(), "event_id")});
    }
    rd_kafka_consumer_close(consumer.get());
    return messages;
}

verification verify(const std::vector<committed_event>& committed, const std::vector<delivered_message>& delivered) {
    verification v;
    std::unordered_map<std::string, const committed_event*> by_id;
    for (const auto& e : committed) {
        by_id.emplace(e.event_id, &e);
        if (!e.dead) ++v.committed;
    }
    // Kafka orders within a partition only: walk each partition in offset order.
    auto ordered = delivered;
    std::ranges::sort(ordered, [](const auto& a, const auto& b) {
        return std::tie(a.topic, a.partition, a.offset) < std::tie(b.topic, b.partition, b.offset);
    });
    std::set<std::string> seen;
    std::map<std::pair<std::string, std::string>, std::int64_t> last_position;    // (topic, key) -> position
    std::map<std::pair<std::string, std::string>, std::int32_t> key_partition;    // (topic, key) -> partition
    for (const auto& m : ordered) {
        const auto found = by_id.find(m.event_id);
        if (found == by_id.end() || found->second->dead || found->second->topic != m.topic ||
            found->second->aggregate_id != m.key) {
            ++v.unexpected;
            note(v, "unexpected message " + m.event_id + " in " + m.topic + "[" + std::to_string(m.partition) + "]@" +
                        std::to_string(m.offset) + " key " + m.key);
            continue;
        }
        const auto& e = *found->second;
        const auto key = std::make_pair(m.topic, m.key);
        const auto [where, first_seen_key] = key_partition.emplace(key, m.partition);
        if (!first_seen_key && where->second != m.partition) {
            ++v.reorders;
            note(v, "key " + m.key + " of " + m.topic + " in partitions " + std::to_string(where->second) + " and " +
                        std::to_string(m.partition));
        }
        if (!seen.insert(e.event_id).second) {
            ++v.duplicates;
            continue;
        }
        auto& last = last_position[key];
        if (e.position < last) {
            ++v.reorders;
            note(v, "key " + m.key + " of " + m.topic + ": position " + std::to_string(e.position) + " after " +
                        std::to_string(last));
        }
        last = std::max(last, e.position);
    }
    for (const auto& e : committed) {
        if (e.dead) continue;
        if (seen.contains(e.event_id)) {
            ++v.delivered;
        } else {
            ++v.lost;
            note(v, "lost position " + std::to_string(e.position) + " (" + e.event_id + ")");
        }
    }
    return v;
}

std::string describe(const verification& v) {
    std::ostringstream out;
    out << "committed " << v.committed << ", delivered " << v.delivered << ", lost " << v.lost << ", duplicates "
        << v.duplicates << ", reorders " << v.reorders << ", unexpected " << v.unexpected;
    for (const auto& p : v.problems) out << "\n  " << p;
    return out.str();
}

}  // namespace domain_events::testing
