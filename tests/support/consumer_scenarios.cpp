#include "consumer_scenarios.hpp"

#include <gmock/gmock.h>
#include <signal.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/consume/dead_letter_topic_headers.hpp>
#include <domain_events/publish/topic_routing.hpp>

#include <set>

#include "build_tree.hpp"
#include "event_producer.hpp"

namespace domain_events::testing {

namespace de = domain_events;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

void consumer_scenarios::SetUp() {
    de::database db(db_path);
    db.execute("CREATE TABLE effects (event_id TEXT NOT NULL, pid INTEGER NOT NULL DEFAULT 0)");
}

config consumer_scenarios::settings(topic_routing routing) const {
    config c;
    c.bootstrap_servers = bootstrap();
    c.topic_prefix = prefix;
    c.routing = routing;
    c.topics.replication_factor = 1;  // the dead-letter topic, where the brokers have no Admin-API default
    // A member that died is noticed within seconds (the mock also waits this long for one that left).
    c.kafka_properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    return c;
}

consumer_options consumer_scenarios::options(std::vector<std::string> types, std::string group) const {
    consumer_options o;
    o.group_id = std::move(group);
    o.event_types = std::move(types);
    o.database_path = db_path;
    o.idle_exit = 60s;  // a bound for every run; the scenarios end on max_events or stop()
    o.initial_backoff = 1ms;
    o.max_backoff = 5ms;
    o.commit_interval = 50ms;
    return o;
}

std::string consumer_scenarios::topic(const std::string& event_type) const {
    return topic_for_event_type(prefix, event_type);
}

consumer_options consumer_scenarios::produce_for_one_batch(const std::vector<const event*>& events) {
    create_topic(topic("patient.created"), 1);
    std::vector<outgoing> records;
    for (const auto* e : events) records.push_back(as_record(*e, topic("patient.created")));
    produce_all(bootstrap(), records);
    auto o = options({"patient.created"});
    o.max_events = records.size();
    o.max_batch_delay = std::chrono::seconds(10);
    return o;
}

void consumer_scenarios::record_effect(const event& e, database& db) {
    db.prepare("INSERT INTO effects (event_id) VALUES (?)")->bind_all(e.event_id).run();
}

std::map<std::string, int> consumer_scenarios::effects() const {
    de::database db(db_path);
    std::map<std::string, int> result;
    auto q = db.prepare("SELECT event_id, count(*) FROM effects GROUP BY event_id");
    while (q->step()) result[q->column_text(0)] = static_cast<int>(q->column_int64(1));
    return result;
}

std::int64_t consumer_scenarios::committed_effects() const {
    de::database reader(de::database_options{.path = db_path, .read_only = true});
    auto q = reader.prepare("SELECT count(*) FROM effects");
    q->step();
    const auto n = q->column_int64(0);
    return n;
}

std::vector<std::string> consumer_scenarios::effects_in_order() const {
    de::database db(db_path);
    std::vector<std::string> ids;
    auto q = db.prepare("SELECT event_id FROM effects ORDER BY rowid");
    while (q->step()) ids.push_back(q->column_text(0));
    return ids;
}

std::vector<event> consumer_scenarios::produce_events(const std::string& type, int count, const std::string& aggregate) {
    std::vector<event> events;
    std::vector<outgoing> records;
    for (int i = 1; i <= count; ++i) {
        events.push_back(test_event(type, aggregate + std::to_string(i % 50), i / 50 + 1));
        records.push_back(as_record(events.back(), topic(type)));
    }
    produce_all(bootstrap(), records);
    return events;
}

std::vector<record> consumer_scenarios::dead_letters(std::size_t count) const {
    return consume(bootstrap(), dead_letter_topic(prefix), unique_topic("dlq-reader"), count, 60s);
}

std::unique_ptr<child_process> consumer_scenarios::start_consumer(const std::map<std::string, std::string>& more_env) {
    std::map<std::string, std::string> env = {{"KAFKA_BOOTSTRAP_SERVERS", bootstrap()},
                                              {"KAFKA_TOPIC_PREFIX", prefix},
                                              {"KAFKA_TOPIC_REPLICATION_FACTOR", "1"},
                                              {"KAFKA_PROPERTY_SESSION_TIMEOUT_MS", "6000"},
                                              {"KAFKA_PROPERTY_HEARTBEAT_INTERVAL_MS", "500"},
                                              {"CONSUMER_GROUP", prefix},
                                              {"CONSUMER_DB", db_path},
                                              {"CONSUMER_EVENTS", "patient.created"}};
    for (const auto& [name, value] : process_env()) env[name] = value;
    for (const auto& [name, value] : more_env) env[name] = value;
    return std::make_unique<child_process>(std::vector<std::string>{DOMAIN_EVENTS_TEST_CONSUMER}, env,
                                           dir.file("consumer-" + std::to_string(++runs) + ".log"));
}

std::vector<std::string> consumer_scenarios::ids_of(const std::vector<event>& events) {
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.event_id);
    return ids;
}

void consumer_scenarios::expect_each_applied_once(const std::vector<std::string>& ids) const {
    const auto applied = effects();
    EXPECT_EQ(applied.size(), ids.size());
    for (const auto& id : ids) {
        const auto found = applied.find(id);
        ASSERT_NE(found, applied.end()) << "missed " << id;
        EXPECT_EQ(found->second, 1) << "applied twice: " << id;
    }
}

void consumer_scenarios::applies_subscribed_events_and_after_stop_a_restart_resumes_after_them() {
    create_topic(topic("patient.created"), 2);
    create_topic(topic("appointment.booked"), 2);
    produce_events("patient.created", 10);
    produce_events("appointment.booked", 10);

    de::consumer first(settings(), options({"patient.created", "appointment.booked"}));
    first.on("patient.created", record_effect).on("appointment.booked", record_effect);
    std::thread running([&] { first.run(); });
    const bool all_applied = eventually([&] { return first.counters().applied >= 20; });
    first.stop();
    running.join();
    ASSERT_TRUE(all_applied) << "applied " << first.counters().applied;
    EXPECT_EQ(effects().size(), 20u);
    EXPECT_EQ(first.counters().handler_latency.count, 20u);

    // Offsets were committed on stop: the next member reads only what is new.
    const auto fresh = produce_events("patient.created", 1, "new");
    auto o = options({"patient.created", "appointment.booked"});
    o.max_events = 1;
    de::consumer second(settings(), o);
    second.otherwise(record_effect);
    const auto c = second.run();
    EXPECT_EQ(c.applied, 1u);
    EXPECT_EQ(c.duplicates, 0u);
    EXPECT_EQ(effects().count(fresh[0].event_id), 1u);
}

void consumer_scenarios::the_same_event_twice_and_a_replayed_batch_take_effect_once() {
    create_topic(topic("patient.created"), 3);
    const auto twice = test_event("patient.created", "p-1");
    std::vector<outgoing> batch;
    for (int i = 0; i < 10; ++i) {
        batch.push_back(as_record(test_event("patient.created", "p" + std::to_string(i)),
                                               topic("patient.created")));
    }
    produce_all(bootstrap(), {as_record(twice, topic("patient.created")),
                                                           as_record(twice, topic("patient.created"))});
    produce_all(bootstrap(), batch);
    produce_all(bootstrap(), batch);  // the relay re-sent a whole batch

    auto o = options({"patient.created"});
    o.max_events = 22;
    de::consumer consumer(settings(), o);
    consumer.on("patient.created", record_effect);
    const auto c = consumer.run();
    EXPECT_EQ(c.applied, 11u);
    EXPECT_EQ(c.duplicates, 11u);
    const auto applied = effects();
    EXPECT_EQ(applied.size(), 11u);
    for (const auto& [id, n] : applied) EXPECT_EQ(n, 1) << id;
}

void consumer_scenarios::poison_messages_go_to_the_dead_letter_topic_with_their_story_and_good_ones_are_applied() {
    const auto source = topic("patient.created");
    create_topic(source, 1);  // one partition: the offsets below are known
    std::vector<outgoing> records;
    std::vector<std::string> good;
    const auto add_good = [&] {
        const auto e = test_event("patient.created", "p" + std::to_string(good.size()));
        good.push_back(e.event_id);
        records.push_back(as_record(e, source));
    };
    auto unknown_version = test_event("patient.created", "v");
    unknown_version.metadata.version = "2.0";
    auto huge = test_event("patient.created", "h");
    huge.data["filler"] = std::string(100'000, 'x');
    auto no_id = de::to_json(test_event("patient.created", "n"));
    no_id.erase("event_id");

    add_good();                                                                  // offset 0
    records.push_back({source, "g", std::string("\xff\x00garbage", 9), {{"trace", "t-1"}}});  // 1
    add_good();                                                                  // 2
    records.push_back({source, "n", no_id.dump(), {}});                          // 3
    add_good();                                                                  // 4
    records.push_back(as_record(huge, source));                     // 5
    add_good();                                                                  // 6
    records.push_back(as_record(unknown_version, source));          // 7
    add_good();                                                                  // 8
    produce_all(bootstrap(), records);

    auto c = settings();
    c.validation.max_payload_bytes = 64 * 1024;
    auto o = options({"patient.created"});
    o.max_events = records.size();
    de::consumer consumer(c, o);
    consumer.on("patient.created", record_effect);
    const auto counters = consumer.run();  // returns normally: bad input never stops it
    EXPECT_EQ(counters.applied, good.size());
    EXPECT_EQ(counters.dead_lettered, 4u);
    const auto applied = effects();
    for (const auto& id : good) EXPECT_EQ(applied.count(id), 1u) << id;

    const auto letters = dead_letters(4);
    ASSERT_EQ(letters.size(), 4u);
    std::map<std::string, record> by_offset;
    for (const auto& r : letters) {
        EXPECT_EQ(r.headers.at("dlq.original.topic"), source);
        EXPECT_EQ(r.headers.at("dlq.original.partition"), "0");
        EXPECT_EQ(r.headers.at("dlq.consumer.group"), "g");
        EXPECT_FALSE(r.headers.at("dlq.error").empty());
        by_offset[r.headers.at("dlq.original.offset")] = r;
    }
    ASSERT_EQ(by_offset.size(), 4u);
    EXPECT_EQ(by_offset["1"].headers.at("dlq.reason"), "not_json");
    EXPECT_EQ(by_offset["1"].value, std::string("\xff\x00garbage", 9));  // kept byte for byte
    EXPECT_EQ(by_offset["1"].headers.at("trace"), "t-1");                 // original headers kept
    EXPECT_EQ(by_offset["3"].headers.at("dlq.reason"), "invalid_envelope");
    EXPECT_THAT(by_offset["3"].headers.at("dlq.error"), HasSubstr("event_id"));
    EXPECT_EQ(by_offset["5"].headers.at("dlq.reason"), "too_large");
    EXPECT_EQ(by_offset["5"].value.size(), records[5].value.size());
    EXPECT_EQ(by_offset["7"].headers.at("dlq.reason"), "unsupported_version");
    EXPECT_THAT(by_offset["7"].headers.at("dlq.error"), HasSubstr("'2.0'"));
}

void consumer_scenarios::a_throwing_handler_is_retried_and_then_dead_lettered_with_its_effects_rolled_back() {
    create_topic(topic("patient.created"), 1);
    const auto flaky = test_event("patient.created", "flaky");
    const auto broken = test_event("patient.created", "broken");
    produce_all(bootstrap(), {as_record(flaky, topic("patient.created")),
                                                           as_record(broken, topic("patient.created"))});
    auto o = options({"patient.created"});
    o.max_events = 2;
    o.max_handler_attempts = 3;
    de::consumer consumer(settings(), o);
    int flaky_calls = 0;
    consumer.on("patient.created", [&](const de::event& e, de::database& db) {
        record_effect(e, db);  // written first: a throw must roll it back
        if (e.event_id == broken.event_id) throw std::runtime_error("the mail server refused patient broken");
        if (++flaky_calls < 3) throw std::runtime_error("timeout");
    });
    const auto c = consumer.run();
    EXPECT_EQ(c.applied, 1u);
    EXPECT_EQ(c.dead_lettered, 1u);
    EXPECT_EQ(c.handler_retries, 4u);  // two for each
    const auto applied = effects();
    EXPECT_EQ(applied.at(flaky.event_id), 1);
    EXPECT_EQ(applied.count(broken.event_id), 0u);

    const auto letters = dead_letters(1);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].headers.at("dlq.reason"), "handler_failed");
    EXPECT_EQ(letters[0].headers.at("dlq.attempts"), "3");
    EXPECT_EQ(letters[0].headers.at("dlq.original.offset"), "1");
    EXPECT_THAT(letters[0].headers.at("dlq.error"), HasSubstr("mail server refused"));
    EXPECT_EQ(letters[0].headers.at("event_id"), broken.event_id);
    EXPECT_EQ(letters[0].key, "broken");
}

void consumer_scenarios::a_pattern_subscribes_by_regex_and_types_without_a_handler_are_skipped_unless_a_fallback() {
    create_topic(topic("patient.created"), 1);
    create_topic(topic("patient.updated"), 1);
    create_topic(topic("appointment.booked"), 1);
    produce_events("patient.created", 2);
    produce_events("patient.updated", 3);
    produce_events("appointment.booked", 4);

    auto o = options({"patient.*"}, "no-fallback");
    o.max_events = 5;
    de::consumer strict(settings(), o);
    strict.on("patient.created", record_effect);
    const auto without = strict.run();
    EXPECT_EQ(without.applied, 2u);
    EXPECT_EQ(without.skipped, 3u);

    o.group_id = "with-fallback";
    de::consumer lenient(settings(), o);
    std::set<std::string> fallback_types;
    lenient.otherwise([&](const de::event& e, de::database&) { fallback_types.insert(e.event_type); });
    const auto with = lenient.run();
    EXPECT_EQ(with.applied, 5u);  // the appointment topic is not matched by the pattern
    EXPECT_EQ(fallback_types, (std::set<std::string>{"patient.created", "patient.updated"}));
}

void consumer_scenarios::per_aggregate_routing_reads_the_aggregate_topic_and_filters_by_event_type() {
    const auto aggregate_topic = de::prefixed_topic(prefix, "patient");
    create_topic(aggregate_topic, 2);
    std::vector<outgoing> records;
    std::vector<std::string> created;
    for (int i = 1; i <= 3; ++i) {
        const auto id = "p" + std::to_string(i);
        const auto c = test_event("patient.created", id, 1);
        created.push_back(c.event_id);
        records.push_back(as_record(c, aggregate_topic));
        records.push_back(as_record(test_event("patient.updated", id, 2), aggregate_topic));
    }
    produce_all(bootstrap(), records);

    auto o = options({"patient.created"});
    o.max_events = records.size();
    de::consumer consumer(settings(de::topic_routing::per_aggregate), o);
    consumer.on("patient.created", record_effect);
    bool fallback_called = false;
    consumer.otherwise([&](const de::event&, de::database&) { fallback_called = true; });
    const auto c = consumer.run();
    EXPECT_EQ(c.applied, 3u);
    EXPECT_EQ(c.skipped, 3u);  // patient.updated is not subscribed: the fallback is not for it
    EXPECT_FALSE(fallback_called);
    const auto applied = effects();
    for (const auto& id : created) EXPECT_EQ(applied.count(id), 1u);
}

}  // namespace domain_events::testing
