// The consumer's batch applier without Kafka: an offset is stored only after its event's
// transaction committed; a handler that throws rolls the batch back and its earlier events are
// applied again, each in a savepoint, so only the failing event's writes are undone; an event that
// keeps failing is dead-lettered after the events before it committed, then its offset stored.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <domain_events/storage/database.hpp>
#include <domain_events/event.hpp>
#include <domain_events/consume/idempotency_store.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "consume/batch_applier.hpp"
#include "sql_scalar.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dd = domain_events::detail;

namespace {

// What the applier sent out, in order, with how many effects were committed at each step.
class recording_outlet final : public dd::batch_outlet {
public:
    explicit recording_outlet(std::string path) : path_(std::move(path)) {}

    void store_offsets(const dd::offset_batch& offsets) override {
        for (const auto& e : offsets.entries()) {
            said.push_back("store " + e.topic + "/" + std::to_string(e.partition) + " next " +
                           std::to_string(e.next_offset) + " (committed " + std::to_string(committed()) + ")");
        }
    }
    bool send_to_dead_letter_topic(const de::detail::kafka_message&, const dd::message_position& at,
                                   de::dead_letter_reason reason, const std::string& error_text, int attempts) override {
        said.push_back("dead letter " + std::string(at.topic) + "/" + std::to_string(at.partition) + "@" +
                       std::to_string(at.offset) + " " + std::string(de::to_string(reason)) + " after " +
                       std::to_string(attempts) + ": " + error_text + " (committed " + std::to_string(committed()) + ")");
        return true;
    }

    std::vector<std::string> said;

private:
    // What another connection sees.
    std::int64_t committed() const {
        de::database other(path_);
        return de::testing::scalar(other, "SELECT count(*) FROM effects");
    }
    std::string path_;
};

class batch_applier : public ::testing::Test {
protected:
    batch_applier() {
        db.execute("CREATE TABLE effects (event_id TEXT NOT NULL)");
        options.group_id = "g";
        options.initial_backoff = std::chrono::milliseconds{1};
        options.max_backoff = std::chrono::milliseconds{1};
        options.max_handler_attempts = 3;
    }

    dd::batch_applier::outcome apply(int n, const de::event_handler& handler) {
        auto e = de::make_event("patient.created", "patient", std::to_string(n), 1, {{"n", n}});
        e.event_id = "e" + std::to_string(n);
        return applier.apply(nullptr, {"t", 0, n}, std::move(e), handler, 0);
    }
    std::int64_t effects_of(const std::string& event_id) {
        return de::testing::scalar(db, "SELECT count(*) FROM effects WHERE event_id = '" + event_id + "'");
    }

    de::testing::temp_dir dir;
    de::database db{dir.file("consumer.db")};
    de::idempotency_store store{db, "g"};
    dd::crash_journal journal{""};
    de::consumer_options options;
    std::shared_ptr<spdlog::logger> log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    dd::stop_request stop;
    dd::consumer_tally tally;
    dd::consumer_progress progress;
    dd::retry_pacer storage_retries{*log, "consumer g", std::chrono::seconds{30}, std::chrono::milliseconds{1},
                                    std::chrono::milliseconds{1}};
    recording_outlet outlet{dir.file("consumer.db")};
    dd::batch_applier applier{{options, *log, stop, tally, progress, storage_retries, outlet}, db, store, journal};

    std::map<std::string, int> runs;  // handler runs per event
    de::event_handler writes = [this](const de::event& e, de::database& d) {
        ++runs[e.event_id];
        d.execute("INSERT INTO effects VALUES ('" + e.event_id + "')");
    };
};

}  // namespace

TEST_F(batch_applier, offsets_are_stored_only_once_the_batch_committed) {
    EXPECT_EQ(apply(1, writes), dd::batch_applier::outcome::done);
    EXPECT_EQ(apply(2, writes), dd::batch_applier::outcome::done);
    EXPECT_TRUE(applier.batch_open());
    EXPECT_TRUE(outlet.said.empty()) << "nothing stored while the batch is open";
    applier.finish_batch();
    EXPECT_EQ(outlet.said, std::vector<std::string>{"store t/0 next 3 (committed 2)"});
    EXPECT_EQ(tally.applied.load(), 2u);
    EXPECT_FALSE(applier.batch_open());
}

TEST_F(batch_applier, a_throwing_handler_undoes_only_its_own_writes_and_the_earlier_events_are_kept) {
    bool failed_once = false;
    const de::event_handler fails_once_on_e3 = [&](const de::event& e, de::database& d) {
        writes(e, d);  // a partial write, to be undone
        if (e.event_id == "e3" && !failed_once) {
            failed_once = true;
            throw std::runtime_error("the clinic service timed out");
        }
    };
    EXPECT_EQ(apply(1, fails_once_on_e3), dd::batch_applier::outcome::done);
    EXPECT_EQ(apply(2, fails_once_on_e3), dd::batch_applier::outcome::done);
    EXPECT_EQ(apply(3, fails_once_on_e3), dd::batch_applier::outcome::done);
    applier.finish_batch();
    EXPECT_EQ(runs["e1"], 2) << "applied again, in a savepoint, after the rollback";
    EXPECT_EQ(runs["e2"], 2);
    EXPECT_EQ(runs["e3"], 2);
    EXPECT_EQ(effects_of("e1"), 1);
    EXPECT_EQ(effects_of("e2"), 1);
    EXPECT_EQ(effects_of("e3"), 1) << "the failed attempt's write was rolled back";
    EXPECT_EQ(outlet.said, (std::vector<std::string>{"store t/0 next 3 (committed 2)",
                                                     "store t/0 next 4 (committed 3)"}))
        << "the earlier events commit before the retry's pause";
    EXPECT_EQ(tally.handler_retries.load(), 1u);
    EXPECT_EQ(tally.applied.load(), 3u);
}

TEST_F(batch_applier, an_event_failing_every_attempt_is_dead_lettered_after_the_events_before_it_committed) {
    const de::event_handler fails_on_e2 = [&](const de::event& e, de::database& d) {
        writes(e, d);
        if (e.event_id == "e2") throw std::runtime_error("no such patient");
    };
    EXPECT_EQ(apply(1, fails_on_e2), dd::batch_applier::outcome::done);
    EXPECT_EQ(apply(2, fails_on_e2), dd::batch_applier::outcome::done);
    EXPECT_EQ(runs["e2"], 3);
    EXPECT_EQ(outlet.said, (std::vector<std::string>{
                               "store t/0 next 2 (committed 1)",
                               "dead letter t/0@2 handler_failed after 3: no such patient (committed 1)",
                               "store t/0 next 3 (committed 1)"}));
    EXPECT_EQ(effects_of("e2"), 0);
    EXPECT_FALSE(store.contains("e2"));
    EXPECT_EQ(tally.handler_retries.load(), 2u);
}

TEST_F(batch_applier, a_stop_during_a_retry_pause_abandons_the_event_unstored) {
    const de::event_handler fails = [](const de::event&, de::database&) { throw std::runtime_error("down"); };
    stop.request();
    EXPECT_EQ(apply(1, fails), dd::batch_applier::outcome::abandoned);
    EXPECT_TRUE(outlet.said.empty()) << "read again after a restart";
    EXPECT_FALSE(store.contains("e1"));
}

TEST_F(batch_applier, a_batch_whose_commit_hook_fails_stores_nothing_and_is_taken_back_from_the_count) {
    options.after_commit = [](const de::event&) { throw std::runtime_error("killed here"); };
    EXPECT_EQ(apply(1, writes), dd::batch_applier::outcome::done);
    applier.dealt_with();
    EXPECT_EQ(applier.handled(), 1u);
    EXPECT_THROW(applier.finish_batch(), std::runtime_error);
    EXPECT_TRUE(outlet.said.empty()) << "no offset without its hook having run";
    EXPECT_EQ(applier.handled(), 0u) << "the batch's messages are read again";
    EXPECT_FALSE(applier.batch_open());
}

TEST_F(batch_applier, a_skipped_message_and_a_duplicate_have_their_offsets_stored_with_the_batch) {
    ASSERT_TRUE(db.atomic([&] { return store.record("e1", 1); }));
    EXPECT_EQ(apply(1, writes), dd::batch_applier::outcome::done);
    applier.skip(nullptr, {"t", 1, 7});
    applier.finish_batch();
    EXPECT_EQ(runs["e1"], 0);
    EXPECT_EQ(tally.duplicates.load(), 1u);
    EXPECT_EQ(outlet.said, (std::vector<std::string>{"store t/0 next 2 (committed 0)",
                                                     "store t/1 next 8 (committed 0)"}));
}
