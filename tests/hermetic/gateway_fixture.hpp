#pragma once
// The gateway in-process over the mock cluster: a settings file of the test's own, requests
// answered through `gateway_server::handle` (routing, limits, refusals as over a socket).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include <domain_events/storage/database.hpp>
#include <domain_events/ops/http_server.hpp>
#include <domain_events/storage/outbox.hpp>

#include "gateway_server.hpp"
#include "gateway_settings.hpp"
#include "mock_cluster_test.hpp"
#include "prefixed_config.hpp"

namespace domain_events::testing {

/** A settings file accepting `order.placed` (card numbers refused) and `order.paid` (card numbers redacted). */
inline const char* const two_types_settings = R"({
  "event_types": {
    "order.placed": {"sensitive_fields": ["card_number"], "topic": {"partitions": 2}},
    "order.paid": {"sensitive_fields": ["card_number"], "sensitive_policy": "redact"}
  },
  "max_batch_events": 5
})";

class gateway_test : public mock_cluster_test {
protected:
    gateway_test() : mock_cluster_test("gateway") {}

    config settings() const {
        auto c = prefixed_config(prefix);
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.database_path = db_path;
        return c;
    }

    /** Starts the gateway with `text` as its settings file (over `base`). */
    gateway::gateway_server& start_gateway(const std::string& text = two_types_settings, config base = {}) {
        if (base.database_path == config{}.database_path) base = settings();
        if (!topics_created) create_topics({"order.placed", "order.paid"});
        topics_created = true;
        server = std::make_unique<gateway::gateway_server>(base, gateway::parse_gateway_settings(text, base.validation, "test.json"));
        return *server;
    }

    struct answer {
        int status = 0;
        nlohmann::json body;
        http_response raw;
    };

    answer send(const std::string& method, const std::string& path, const std::string& body = {},
                std::map<std::string, std::string, header_name_less> headers = {}) const {
        http_request request;
        request.method = method;
        request.path = path;
        request.body = body;
        request.headers = std::move(headers);
        if (!body.empty()) request.headers.emplace("Content-Type", "application/json");
        request.remote_address = "127.0.0.1";
        auto raw = server->handle(std::move(request));
        auto parsed = nlohmann::json::parse(raw.body, nullptr, false);
        return {raw.status, parsed.is_discarded() ? nlohmann::json() : parsed, std::move(raw)};
    }

    answer post(const std::string& path, const nlohmann::json& body,
                std::map<std::string, std::string, header_name_less> headers = {}) const {
        return send("POST", path, body.dump(), std::move(headers));
    }

    static nlohmann::json order(const std::string& id, nlohmann::json data = {{"total", 12}}) {
        return {{"event_type", "order.placed"}, {"aggregate_type", "order"}, {"aggregate_id", id}, {"data", std::move(data)}};
    }

    struct stored_event {
        std::string event_id;
        std::string event_type;
        nlohmann::json envelope;
    };

    /** Every row of the outbox, published or not, in commit order, through a connection of the test's own. */
    std::vector<stored_event> rows() const {
        database db(db_path);
        auto q = db.prepare("SELECT event_id, event_type, payload FROM domain_events_outbox ORDER BY position");
        std::vector<stored_event> out;
        while (q->step()) out.push_back({q->column_text(0), q->column_text(1), nlohmann::json::parse(q->column_text(2))});
        return out;
    }

    static std::string header(const http_response& r, const std::string& name) {
        for (const auto& [key, value] : r.headers) {
            if (key == name) return value;
        }
        return {};
    }

    std::unique_ptr<gateway::gateway_server> server;
    bool topics_created = false;
};

}  // namespace domain_events::testing
