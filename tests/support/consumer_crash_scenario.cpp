// What a consumer does about messages that would harm it or its database, whoever produced them:
// the crash-loop breaker, with a handler that really kills its process (abort(), as a crash in a
// library would: without it every restart dies on the same message, the offset never moves and
// every later event waits for ever), sensitive fields a foreign producer did not keep out, and a
// message whose key and headers leave its dead letter no room.
#include <csignal>

#include <domain_events/publish/topic_routing.hpp>

#include "consumer_scenarios.hpp"
#include "event_producer.hpp"

namespace domain_events::testing {

using namespace std::chrono_literals;

void consumer_scenarios::a_message_whose_handler_kills_the_process_is_dead_lettered_after_three_deaths_and_the_rest_applied() {
    create_topic(topic_for_event_type(prefix, "patient.created"), 1);
    const auto events = produce_events("patient.created", 5);
    const auto& deadly = events[2];
    const std::map<std::string, std::string> env = {{"CONSUMER_DIE_ON_EVENT_ID", deadly.event_id},
                                                    {"CONSUMER_IDLE_EXIT_MS", "20000"}};
    for (int death = 1; death <= 3; ++death) {
        auto dying = start_consumer(env);
        ASSERT_EQ(dying->wait(120s), 128 + SIGABRT) << "run " << death << ": " << dying->output();
    }
    EXPECT_EQ(effects().count(events[3].event_id), 0u) << "an event after the deadly one was applied before it";

    auto fourth = start_consumer(env);
    ASSERT_EQ(fourth->wait(120s), 0) << fourth->output();
    EXPECT_NE(fourth->output().find("dead_lettered=1"), std::string::npos) << fourth->output();
    const auto letters = dead_letters(1);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].headers.at("dlq.reason"), "crashed_consumer");
    EXPECT_EQ(letters[0].headers.at("dlq.attempts"), "3");
    EXPECT_NE(letters[0].value.find(deadly.event_id), std::string::npos);

    std::vector<std::string> survivors;
    for (const auto& e : events) {
        if (e.event_id != deadly.event_id) survivors.push_back(e.event_id);
    }
    expect_each_applied_once(survivors);
}

void consumer_scenarios::sensitive_fields_from_another_producer_are_dead_lettered_or_redacted_before_a_handler_sees_them() {
    const auto source = topic("patient.created");
    create_topic(source, 1);
    auto leaky = test_event("patient.created", "leaky");
    leaky.data["credentials"] = {{"password", "hunter2"}};  // as a script in another language might send it
    const auto clean = test_event("patient.created", "clean");
    produce_all(bootstrap(), {as_record(leaky, source), as_record(clean, source)});

    std::vector<std::string> seen;
    const auto remember = [&seen](const event& e, database&) { seen.push_back(e.data.dump()); };
    auto refusing = options({"patient.created"}, "refusing");
    refusing.max_events = 2;
    consumer first(settings(), refusing);  // the default policy: refuse
    first.on("patient.created", remember);
    EXPECT_EQ(first.run().dead_lettered, 1u);
    ASSERT_EQ(seen.size(), 1u) << "a handler saw the password";
    EXPECT_EQ(seen[0].find("hunter2"), std::string::npos);
    const auto letters = dead_letters(1);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].headers.at("dlq.reason"), "sensitive_data");
    EXPECT_NE(letters[0].headers.at("dlq.error").find("data.credentials.password"), std::string::npos);
    EXPECT_EQ(letters[0].headers.at("dlq.error").find("hunter2"), std::string::npos);

    seen.clear();
    auto c = settings();
    c.validation.on_sensitive = sensitive_field_policy::redact;
    auto redacting = options({"patient.created"}, "redacting");
    redacting.database_path = dir.file("redacting.db");
    redacting.max_events = 2;
    consumer second(c, redacting);
    second.on("patient.created", remember);
    EXPECT_EQ(second.run().applied, 2u);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].find("hunter2"), std::string::npos) << seen[0];
    EXPECT_NE(seen[0].find(std::string(redacted_value)), std::string::npos) << seen[0];
}

}  // namespace domain_events::testing

namespace domain_events::testing {

void consumer_scenarios::an_event_in_a_topic_its_type_does_not_route_to_is_dead_lettered_unless_accepted() {
    const auto placed = topic("order.placed");
    create_topic(placed, 1);
    create_topic(topic("customer.created"), 1);  // subscribed too, and empty
    const auto misplaced = test_event("customer.created", "c1");  // a producer's routing bug
    const auto own = test_event("order.placed", "o1");
    produce_all(bootstrap(), {as_record(misplaced, placed), as_record(own, placed)});

    std::vector<std::string> seen;
    const auto remember = [&seen](const event& e, database&) { seen.push_back(e.event_type); };
    auto strict = options({"order.placed", "customer.created"}, "strict");
    strict.max_events = 2;
    consumer first(settings(), strict);
    first.otherwise(remember);
    EXPECT_EQ(first.run().dead_lettered, 1u);
    EXPECT_EQ(seen, std::vector<std::string>{"order.placed"}) << "a customer.created handler ran on the order topic";
    const auto letters = dead_letters(1);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].headers.at("dlq.reason"), "topic_mismatch");
    EXPECT_NE(letters[0].headers.at("dlq.error").find("routes to '" + topic("customer.created") + "'"),
              std::string::npos)
        << letters[0].headers.at("dlq.error");

    seen.clear();
    auto lenient = options({"order.placed", "customer.created"}, "lenient");
    lenient.database_path = dir.file("lenient.db");
    lenient.max_events = 2;
    lenient.accept_topic_mismatch = true;
    consumer second(settings(), lenient);
    second.otherwise(remember);
    EXPECT_EQ(second.run().applied, 2u);
    EXPECT_EQ(seen, (std::vector<std::string>{"customer.created", "order.placed"}));
}

// A message of 1 MB whose key and headers hold 210 KB: copied whole, its dead letter was larger
// than the dead-letter topic (and its producer) take, refused on every attempt, and run() threw
// without storing the offset, so every restart stopped on it again: the group stuck for good.
void consumer_scenarios::a_message_whose_key_and_headers_fill_its_dead_letter_is_dead_lettered_cut_and_the_rest_applied() {
    const auto source = topic("patient.created");
    create_topic(source, 1);
    const auto first = test_event("patient.created", "a1");
    const auto last = test_event("patient.created", "a2");
    const std::map<std::string, std::string> headers = {{"blob", std::string(190'000, 'b')}, {"trace", "t-2"}};
    produce_all(bootstrap(), {as_record(first, source), {source, std::string(20'000, 'k'), std::string(800'000, 'x'), headers},
                              as_record(last, source)});

    auto small = settings();  // the dead-letter topic then takes dead_letter_max_bytes + 64 KiB
    small.validation.max_payload_bytes = 64 * 1024;
    auto o = options({"patient.created"});
    o.max_events = 3;
    o.dead_letter_attempts = 2;
    consumer c(small, o);
    c.on("patient.created", record_effect);
    const auto counters = c.run();  // returns: the dead letter was delivered
    EXPECT_EQ(counters.applied, 2u);
    EXPECT_EQ(counters.dead_lettered, 1u);
    expect_each_applied_once({first.event_id, last.event_id});
    const auto letters = dead_letters(1);
    ASSERT_EQ(letters.size(), 1u);
    const auto& letter = letters[0];
    EXPECT_EQ(letter.headers.at("dlq.reason"), "too_large");
    EXPECT_EQ(letter.value.size(), 800'000u);
    EXPECT_EQ(letter.key, std::string(16 * 1024, 'k'));
    EXPECT_EQ(letter.headers.at("dlq.original.key.size"), "20000");
    EXPECT_EQ(letter.headers.at("trace"), "t-2");  // the original headers that fit are kept
    EXPECT_EQ(letter.headers.count("blob"), 0u);
    EXPECT_EQ(letter.headers.at("dlq.original.headers.dropped"), "1");
}

}  // namespace domain_events::testing
