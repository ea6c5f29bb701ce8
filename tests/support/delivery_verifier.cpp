#include "delivery_verifier.hpp"

#include <librdkafka/rdkafka.h>

#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include "kafka/kafka_conf.hpp"
#include "partition_end.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace domain_events::testing {
namespace {

using clock = std::chrono::steady_clock;

using topic_handle = detail::kafka_topic;
using metadata_handle = detail::kafka_metadata;

using topic_partition = std::pair<std::string, std::int32_t>;

std::string where(const topic_partition& tp) { return tp.first + "[" + std::to_string(tp.second) + "]"; }

std::string where(const delivered_message& m) {
    return m.topic + "[" + std::to_string(m.partition) + "]@" + std::to_string(m.offset);
}

int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000'000));
}

// Errors that waiting will not cure; anything else (broker down, leader moving) is retried until the deadline.
bool permanent(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
        return true;
    default:
        return false;
    }
}

/** The last `event_id` header, else the envelope's `event_id` member, else empty. */
std::string event_id_of(const rd_kafka_message_t* m) {
    rd_kafka_headers_t* headers = nullptr;  // owned by the message
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const void* value = nullptr;
        std::size_t size = 0;
        if (rd_kafka_header_get_last(headers, "event_id", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR && value) {
            return {static_cast<const char*>(value), size};
        }
    }
    if (m->payload == nullptr || m->len == 0) return {};
    const auto* text = static_cast<const char*>(m->payload);
    const auto envelope = nlohmann::json::parse(text, text + m->len, nullptr, /*allow_exceptions=*/false);
    if (!envelope.is_object()) return {};
    const auto id = envelope.find("event_id");
    return id != envelope.end() && id->is_string() ? id->get<std::string>() : std::string{};
}

detail::kafka_handle make_consumer(const std::string& bootstrap_servers) {
    const std::map<std::string, std::string> properties{
        {"bootstrap.servers", bootstrap_servers},
        {"group.id", "domain-events-delivery-verifier"},  // rd_kafka_consumer_poll needs one; never joined
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
        {"allow.auto.create.topics", "false"},
        {"fetch.wait.max.ms", "100"},
        {"log_level", "3"},
    };
    return detail::make_kafka_client(RD_KAFKA_CONSUMER, detail::make_kafka_conf(properties, "read_all"), "read_all");
}

/** The partition ids of `topic`, retrying transient metadata errors until `deadline`. */
std::vector<std::int32_t> partitions_of(rd_kafka_t* consumer, const std::string& topic, clock::time_point deadline,
                                        std::chrono::milliseconds timeout) {
    const topic_handle handle(rd_kafka_topic_new(consumer, topic.c_str(), nullptr));
    if (!handle) {
        throw std::runtime_error("read_all: topic " + topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    }
    // A topic just created may be unknown to the broker answering for a moment; one that stays
    // unknown this long does not exist.
    const auto unknown_deadline = std::min(deadline, clock::now() + std::chrono::seconds(5));
    std::string last_error;
    for (;;) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(consumer, 0, handle.get(), &raw, std::max(remaining_ms(deadline), 1));
        const metadata_handle metadata(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last_error = rd_kafka_err2str(err);
        } else if (metadata->topic_cnt != 1) {
            last_error = "metadata names " + std::to_string(metadata->topic_cnt) + " topics";
        } else if (const auto& t = metadata->topics[0]; t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last_error = rd_kafka_err2str(t.err);
            if (permanent(t.err)) break;
            if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && clock::now() >= unknown_deadline) {
                throw std::runtime_error("read_all: topic " + topic + " does not exist: " + last_error);
            }
        } else if (t.partition_cnt == 0) {
            last_error = "no partitions";
        } else {
            std::vector<std::int32_t> ids;
            for (int p = 0; p < t.partition_cnt; ++p) ids.push_back(t.partitions[p].id);
            return ids;
        }
        if (clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("read_all: no partitions for topic " + topic + " within " +
                             std::to_string(timeout.count()) + " ms: " + last_error);
}

/** Asks Kafka (ListOffsets) for the end of each partition read up to an EOF whose end is not known
 *  yet. A refusal (a new leader still catching up, a leader moving) is kept and asked again. */
void ask_listed_ends(rd_kafka_t* consumer, std::map<topic_partition, partition_end>& reading,
                     clock::time_point deadline, std::string& last_error) {
    for (auto& [tp, end] : reading) {
        if (!end.wants_listed_end()) continue;
        std::int64_t low = 0;
        std::int64_t high = 0;
        const auto err = rd_kafka_query_watermark_offsets(consumer, tp.first.c_str(), tp.second, &low, &high,
                                                          std::clamp(remaining_ms(deadline), 1, 5'000));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            end.listed_end(high);
            continue;
        }
        last_error = where(tp) + ": end offset: " + rd_kafka_err2str(err);
        if (permanent(err)) throw std::runtime_error("read_all: " + last_error);
    }
}

std::string timed_out(std::chrono::milliseconds timeout, const std::map<topic_partition, partition_end>& unfinished,
                      std::size_t read, const std::string& last_error) {
    std::ostringstream out;
    out << "read_all: after " << timeout.count() << " ms, " << unfinished.size()
        << " partition(s) not read to their end:";
    for (const auto& [tp, end] : unfinished) {
        out << ' ' << where(tp);
        if (const auto listed = end.listed()) out << " (at " << end.reached() << " of " << *listed << ')';
    }
    out << " (" << read << " messages read";
    if (!last_error.empty()) out << "; last error: " << last_error;
    out << ')';
    return out.str();
}

/** Ends the read transaction `committed_events` opened, however it leaves. */
struct read_snapshot {
    explicit read_snapshot(database& connection) noexcept : db(connection) {}
    read_snapshot(const read_snapshot&) = delete;
    read_snapshot& operator=(const read_snapshot&) = delete;
    ~read_snapshot() {
        try {
            db.execute("ROLLBACK");  // nothing was written: ending the read is all it does
        } catch (...) {  // the connection closes next anyway
        }
    }
    database& db;
};

void note(verification& v, std::string problem) {
    if (v.problems.size() < verification::max_problems) v.problems.push_back(std::move(problem));
}

}  // namespace

std::vector<committed_event> committed_events(const std::string& db_path, const config& settings) {
    database db(database_options{.path = db_path, .read_only = true});
    std::vector<committed_event> events;
    const auto read = [&](const char* sql, bool dead) {
        auto rows = db.prepare(sql);
        while (rows->step()) {
            events.push_back({.position = rows->column_int64(0),
                              .event_id = rows->column_text(1),
                              .aggregate_id = rows->column_text(2),
                              .topic = topic_for(topic_prefix_of(settings), settings.routing, rows->column_text_view(3),
                                                 rows->column_text_view(4)),
                              .dead = dead});
        }
    };
    // One read snapshot, so that a relay or a replay running meanwhile cannot move a row between
    // the two tables unseen. (Not `atomic`: BEGIN IMMEDIATE would need the write lock.)
    db.execute("BEGIN DEFERRED");
    const read_snapshot end{db};
    read("SELECT position, event_id, aggregate_id, event_type, aggregate_type FROM domain_events_outbox", false);
    read("SELECT original_position, event_id, aggregate_id, event_type, aggregate_type FROM domain_events_dead_letters",
         true);
    std::ranges::stable_sort(events, {}, &committed_event::position);
    return events;
}

std::vector<std::string> topics_of(const std::vector<committed_event>& committed) {
    std::set<std::string> topics;
    for (const auto& e : committed) {
        if (!e.dead) topics.insert(e.topic);
    }
    return {topics.begin(), topics.end()};
}

std::vector<delivered_message> read_all(const std::string& bootstrap_servers, const std::vector<std::string>& topics,
                                        std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    auto consumer = make_consumer(bootstrap_servers);

    // Every partition of every topic from the beginning: assigned, so no group, no rebalance.
    detail::kafka_partition_list assignment(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()) * 4));
    std::map<topic_partition, partition_end> unfinished;
    for (const auto& topic : std::set<std::string>(topics.begin(), topics.end())) {
        for (const auto id : partitions_of(consumer.get(), topic, deadline, timeout)) {
            rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), id)->offset = RD_KAFKA_OFFSET_BEGINNING;
            unfinished.try_emplace({topic, id});
        }
    }
    if (const auto err = rd_kafka_assign(consumer.get(), assignment.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("read_all: assign: ") + rd_kafka_err2str(err));
    }

    std::vector<delivered_message> messages;
    std::string last_error;
    auto next_ask = clock::now();
    while (!unfinished.empty()) {
        if (clock::now() >= deadline) throw std::runtime_error(timed_out(timeout, unfinished, messages.size(), last_error));
        if (const detail::kafka_message m(rd_kafka_consumer_poll(consumer.get(), std::min(remaining_ms(deadline), 100)));
            m) {
            const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
            const auto reading = unfinished.find({topic, m->partition});
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (reading != unfinished.end()) reading->second.end_of_partition(m->offset);
            } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                last_error = (topic.empty() ? std::string{} : where(topic_partition{topic, m->partition}) + ": ") +
                             rd_kafka_message_errstr(m.get());
                if (permanent(m->err)) throw std::runtime_error("read_all: " + last_error);
            } else {
                messages.push_back({.topic = topic,
                                    .partition = m->partition,
                                    .offset = m->offset,
                                    .key = m->key ? std::string(static_cast<const char*>(m->key), m->key_len)
                                                  : std::string{},
                                    .event_id = event_id_of(m.get())});
                if (reading != unfinished.end()) reading->second.read(m->offset);
            }
        }
        if (clock::now() >= next_ask) {  // at most every 100 ms: a refused ask is asked again
            ask_listed_ends(consumer.get(), unfinished, deadline, last_error);
            next_ask = clock::now() + std::chrono::milliseconds(100);
        }
        std::erase_if(unfinished, [](const auto& entry) { return entry.second.finished(); });
    }
    rd_kafka_consumer_close(consumer.get());
    return messages;
}

verification verify(const std::vector<committed_event>& committed, const std::vector<delivered_message>& delivered) {
    verification v;
    std::unordered_map<std::string, const committed_event*> by_id;
    by_id.reserve(committed.size());
    for (const auto& e : committed) {
        const auto [it, inserted] = by_id.emplace(e.event_id, &e);
        if (!inserted && it->second->dead && !e.dead) it->second = &e;  // replayed: the live row counts
    }
    for (const auto& [id, e] : by_id) ++(e->dead ? v.dead : v.committed);

    // Kafka orders within a partition only: walk each partition in offset order.
    std::vector<const delivered_message*> ordered;
    ordered.reserve(delivered.size());
    for (const auto& m : delivered) ordered.push_back(&m);
    std::ranges::sort(ordered, [](const auto* a, const auto* b) {
        return std::tie(a->topic, a->partition, a->offset) < std::tie(b->topic, b->partition, b->offset);
    });

    std::unordered_set<std::string> seen;
    seen.reserve(by_id.size());
    std::map<std::tuple<std::string, std::string, std::int32_t>, const committed_event*> last_first;  // highest so far
    std::map<std::pair<std::string, std::string>, std::set<std::int32_t>> key_partitions;
    for (const auto* m : ordered) {
        const auto found = by_id.find(m->event_id);
        const committed_event* e = found == by_id.end() ? nullptr : found->second;
        std::string wrong;
        if (m->event_id.empty()) {
            wrong = "has no event_id (header or envelope)";
        } else if (e == nullptr) {
            wrong = "carries event " + m->event_id + ", which was never committed";
        } else if (e->dead) {
            wrong = "carries dead letter " + m->event_id + " (position " + std::to_string(e->position) + ")";
        } else if (e->topic != m->topic) {
            wrong = "carries " + m->event_id + ", which belongs in " + e->topic;
        } else if (e->aggregate_id != m->key) {
            wrong = "carries " + m->event_id + " under key '" + m->key + "', not its aggregate id '" +
                    e->aggregate_id + "'";
        }
        if (!wrong.empty()) {
            ++v.unexpected;
            note(v, "unexpected: " + where(*m) + " " + wrong);
            continue;
        }

        auto& partitions = key_partitions[{m->topic, m->key}];
        if (partitions.insert(m->partition).second && partitions.size() > 1) {
            ++v.reorders;
            note(v, "reorder: key '" + m->key + "' of " + m->topic + " is in partition " +
                        std::to_string(m->partition) + " and " + std::to_string(*partitions.begin()) +
                        (partitions.size() > 2 ? " and others" : ""));
        }
        if (!seen.insert(e->event_id).second) {
            ++v.duplicates;
            continue;
        }
        auto& last = last_first[{m->topic, m->key, m->partition}];
        if (last != nullptr && e->position <= last->position) {
            ++v.reorders;
            note(v, "reorder: key '" + m->key + "' at " + where(*m) + ": position " + std::to_string(e->position) +
                        " (" + e->event_id + ") first seen after position " + std::to_string(last->position) + " (" +
                        last->event_id + ")");
        } else {
            last = e;
        }
    }
    for (const auto& e : committed) {
        if (e.dead || by_id.at(e.event_id) != &e) continue;
        if (seen.contains(e.event_id)) {
            ++v.delivered;
        } else {
            ++v.lost;
            note(v, "lost: position " + std::to_string(e.position) + " (" + e.event_id + ", key '" + e.aggregate_id +
                        "') not in " + e.topic);
        }
    }
    return v;
}

std::string describe(const verification& v) {
    std::ostringstream out;
    out << "committed " << v.committed << " (dead " << v.dead << "), delivered " << v.delivered << ", lost " << v.lost
        << ", duplicates " << v.duplicates << ", reorders " << v.reorders << ", unexpected " << v.unexpected;
    for (const auto& p : v.problems) out << "\n  " << p;
    const auto total = v.lost + v.reorders + v.unexpected;
    if (total > v.problems.size()) out << "\n  ... and " << total - v.problems.size() << " more";
    return out.str();
}

verification verify_outbox_delivered(const std::string& db_path, const config& settings,
                                     std::chrono::milliseconds timeout) {
    const auto committed = committed_events(db_path, settings);
    return verify(committed, read_all(settings.bootstrap_servers, topics_of(committed), timeout));
}

}  // namespace domain_events::testing
