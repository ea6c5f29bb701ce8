// A relay whose disk fills up: it must pause between attempts (not spin), log a bounded number of
// lines, say so in its counters, and publish the backlog by itself once there is room again.
// The disk is a 4 MiB tmpfs mounted for the test (root only: skipped otherwise).
#include <gtest/gtest.h>

#include <domain_events/consume/consumer.hpp>
#include <domain_events/relay/relay.hpp>
#include <domain_events/relay/relay_lease.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <sys/mount.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "prefixed_config.hpp"
#include "delivery_verifier.hpp"
#include "event_producer.hpp"
#include "mock_cluster_test.hpp"
#include "outbox_fill.hpp"

namespace de = domain_events;
using namespace std::chrono_literals;

namespace {

// Counts the lines logged at error level and above.
class counting_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::atomic<int> errors{0};
    std::atomic<int> lines{0};

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        ++lines;
        if (msg.level >= spdlog::level::err) ++errors;
    }
    void flush_() override {}
};

class small_disk {
public:
    explicit small_disk(const std::filesystem::path& at) : path_(at) {
        std::filesystem::create_directories(at);
        mounted_ = ::mount("tmpfs", at.c_str(), "tmpfs", 0, "size=4m") == 0;
    }
    ~small_disk() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    small_disk(const small_disk&) = delete;
    small_disk& operator=(const small_disk&) = delete;
    [[nodiscard]] bool mounted() const noexcept { return mounted_; }

    // Writes a file until the disk refuses; its size.
    std::size_t fill(const std::string& name) const {
        std::FILE* f = std::fopen((path_ / name).c_str(), "wb");
        if (f == nullptr) return 0;
        const std::string chunk(4096, 'x');
        std::size_t written = 0;
        for (int i = 0; i < 4096; ++i) {  // at most 16 MiB: bounded whatever the size of the disk
            if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size() || std::fflush(f) != 0) break;
            written += chunk.size();
        }
        std::fclose(f);
        return written;
    }

private:
    std::filesystem::path path_;
    bool mounted_ = false;
};

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class full_disk_test : public de::testing::mock_cluster_test {
protected:
    full_disk_test() : mock_cluster_test("fulldisk") {}
};

TEST_F(full_disk_test, a_relay_on_a_full_disk_backs_off_logs_little_and_drains_once_there_is_room) {
    small_disk disk(dir.path() / "disk");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    const auto path = (dir.path() / "disk" / "outbox.db").string();
    const std::vector<std::string> types = {"patient.created", "patient.updated"};
    create_topics(types);
    de::testing::fill_outbox(path, {.events = 2000, .aggregates = 20, .types = types});
    {
        // Another relay holds the lease for a moment, so this one opens its files and waits
        // without writing; the disk fills meanwhile, and its first write (taking the lease) fails.
        de::database db(path);
        de::relay_lease other(db, "other-relay", 1500ms);
        ASSERT_TRUE(other.try_acquire(de::now_ms()));
    }
    auto sink = std::make_shared<counting_sink>();
    de::relay_options options;
    options.logger = std::make_shared<spdlog::logger>("full-disk", sink);
    options.initial_backoff = 20ms;
    options.max_backoff = 500ms;
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = prefix;
    c.database_path = path;
    c.relay_poll_interval = 5ms;
    c.lease_period = 1500ms;
    de::relay relay(c, options);
    relay.start();
    ASSERT_GT(disk.fill("filler"), 0u);

    const auto cpu_before = cpu_seconds();
    std::this_thread::sleep_for(4s);  // the lease expires after 1.5 s: 2.5 s of failing writes
    const auto cpu_used = cpu_seconds() - cpu_before;
    const auto failing = relay.counters();
    EXPECT_GT(failing.consecutive_failures, 0u) << "the relay never failed: the disk did not fill";
    EXPECT_FALSE(failing.last_error.empty());
    EXPECT_LT(failing.consecutive_failures, 100u) << "retried without pausing";
    EXPECT_LE(sink->errors.load(), 4) << "a line per retry (before: 162,873 lines in 4 s)";
    EXPECT_LT(cpu_used, 2.0) << "the process used " << cpu_used << " s of CPU in 4 s while the disk was full";

    std::filesystem::remove(dir.path() / "disk" / "filler");
    ASSERT_TRUE(relay.wait_until_published(60s)) << relay.counters().last_error;
    EXPECT_EQ(relay.counters().consecutive_failures, 0u);
    const auto delivered = de::testing::verify_outbox_delivered(path, c, 60s);
    EXPECT_TRUE(delivered.ok()) << de::testing::describe(delivered);
    EXPECT_EQ(delivered.delivered, 2000u);
    relay.stop();
}

TEST_F(full_disk_test, a_consumer_on_a_full_disk_backs_off_and_applies_every_event_once_there_is_room) {
    small_disk disk(dir.path() / "disk");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    const auto topic = de::topic_for_event_type(prefix, "patient.created");
    cluster.create_topic(topic, 1, 3);
    auto c = de::testing::prefixed_config();
    c.bootstrap_servers = cluster.bootstrap_servers();
    c.topic_prefix = prefix;
    // The mock cluster lets a member that left the group hold it until its session times out:
    // short sessions keep the rejoin after the failure quick.
    c.kafka_properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    auto sink = std::make_shared<counting_sink>();
    de::consumer_options o;
    o.group_id = "full-disk";
    o.event_types = {"patient.created"};
    o.database_path = (dir.path() / "disk" / "consumer.db").string();
    o.max_events = 20;
    o.idle_exit = 120s;  // a bound: the test ends on max_events
    o.logger = std::make_shared<spdlog::logger>("full-disk-consumer", sink);
    {
        de::database setup(o.database_path);
        setup.execute("CREATE TABLE effects (event_id TEXT)");
    }
    de::consumer consumer(c, o);
    consumer.on("patient.created", [](const de::event& e, de::database& db) {
        // Fails with the disk full: SQLite's error, not the event's, so never dead-lettered.
        db.prepare("INSERT INTO effects (event_id) VALUES (?)")->bind_all(e.event_id).run();
    });
    ASSERT_GT(disk.fill("filler"), 0u);
    std::vector<de::testing::outgoing> records;
    for (int i = 0; i < 20; ++i) records.push_back(de::testing::as_record(de::testing::test_event("patient.created", "p" + std::to_string(i)), topic));
    de::testing::produce_all(cluster.bootstrap_servers(), records);

    de::consumer_counters finished;
    std::thread running([&] { finished = consumer.run(); });
    std::this_thread::sleep_for(6s);
    EXPECT_EQ(consumer.counters().applied, 0u) << "applied with no room to commit";
    EXPECT_GE(sink->errors.load(), 1) << "the failure was never logged";
    EXPECT_LE(sink->errors.load(), 4) << "a line per retry";
    std::filesystem::remove(dir.path() / "disk" / "filler");
    running.join();  // run() did not end on the storage error: it returns after the 20 events
    EXPECT_EQ(finished.applied, 20u);
    EXPECT_EQ(finished.dead_lettered, 0u);
    de::database db(o.database_path);
    auto count = db.prepare("SELECT count(*), count(DISTINCT event_id) FROM effects");
    ASSERT_TRUE(count->step());
    EXPECT_EQ(count->column_int64(0), 20);
    EXPECT_EQ(count->column_int64(1), 20);
}

}  // namespace
