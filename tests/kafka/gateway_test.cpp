// `domain-events gateway` against a real broker: what it answers 202 for reaches Kafka, in topics
// it created with the configuration file's settings; and killed with SIGKILL under load, then
// restarted, every event it answered 202 for still reaches Kafka, and retries of the requests the
// kill left unanswered write none twice.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "delivery_verifier.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"

namespace de = domain_events;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* settings_text = R"({
  "event_types": {"order.placed": {"topic": {"partitions": 5, "replication_factor": 1}}},
  "back_pressure": {"min_free_disk_bytes": 0}
})";

class kafka_gateway : public de::testing::kafka_outbox_tier {
protected:
    void SetUp() override {
        kafka_outbox_tier::SetUp();
        config = settings("gateway");
        std::ofstream(dir.file("gateway.json")) << settings_text;
    }

    std::unique_ptr<de::testing::child_process> start(const std::string& log) {
        auto child = std::make_unique<de::testing::child_process>(
            std::vector<std::string>{DOMAIN_EVENTS_CLI, "gateway", "--config", dir.file("gateway.json"), "--listen",
                                     "127.0.0.1:0", "--db", config.database_path},
            std::map<std::string, std::string>{{"KAFKA_BOOTSTRAP_SERVERS", bootstrap_},
                                               {"KAFKA_TOPIC_PREFIX", *config.topic_prefix}},
            dir.file(log));
        const auto announced = de::testing::announced_port(*child, "gateway: listening on http://127.0.0.1:");
        EXPECT_TRUE(announced) << child->output();
        port = announced.value_or(0);
        return child;
    }

    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port);
        c.set_connection_timeout(5s);
        c.set_read_timeout(10s);
        c.set_keep_alive(true);
        c.set_tcp_nodelay(true);  // else each POST's body waits for the ACK of its headers (~40 ms)
        return c;
    }

    static json order(const std::string& id, const std::string& event_id) {
        return {{"event_type", "order.placed"}, {"aggregate_type", "order"}, {"aggregate_id", id},
                {"event_id", event_id}, {"data", {{"total", 1}}}};
    }

    /** The outbox's event ids, each once per row. */
    std::vector<std::string> outbox_event_ids() const {
        de::database db(config.database_path);
        auto q = db.prepare("SELECT event_id FROM domain_events_outbox ORDER BY position");
        std::vector<std::string> ids;
        while (q->step()) ids.push_back(q->column_text(0));
        return ids;
    }

    de::config config;
    int port = 0;
};

TEST_F(kafka_gateway, events_answered_202_reach_kafka_in_topics_made_with_the_configured_settings) {
    auto gateway = start("gateway.log");
    auto c = client();
    std::set<std::string> accepted;
    for (int i = 0; i < 20; ++i) {
        const auto id = de::new_event_id();
        const auto r = c.Post("/api/v1/events", order("o-" + std::to_string(i % 5), id).dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 202) << r->body;
        accepted.insert(id);
    }
    json batch = json::array();
    for (int i = 0; i < 30; ++i) batch.push_back(order("b-" + std::to_string(i), de::new_event_id()));
    const auto r = c.Post("/api/v1/events/batch", json{{"events", batch}}.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
    for (const auto& e : batch) accepted.insert(e["event_id"].get<std::string>());

    gateway->signal(SIGTERM);  // a graceful stop publishes what was accepted
    ASSERT_EQ(gateway->wait(60s), 0) << gateway->output();
    const auto v = de::testing::verify_outbox_delivered(config.database_path, config, 120s);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.delivered, 50u);
    const auto ids = outbox_event_ids();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), accepted);
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, de::topic_for_event_type(*config.topic_prefix, "order.placed")).size(), 5u);
}

TEST_F(kafka_gateway, killed_under_load_and_restarted_it_loses_no_accepted_event_and_writes_none_twice) {
    auto gateway = start("first.log");
    std::mutex mutex;
    std::set<std::string> answered;    // 202
    std::vector<json> unanswered;      // sent when the kill came: the client retries them
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&, t] {
            auto c = client();
            for (int i = 0; i < 100'000 && !stop; ++i) {  // bounded: the kill ends it within seconds
                const auto event = order("t" + std::to_string(t) + "-" + std::to_string(i % 20), de::new_event_id());
                const auto r = c.Post("/api/v1/events", event.dump(), "application/json");
                std::lock_guard lock(mutex);
                if (r && r->status == 202) {
                    answered.insert(event["event_id"].get<std::string>());
                } else {
                    unanswered.push_back(event);
                    return;  // the gateway is gone
                }
            }
        });
    }
    std::this_thread::sleep_for(2s);  // load for ~2 s, then the kill lands mid-request
    gateway->signal(SIGKILL);
    gateway->wait(10s);
    stop = true;
    for (auto& th : clients) th.join();
    ASSERT_GT(answered.size(), 100u) << "too little load to mean anything";

    auto restarted = start("second.log");
    auto c = client();
    for (const auto& event : unanswered) {  // a client retries what got no answer, with its event_id
        const auto r = c.Post("/api/v1/events", event.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 202) << r->body;
        answered.insert(event["event_id"].get<std::string>());
    }
    restarted->signal(SIGTERM);
    ASSERT_EQ(restarted->wait(60s), 0) << restarted->output();

    const auto ids = outbox_event_ids();
    const std::set<std::string> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), ids.size()) << "an event_id was written twice";
    EXPECT_EQ(distinct, answered) << "the outbox holds exactly the events answered 202";
    const auto v = de::testing::verify_outbox_delivered(config.database_path, config, 120s);
    EXPECT_TRUE(v.ok()) << de::testing::describe(v);
    EXPECT_EQ(v.delivered, answered.size());
    RecordProperty("answered", static_cast<int>(answered.size()));
    RecordProperty("kafka_resends", static_cast<int>(v.duplicates));  // at least once: allowed, reported
}

}  // namespace
