// The example API's OpenAPI document: the server serves the repository's file byte for byte
// (built in by the build, so the two cannot drift), and every operation it documents is routed.
// Schemathesis checks the answers against it (tests/contract/healthcore_api_schemathesis.sh).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <domain_events/config.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>

#include "api_server.hpp"
#include "build_tree.hpp"
#include "prefixed_config.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using json = nlohmann::json;

namespace {

class healthcore_api_openapi_test : public ::testing::Test {
protected:
    dt::temp_dir dir;
    de::embedded_cluster cluster{1};
    healthcore::api::server api{settings()};

    de::config settings() const {
        auto c = de::testing::prefixed_config("openapi");
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.database_path = dir.file("api.db");
        return c;
    }

    de::http_response get(std::string path) const {
        de::http_request r;
        r.method = "GET";
        r.path = std::move(path);
        return api.handle(std::move(r));
    }
};

TEST_F(healthcore_api_openapi_test, serves_the_repositorys_document_byte_for_byte) {
    const auto file = dt::file_bytes(HEALTHCORE_OPENAPI);
    ASSERT_FALSE(file.empty()) << HEALTHCORE_OPENAPI;
    const auto answer = get("/api/openapi.json");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.content_type, "application/json");
    EXPECT_EQ(answer.body, file) << "the server was built from another openapi.json than " << HEALTHCORE_OPENAPI;
    EXPECT_EQ(json::parse(answer.body).at("openapi"), "3.1.0");
}

// A documented operation the router does not know would answer its own 404 (no `field`) or 405.
TEST_F(healthcore_api_openapi_test, every_documented_operation_is_routed) {
    const auto document = json::parse(dt::file_bytes(HEALTHCORE_OPENAPI));
    int operations = 0;
    for (const auto& [path_template, item] : document.at("paths").items()) {
        std::string path = path_template;
        if (const auto brace = path.find("{id}"); brace != std::string::npos) path.replace(brace, 4, "1");
        for (const auto& [method, operation] : item.items()) {
            if (method == "parameters") continue;
            de::http_request r;
            for (const char c : method) r.method += static_cast<char>(c - 'a' + 'A');
            r.path = path;
            const auto answer = api.handle(std::move(r));
            const auto body = answer.body.empty() ? json::object() : json::parse(answer.body);
            EXPECT_NE(answer.status, 405) << method << " " << path_template << ": " << answer.body;
            EXPECT_FALSE(answer.status == 404 && !body.contains("field"))
                << method << " " << path_template << " is documented but not routed: " << answer.body;
            EXPECT_TRUE(operation.at("responses").contains(std::to_string(answer.status)))
                << method << " " << path_template << " answered " << answer.status << ", not documented";
            ++operations;
        }
    }
    EXPECT_EQ(operations, 12);
}

}  // namespace
