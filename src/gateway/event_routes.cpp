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

// The 202 of one event, written out directly: it is built on the thread leading the group commit,
// for every request, and holds only an event id (a UUID, checked or made here) and a number.
http_response accepted_answer(const event& e, bool duplicate) {
    std::string body = duplicate ? std::string(R"({"duplicate":true,"event_id":")")
                                 : R"({"aggregate_version":)" + std::to_string(e.aggregate_version) +
                                       R"(,"duplicate":false,"event_id":")";
    body += e.event_id;
    body += "\",\"status\":\"accepted\"}\n";
    return {202, "application/json", std::move(body), {}};
}

constexpr std::string_view conflict_message =
    "event_id: an event with this id was accepted before with different content; nothing was written";

}  // namespace

http_response gateway_server::state::write_failed(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const storage_error& e) {
        // A failed shared COMMIT (a full disk, an I/O error): nothing was kept, the client may retry.
        if (std::uint64_t unlogged = 0; commit_failures.admit(std::chrono::steady_clock::now(), unlogged)) {
            log->error("gateway: committing events failed, nothing of those requests was kept ({} more since the last such line): {}",
                       unlogged, e.what());
        }
        return retry_later(503, "the events could not be committed to the outbox; nothing was written, retry",
                           gateway.back_pressure.retry_after);
    } catch (const std::exception& e) {
        log->error("gateway: writing events failed, nothing of that request was kept: {}", e.what());
    } catch (...) {
        log->error("gateway: writing events failed, nothing of that request was kept");
    }
    return json_error(500, "internal error");
}

void gateway_server::state::add_event_routes() {
    const auto gate = [this](std::string route, bool writes) {
        return http_route_options{
            .admit = [this, route, writes](const http_request& request) { return admit(request, route, writes); },
            .json_body = true};
    };

    // Read and checked on the HTTP loop; written by the group commit, answered after its COMMIT.
    routes.add_deferred("POST", "/api/v1/events", measured("/api/v1/events", [this](const http_request& request, http_responder answer) {
        json body;
        std::vector<incoming_event> events(1);
        try {
            body = body_of(request, settings);
            events[0] = intake.read(body);
        } catch (const validation_error& e) {
            metrics.refused(type_named_in(body));
            return answer(json_error(400, e.what(), e.field()));
        }
        writer.write_later(std::move(events), [this, answer](write_result&& written) {
            if (written.failure) return answer(write_failed(written.failure));
            const auto& e = written.events.at(0).e;
            switch (written.outcomes.at(0)) {
                case write_outcome::accepted:
                    metrics.accepted(e.event_type);
                    return answer(accepted_answer(e, false));
                case write_outcome::duplicate:
                    metrics.duplicate(e.event_type);
                    return answer(accepted_answer(e, true));
                case write_outcome::conflict:
                    break;
            }
            metrics.refused(e.event_type);
            answer(json_error(409, conflict_message, "event_id"));
        });
    }), gate("/api/v1/events", true));

    routes.add_deferred("POST", "/api/v1/events/batch", measured("/api/v1/events/batch", [this](const http_request& request, http_responder answer) {
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
            return answer(json_error(400, e.what(), e.field()));
        }
        const auto& entries = body["events"];
        auto results = std::make_shared<std::vector<json>>(entries.size());
        std::vector<incoming_event> valid;
        auto index_of_valid = std::make_shared<std::vector<std::size_t>>();
        valid.reserve(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) {
            try {
                valid.push_back(intake.read(entries[i], "events[" + std::to_string(i) + "]."));
                index_of_valid->push_back(i);
            } catch (const validation_error& e) {
                metrics.refused(type_named_in(entries[i]));
                (*results)[i] = refusal_entry(i, e);
            }
        }
        const auto finish = [this, answer, results, index_of_valid](const write_result& written) {
            std::size_t accepted = 0, duplicates = 0, conflicts = 0;
            for (std::size_t k = 0; k < written.events.size(); ++k) {
                const auto i = (*index_of_valid)[k];
                const auto& e = written.events[k].e;
                switch (written.outcomes[k]) {
                    case write_outcome::accepted:
                        ++accepted;
                        metrics.accepted(e.event_type);
                        (*results)[i] = {{"index", i}, {"status", "accepted"}, {"duplicate", false}, {"event_id", e.event_id}};
                        break;
                    case write_outcome::duplicate:
                        ++duplicates;
                        metrics.duplicate(e.event_type);
                        (*results)[i] = {{"index", i}, {"status", "accepted"}, {"duplicate", true}, {"event_id", e.event_id}};
                        break;
                    case write_outcome::conflict:
                        ++conflicts;
                        metrics.refused(e.event_type);
                        (*results)[i] = {{"index", i}, {"status", "conflict"}, {"error", conflict_message},
                                         {"field", "events[" + std::to_string(i) + "].event_id"}};
                        break;
                }
            }
            const auto refused = results->size() - accepted - duplicates;
            // 202 when anything of the batch is in the outbox (now or before); else why none is.
            const int status = accepted + duplicates > 0 ? 202 : (conflicts == refused ? 409 : 400);
            answer(json_response(status, {{"accepted", accepted}, {"duplicates", duplicates}, {"refused", refused},
                                          {"results", std::move(*results)}}));
        };
        if (valid.empty()) return finish(write_result{});
        writer.write_later(std::move(valid), [this, answer, finish](write_result&& written) {
            if (written.failure) return answer(write_failed(written.failure));
            finish(written);
        });
    }), gate("/api/v1/events/batch", true));

    routes.add_deferred("POST", "/api/v1/events/validate", measured("/api/v1/events/validate", [this](const http_request& request, http_responder answer) {
        try {
            const auto in = intake.read(body_of(request, settings));
            answer(json_response(200, {{"valid", true}, {"event_type", in.e.event_type}}));
        } catch (const validation_error& e) {
            answer(json_error(400, e.what(), e.field()));
        }
    }), gate("/api/v1/events/validate", false));
}

}  // namespace domain_events::gateway
