// The gateway's event routes: POST /api/v1/events, /api/v1/events/batch, /api/v1/events/validate.
#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <domain_events/bounded_json.hpp>
#include <domain_events/error.hpp>

#include "gateway_state.hpp"

namespace domain_events::gateway {
namespace {

using json = nlohmann::json;

// The deepest body: a batch's `events` array (2) holding the event (3) whose data (4) nests as
// deep as the most permissive type allows (its depth counts the envelope as 1, data as 2).
std::size_t body_depth(const config& settings) { return settings.validation.max_depth + 2; }

json body_of(const http_request& request, const config& settings) {
    return parse_bounded_json(request.body, {request.body.size(), body_depth(settings)}, "body");
}

std::string type_named_in(const json& entry) {
    if (!entry.is_object()) return {};
    const auto it = entry.find("event_type");
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

json refusal_entry(std::size_t index, const validation_error& e) {
    return {{"index", index}, {"status", "refused"}, {"error", e.what()}, {"field", e.field()}};
}

constexpr std::string_view conflict_message =
    "event_id: an event with this id was accepted before with different content; nothing was written";

}  // namespace

void gateway_server::state::add_event_routes() {
    const auto gate = [this](std::string route, bool writes) {
        return http_route_options{
            .admit = [this, route, writes](const http_request& request) { return admit(request, route, writes); },
            .json_body = true};
    };
    const auto retry_after = gateway.back_pressure.retry_after;

    // A failed shared COMMIT (a full disk, an I/O error): nothing was kept, the client may retry.
    const auto commit_failed = [this, retry_after](const storage_error& e) {
        if (std::uint64_t unlogged = 0; commit_failures.admit(std::chrono::steady_clock::now(), unlogged)) {
            log->error("gateway: committing events failed, nothing of those requests was kept ({} more since the last such line): {}",
                       unlogged, e.what());
        }
        return retry_later(503, "the events could not be committed to the outbox; nothing was written, retry", retry_after);
    };

    routes.add("POST", "/api/v1/events", measured("/api/v1/events", [this, commit_failed](const http_request& request) {
        json body;
        incoming_event in;
        try {
            body = body_of(request, settings);
            in = intake.read(body);
        } catch (const validation_error& e) {
            metrics.refused(type_named_in(body));
            return json_error(400, e.what(), e.field());
        }
        std::vector<write_outcome> outcome;
        try {
            outcome = writer.write({&in, 1});
        } catch (const storage_error& e) {
            return commit_failed(e);
        }
        const auto& type = in.e.event_type;
        switch (outcome.at(0)) {
            case write_outcome::accepted:
                metrics.accepted(type);
                return json_response(202, {{"status", "accepted"}, {"duplicate", false}, {"event_id", in.e.event_id},
                                           {"aggregate_version", in.e.aggregate_version}});
            case write_outcome::duplicate:
                metrics.duplicate(type);
                return json_response(202, {{"status", "accepted"}, {"duplicate", true}, {"event_id", in.e.event_id}});
            case write_outcome::conflict:
                break;
        }
        metrics.refused(type);
        return json_error(409, conflict_message, "event_id");
    }), gate("/api/v1/events", true));

    routes.add("POST", "/api/v1/events/batch", measured("/api/v1/events/batch", [this, commit_failed](const http_request& request) {
        json body;
        try {
            body = body_of(request, settings);
            if (!body.is_object()) throw validation_error("body", std::string("expected a JSON object, got ") + body.type_name());
            for (const auto& [key, ignored] : body.items()) {
                if (key != "events") throw validation_error("body", "has a key other than events");
            }
            const auto events = body.find("events");
            if (events == body.end()) throw validation_error("events", "is required");
            if (!events->is_array()) throw validation_error("events", std::string("expected an array, got ") + events->type_name());
            if (events->empty() || events->size() > gateway.max_batch_events) {
                throw validation_error("events", "must hold 1 to " + std::to_string(gateway.max_batch_events) + " events");
            }
        } catch (const validation_error& e) {
            return json_error(400, e.what(), e.field());
        }
        const auto& entries = body["events"];
        std::vector<json> results(entries.size());
        std::vector<incoming_event> valid;
        std::vector<std::size_t> index_of_valid;
        valid.reserve(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) {
            try {
                valid.push_back(intake.read(entries[i], "events[" + std::to_string(i) + "]."));
                index_of_valid.push_back(i);
            } catch (const validation_error& e) {
                metrics.refused(type_named_in(entries[i]));
                results[i] = refusal_entry(i, e);
            }
        }
        std::vector<write_outcome> outcomes;
        if (!valid.empty()) {
            try {
                outcomes = writer.write(valid);
            } catch (const storage_error& e) {
                return commit_failed(e);
            }
        }
        std::size_t accepted = 0, duplicates = 0, conflicts = 0;
        for (std::size_t k = 0; k < valid.size(); ++k) {
            const auto i = index_of_valid[k];
            const auto& e = valid[k].e;
            switch (outcomes[k]) {
                case write_outcome::accepted:
                    ++accepted;
                    metrics.accepted(e.event_type);
                    results[i] = {{"index", i}, {"status", "accepted"}, {"duplicate", false}, {"event_id", e.event_id}};
                    break;
                case write_outcome::duplicate:
                    ++duplicates;
                    metrics.duplicate(e.event_type);
                    results[i] = {{"index", i}, {"status", "accepted"}, {"duplicate", true}, {"event_id", e.event_id}};
                    break;
                case write_outcome::conflict:
                    ++conflicts;
                    metrics.refused(e.event_type);
                    results[i] = {{"index", i}, {"status", "conflict"}, {"error", conflict_message},
                                  {"field", "events[" + std::to_string(i) + "].event_id"}};
                    break;
            }
        }
        const auto refused = entries.size() - accepted - duplicates;
        // 202 when anything of the batch is in the outbox (now or before); else why none is.
        const int status = accepted + duplicates > 0 ? 202 : (conflicts == refused ? 409 : 400);
        return json_response(status, {{"accepted", accepted}, {"duplicates", duplicates}, {"refused", refused},
                                       {"results", std::move(results)}});
    }), gate("/api/v1/events/batch", true));

    routes.add("POST", "/api/v1/events/validate", measured("/api/v1/events/validate", [this](const http_request& request) {
        try {
            const auto in = intake.read(body_of(request, settings));
            return json_response(200, {{"valid", true}, {"event_type", in.e.event_type}});
        } catch (const validation_error& e) {
            return json_error(400, e.what(), e.field());
        }
    }), gate("/api/v1/events/validate", false));
}

}  // namespace domain_events::gateway
