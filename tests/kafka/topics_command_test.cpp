// `domain-events topics ensure` against the real broker: it creates the topics a file lists,
// is idempotent (a second run reports matches), and reports a topic whose settings differ
// from the file, exiting 1 and leaving the topic as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "build_tree.hpp"
#include "child_process.hpp"
#include "kafka_client.hpp"
#include "kafka_tier.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;

namespace {

class topics_command : public de::testing::kafka_tier {
protected:
    de::testing::temp_dir dir;
    int runs = 0;

    std::pair<int, nlohmann::json> ensure(const std::string& file_text) {
        const auto file = dir.file("topics-" + std::to_string(++runs) + ".json");
        std::ofstream(file) << file_text;
        const auto [code, out] = de::testing::run_command(
            {DOMAIN_EVENTS_CLI, "topics", "ensure", "--config", file, "--bootstrap-servers", bootstrap_, "--json"},
            {{"LOG_LEVEL", "off"}}, dir.file("run-" + std::to_string(runs) + ".log"));
        const auto report = nlohmann::json::parse(out, nullptr, false);
        EXPECT_FALSE(report.is_discarded()) << out;
        return {code, report};
    }
    static std::vector<std::string> outcomes(const nlohmann::json& report) {
        std::vector<std::string> out;
        for (const auto& t : report.at("topics")) out.push_back(t.at("outcome"));
        return out;
    }
};

TEST_F(topics_command, creates_then_matches_then_reports_a_difference) {
    const auto a = de::testing::unique_topic("opsensure.a");
    const auto b = de::testing::unique_topic("opsensure.b");
    const auto file = R"({"defaults": {"partitions": 2, "replication_factor": 1},
        "topics": [{"name": ")" + a + R"("}, {"name": ")" + b + R"(", "partitions": 4, "retention_ms": 3600000}]})";

    const auto [created_code, created] = ensure(file);
    EXPECT_EQ(created_code, 0) << created;
    EXPECT_EQ(outcomes(created), (std::vector<std::string>{"created", "created"}));
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, a).size(), 2u);
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, b).size(), 4u);

    const auto [again_code, again] = ensure(file);
    EXPECT_EQ(again_code, 0) << again;
    EXPECT_EQ(outcomes(again), (std::vector<std::string>{"matches", "matches"})) << "idempotent";

    const auto changed = R"({"topics": [{"name": ")" + a + R"(", "partitions": 2, "replication_factor": 1},
        {"name": ")" + b + R"(", "partitions": 8, "replication_factor": 1, "retention_ms": 7200000}]})";
    const auto [differs_code, differs] = ensure(changed);
    EXPECT_EQ(differs_code, 1) << "a deploy script must notice";
    EXPECT_EQ(outcomes(differs), (std::vector<std::string>{"matches", "differs"}));
    const auto detail = differs.at("topics")[1].at("detail").get<std::string>();
    EXPECT_THAT(detail, ::testing::HasSubstr("partitions: want 8, have 4"));
    EXPECT_THAT(detail, ::testing::HasSubstr("retention"));
    EXPECT_EQ(de::testing::replica_counts(bootstrap_, b).size(), 4u) << "left as it was";
}

}  // namespace
