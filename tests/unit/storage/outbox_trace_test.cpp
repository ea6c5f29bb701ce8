// The outbox keeps each event's W3C trace context (schema version 5): written with the event,
// shown to the relay, kept by the dead letters and sent again by a replay; rows of an older
// file have none.
#include <gtest/gtest.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/storage/outbox.hpp>

#include "storage/outbox_schema.hpp"
#include "old_outbox_rows.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

constexpr const char* traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

de::event traced(const std::string& id) {
    auto e = de::make_event("patient.created", "patient", id, 1, {{"n", 1}});
    e.metadata.traceparent = traceparent;
    e.metadata.tracestate = "rojo=00f067aa0ba902b7";
    return e;
}

TEST(outbox_trace, a_version_4_file_keeps_its_rows_without_a_trace_and_takes_traced_ones_after_the_upgrade) {
    de::testing::temp_dir dir;
    de::database db(dir.file("v4.db"));
    de::detail::install_outbox_schema(db, 4);
    db.atomic([&] { de::testing::append_before_schema_5(db, de::make_event("patient.created", "patient", "old", 1, {})); });

    de::outbox::install(db);
    de::outbox box(db);
    db.atomic([&] { box.append(traced("new")); });

    const auto rows = box.next_batch(10);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].aggregate_id, "old");
    EXPECT_FALSE(rows[0].traceparent);
    EXPECT_FALSE(rows[0].tracestate);
    EXPECT_EQ(rows[1].traceparent, traceparent);
    EXPECT_EQ(rows[1].tracestate, "rojo=00f067aa0ba902b7");
    std::vector<std::optional<std::string>> shown;
    box.visit_pending(10, 0, [&](const de::outbox_message& m) {
        shown.push_back(m.traceparent ? std::optional<std::string>(*m.traceparent) : std::nullopt);
        return true;
    });
    EXPECT_EQ(shown, (std::vector<std::optional<std::string>>{std::nullopt, traceparent}));
}

TEST(outbox_trace, a_dead_letter_keeps_the_trace_and_its_replay_sends_it_again) {
    de::testing::temp_dir dir;
    de::database db(dir.file("outbox.db"));
    de::outbox::install(db);
    de::outbox box(db);
    const auto position = db.atomic([&] { return box.append(traced("p-1")); });
    box.move_to_dead_letters(position, "MSG_SIZE_TOO_LARGE", de::now_ms());

    const auto letters = box.dead_letters(10);
    ASSERT_EQ(letters.size(), 1u);
    EXPECT_EQ(letters[0].traceparent, traceparent);
    EXPECT_EQ(letters[0].tracestate, "rojo=00f067aa0ba902b7");

    box.replay_dead_letter(letters[0].id, de::now_ms());
    const auto rows = box.next_batch(10);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].traceparent, traceparent);
    EXPECT_EQ(rows[0].tracestate, "rojo=00f067aa0ba902b7");
    const auto message = de::message_of(rows[0]);
    EXPECT_EQ(message.traceparent, traceparent);
}

}  // namespace
