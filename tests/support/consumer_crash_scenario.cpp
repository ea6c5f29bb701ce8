// What a consumer does about messages that would harm it or its database, whoever produced them:
// the crash-loop breaker, with a handler that really kills its process (abort(), as a crash in a
// library would: without it every restart dies on the same message, the offset never moves and
// every later event waits for ever), and sensitive fields a foreign producer did not keep out.
#include <csignal>

#include <domain_events/topic_routing.hpp>

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

}  // namespace domain_events::testing
