// The consumer's HTTP endpoint against librdkafka's mock cluster, with real requests on
// 127.0.0.1: readiness follows the run, the assignment, the brokers and a stall; the lag per
// partition shows a backlog and then 0; the handler histogram counts the applied events;
// /metrics passes `promtool check metrics`; a consumer process serves it with one call.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/ops/consumer_http.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>
#include <domain_events/error.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "prefixed_config.hpp"
#include "build_tree.hpp"
#include "child_process.hpp"
#include "event_producer.hpp"
#include "eventually.hpp"
#include "kafka_client.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

using de::testing::eventually;

class consumer_http : public ::testing::Test {
protected:
    de::embedded_cluster cluster{1};
    de::testing::temp_dir dir;
    std::string prefix = de::testing::unique_topic("conshttp");
    std::string topic = de::topic_for_event_type(prefix, "patient.created");
    std::string group = "http-group";
    std::atomic<bool> hold{false};        // the handler waits while set
    std::atomic<int> handler_delay_ms{0};  // and sleeps this long per event
    std::unique_ptr<de::consumer> consumer;
    std::unique_ptr<de::consumer_http_endpoint> endpoint;
    std::thread running;
    int port = 0;

    void SetUp() override { cluster.create_topic(topic, 2); }
    void TearDown() override { stop(); }

    de::config settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = prefix;
        c.topics.replication_factor = 1;
        c.kafka_properties = {{"session.timeout.ms", "6000"},
                              {"heartbeat.interval.ms", "500"},
                              {"reconnect.backoff.max.ms", "500"}};
        return c;
    }

    // A consumer of patient.created and its endpoint on a port the OS picks; not running yet.
    void make_consumer(std::chrono::milliseconds stall_after = 60s) {
        de::consumer_options o;
        o.group_id = group;
        o.event_types = {"patient.created"};
        o.database_path = dir.file("consumer.db");
        o.commit_interval = 50ms;
        o.initial_backoff = 1ms;
        o.max_backoff = 5ms;
        o.stall_after = stall_after;
        consumer = std::make_unique<de::consumer>(settings(), o);
        consumer->on("patient.created", [this](const de::event&, de::database&) {
            while (hold.load()) std::this_thread::sleep_for(5ms);
            if (const auto ms = handler_delay_ms.load(); ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        });
        endpoint = std::make_unique<de::consumer_http_endpoint>(*consumer, "127.0.0.1:0");
        port = endpoint->port();
        ASSERT_GT(port, 0);
    }
    void run() {
        running = std::thread([this] { consumer->run(); });
    }
    void stop() {
        hold = false;
        if (consumer) consumer->stop();
        if (running.joinable()) running.join();
        endpoint.reset();
    }

    // `count` events of one aggregate each, all on `partition`.
    void produce(int count, std::int32_t partition) {
        std::vector<de::testing::outgoing> records;
        for (int i = 0; i < count; ++i) {
            auto r = de::testing::as_record(
                de::testing::test_event("patient.created", "p" + std::to_string(partition) + "-" + std::to_string(i)), topic);
            r.partition = partition;
            records.push_back(std::move(r));
        }
        de::testing::produce_all(cluster.bootstrap_servers(), records);
    }

    httplib::Result get(const std::string& path) const {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(30, 0);
        return client.Get(path.c_str());
    }
    int status_of(const std::string& path) const {
        const auto r = get(path);
        return r ? r->status : -1;
    }
    nlohmann::json detailed() const {
        const auto r = get("/health/detailed");
        if (!r || r->status != 200) return nlohmann::json::object();
        return nlohmann::json::parse(r->body);
    }
    std::string metrics() const {
        const auto r = get("/metrics");
        return r && r->status == 200 ? r->body : std::string();
    }
    // The lag /health/detailed reports for `partition`; -1 when unknown or not assigned.
    std::int64_t lag_of(std::int32_t partition) const {
        for (const auto& p : detailed().value("assignment", nlohmann::json::array())) {
            if (p.at("partition") == partition && p.at("lag").is_number_integer()) return p.at("lag").get<std::int64_t>();
        }
        return -1;
    }
    std::string lag_line(std::int32_t partition) const {
        return "\ndomain_events_consumer_lag_messages{group=\"" + group + "\",partition=\"" + std::to_string(partition) +
               "\",topic=\"" + topic + "\"} ";
    }
    std::string ready_body() const {
        const auto r = get("/health/ready");
        return r ? std::to_string(r->status) + " " + r->body : "no answer";
    }
};

TEST_F(consumer_http, readiness_waits_for_the_run_and_the_assignment_and_follows_the_broker) {
    make_consumer();
    EXPECT_EQ(status_of("/health/live"), 200);
    EXPECT_THAT(ready_body(), HasSubstr("503")) << "not running yet";
    EXPECT_THAT(ready_body(), HasSubstr("not running"));

    // Started while Kafka is away: running, but no partitions until it is back.
    cluster.set_broker_down(-1, true);
    run();
    ASSERT_TRUE(eventually([&] { return consumer->status().running; }));
    std::this_thread::sleep_for(1s);
    const auto unassigned = ready_body();
    EXPECT_THAT(unassigned, HasSubstr("503"));
    EXPECT_THAT(unassigned, HasSubstr("no partitions assigned"));
    EXPECT_FALSE(detailed().at("assigned").get<bool>());

    cluster.set_broker_down(-1, false);
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << ready_body();
    const auto d = detailed();
    EXPECT_EQ(d.at("group"), group);
    EXPECT_TRUE(d.at("assigned").get<bool>());
    EXPECT_EQ(d.at("assignment").size(), 2u);
    EXPECT_TRUE(d.at("broker").at("reachable").get<bool>());

    cluster.set_broker_down(-1, true);
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 503; })) << ready_body();
    EXPECT_THAT(ready_body(), HasSubstr("Kafka is unreachable"));
    EXPECT_EQ(status_of("/health/live"), 200) << "alive while the broker is away";
    EXPECT_FALSE(detailed().at("broker").at("reachable").get<bool>());

    cluster.set_broker_down(-1, false);
    EXPECT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << ready_body();
    EXPECT_EQ(status_of("/nothing-here"), 404);
}

TEST_F(consumer_http, a_handler_that_does_not_return_makes_it_stalled_and_unready_until_it_does) {
    make_consumer(1500ms);
    run();
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << ready_body();
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(status_of("/health/ready"), 200) << "idle and caught up is not stalled: " << ready_body();

    hold = true;
    produce(3, 0);
    ASSERT_TRUE(eventually([&] { return status_of("/health/ready") == 503; })) << ready_body();
    EXPECT_THAT(ready_body(), HasSubstr("stalled"));
    EXPECT_TRUE(detailed().at("stalled").get<bool>());
    EXPECT_THAT(metrics(), HasSubstr("\ndomain_events_consumer_stalled{group=\"" + group + "\"} 1\n"));
    EXPECT_EQ(consumer->counters().applied, 0u);

    hold = false;
    ASSERT_TRUE(eventually([&] { return consumer->counters().applied == 3; }));
    EXPECT_TRUE(eventually([&] { return status_of("/health/ready") == 200; })) << ready_body();
    EXPECT_THAT(metrics(), HasSubstr("\ndomain_events_consumer_stalled{group=\"" + group + "\"} 0\n"));
}

TEST_F(consumer_http, lag_per_partition_shows_the_backlog_then_zero_and_the_histogram_counts_the_applied_events) {
    produce(30, 0);
    produce(10, 1);
    // About 8 s of work: time to see partition 0's backlog, which is known once its position is
    // (its first event dealt with) or librdkafka's statistics gave its low watermark; partition
    // 1 may be served first, and a loaded machine joins the group slowly.
    handler_delay_ms = 200;
    make_consumer();
    run();
    std::int64_t seen = -1;
    ASSERT_TRUE(eventually([&] { return (seen = lag_of(0)) > 0; })) << detailed().dump();
    EXPECT_LE(seen, 30);
    const auto while_behind = metrics();
    EXPECT_THAT(while_behind, HasSubstr(lag_line(0))) << while_behind;
    EXPECT_THAT(while_behind, ::testing::Not(HasSubstr(lag_line(0) + "0\n"))) << while_behind;

    handler_delay_ms = 0;
    ASSERT_TRUE(eventually([&] { return consumer->counters().applied == 40; })) << consumer->counters().applied;
    ASSERT_TRUE(eventually([&] { return lag_of(0) == 0 && lag_of(1) == 0; })) << detailed().dump();
    const auto d = detailed();
    EXPECT_EQ(d.at("total_lag"), 0);
    EXPECT_EQ(d.at("totals").at("applied"), 40);
    for (const auto& p : d.at("assignment")) EXPECT_EQ(p.at("end_offset"), p.at("position")) << p.dump();

    const auto r = get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
    const auto& page = r->body;
    const auto g = "{group=\"" + group + "\"}";
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_applied_total" + g + " 40\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_duplicates_total" + g + " 0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_dead_lettered_total" + g + " 0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_count" + g + " 40\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_handler_duration_seconds_bucket{group=\"" + group +
                                "\",le=\"+Inf\"} 40\n"));
    EXPECT_THAT(page, HasSubstr(lag_line(0) + "0\n"));
    EXPECT_THAT(page, HasSubstr(lag_line(1) + "0\n"));
    EXPECT_THAT(page, HasSubstr("\ndomain_events_consumer_assigned_partitions" + g + " 2\n"));

    const auto page_file = dir.file("metrics.txt");
    std::ofstream(page_file) << page;
    const auto [code, out] = de::testing::run_command({"/bin/sh", "-c", "promtool check metrics < '" + page_file + "'"},
                                                      {}, dir.file("promtool.log"));
    EXPECT_NE(code, 127) << "promtool is not installed: run scripts/install-deps.sh (package prometheus)";
    EXPECT_EQ(code, 0) << out;
}

TEST_F(consumer_http, bad_or_taken_addresses_are_refused_naming_them) {
    make_consumer();
    try {
        de::consumer_http_endpoint bad(*consumer, "127.0.0.1:http");
        ADD_FAILURE() << "a port that is not a number was accepted";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("'127.0.0.1:http'"));
    }
    const auto taken = "127.0.0.1:" + std::to_string(port);
    try {
        de::consumer_http_endpoint second(*consumer, taken);
        ADD_FAILURE() << "a port in use was accepted";
    } catch (const de::config_error& e) {
        EXPECT_THAT(e.what(), HasSubstr(taken));
    }
}

TEST(consumer_http_process, a_consumer_process_serves_its_endpoint_with_one_call) {
    de::embedded_cluster cluster{1};
    de::testing::temp_dir dir;
    const auto prefix = de::testing::unique_topic("conshttpproc");
    cluster.create_topic(de::topic_for_event_type(prefix, "patient.created"), 2);
    de::testing::child_process child({DOMAIN_EVENTS_TEST_CONSUMER},
                                     {{"KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrap_servers()},
                                      {"KAFKA_TOPIC_PREFIX", prefix},
                                      {"KAFKA_TOPIC_REPLICATION_FACTOR", "1"},
                                      {"CONSUMER_GROUP", "process-group"},
                                      {"CONSUMER_DB", dir.file("consumer.db")},
                                      {"CONSUMER_EVENTS", "patient.created"},
                                      {"CONSUMER_HTTP", "127.0.0.1:0"},
                                      {"LOG_LEVEL", "info"}},
                                     dir.file("consumer.log"));
    const auto port = de::testing::announced_port(child, "http endpoint listening on 127.0.0.1:");
    ASSERT_TRUE(port) << child.output();
    httplib::Client client("127.0.0.1", *port);
    client.set_read_timeout(30, 0);
    ASSERT_TRUE(eventually([&] {
        const auto r = client.Get("/health/ready");
        return r && r->status == 200;
    })) << child.output();
    const auto page = client.Get("/metrics");
    ASSERT_TRUE(page);
    EXPECT_THAT(page->body, HasSubstr("domain_events_consumer_applied_total{group=\"process-group\"} 0\n"));
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(30s), 0) << child.output();
}

}  // namespace
