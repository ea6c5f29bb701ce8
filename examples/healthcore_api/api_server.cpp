#include "api_server.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <array>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <domain_events/bounded_json.hpp>
#include <domain_events/storage/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/storage/group_commit.hpp>
#include <domain_events/ops/http_server.hpp>
#include <domain_events/logging.hpp>
#include <domain_events/publish/model_signals.hpp>
#include <domain_events/publish/publisher.hpp>

#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/errors.hpp>
#include <healthcore/patient.hpp>

#include "openapi_document.hpp"  // generated from openapi.json by the build
#include "request_reading.hpp"

namespace healthcore::api {
namespace {

namespace de = domain_events;
using json = nlohmann::json;

// ---- writing responses -------------------------------------------------------------------------

json to_json(const patient& p) {
    json out = event_data(p);  // the public fields, never the national id
    out.erase("patient_id");
    out["id"] = p.id;
    out["version"] = p.version;
    return out;
}

json to_json(const appointment& a) {
    json out = event_data(a);
    out.erase("appointment_id");
    out["id"] = a.id;
    out["created_at"] = format_time(a.created_at);
    out["updated_at"] = format_time(a.updated_at);
    out["version"] = a.version;
    return out;
}

de::http_response reply(int status, const json& body) { return de::json_response(status, body); }

// 201 with the new resource and where to find it.
de::http_response reply_created(const std::string& collection, std::int64_t id, const json& body) {
    auto answer = reply(201, body);
    answer.headers.emplace_back("Location", collection + std::to_string(id));
    return answer;
}

// A refusal by the domain or of the request, as its status; nullopt for anything else.
std::optional<de::http_response> refusal_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const not_found& e) {
        return de::json_error(404, e.what(), e.field());
    } catch (const domain_error& e) {
        return de::json_error(409, e.what(), e.field());
    } catch (const de::validation_error& e) {
        return de::json_error(400, e.what(), e.field());
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace

// ---- the server --------------------------------------------------------------------------------

struct server::state {
    // Configured before any member below copies the settings (the publisher, the relay).
    explicit state(de::config c) : settings((configure(c), std::move(c))) {}

    de::config settings;
    de::database db{settings.database_path};  // the schema's and the publisher's set-up connection
    bool schema_installed = (install_schema(db), true);  // before anything below uses the tables
    de::model_signals signals;
    de::publisher publisher{db, signals, settings};
    de::relay relay{settings};
    de::scoped_connection wake = relay.wake_on_commit(publisher);  // declared after the relay it wakes
    de::http_router routes;
    std::mutex lifecycle;  // guards http and its start/stop
    std::unique_ptr<de::http_server> http;

    // A connection and repositories; a database belongs to one thread at a time.
    struct request_scope {
        explicit request_scope(state& s)
            : db(s.settings.database_path), patients(db, s.signals), appointments(db, s.publisher) {}
        de::database db;
        patient_repository patients;
        appointment_repository appointments;
    };

    // Writes share transactions (group commit): concurrent requests' writes commit together, each
    // in its savepoint, each answered after the shared COMMIT without an event loop waiting for it.
    // The group's bodies run one at a time on its connection, so one set of repositories over it
    // serves them all.
    de::group_commit writes{de::database_options{.path = settings.database_path}};
    struct write_scope {
        write_scope(de::database& shared, state& s) : patients(shared, s.signals), appointments(shared, s.publisher) {}
        patient_repository patients;
        appointment_repository appointments;
    };
    std::optional<write_scope> writer;  // made by the first body, on the group's connection
    using write = std::function<de::http_response(write_scope&)>;

    // A write route: `prepare` reads the request on the event loop and returns the write, which
    // the group commit runs; its answer goes out after the COMMIT.
    template <class Prepare>
    de::http_router::deferred_handler write_route(Prepare prepare) {
        return [this, prepare](const de::http_request& req, de::http_responder answer) {
            write work;
            try {
                work = prepare(req);
            } catch (...) {
                if (auto refusal = refusal_of(std::current_exception())) return answer(std::move(*refusal));
                throw;  // the router's 500, logged with the route
            }
            auto result = std::make_shared<std::optional<de::http_response>>();
            writes.post(
                [this, work = std::move(work), result](de::database& shared) {
                    if (!writer) writer.emplace(shared, *this);
                    result->emplace(work(*writer));
                },
                [result, answer](std::exception_ptr failure) {
                    if (!failure) return answer(std::move(**result));
                    if (auto refusal = refusal_of(failure)) return answer(std::move(*refusal));
                    try {
                        std::rethrow_exception(failure);
                    } catch (const std::exception& e) {
                        de::library_logger()->error("healthcore_api: a write failed: {}", e.what());
                    } catch (...) {
                    }
                    answer(de::json_error(500, "internal error"));
                });
        };
    }

    // Scopes kept between requests: opening a connection costs more than most requests.
    std::mutex idle_mutex;
    std::vector<std::unique_ptr<request_scope>> idle_scopes;

    std::unique_ptr<request_scope> take_scope() {
        {
            std::lock_guard lock(idle_mutex);
            if (!idle_scopes.empty()) {
                auto scope = std::move(idle_scopes.back());
                idle_scopes.pop_back();
                return scope;
            }
        }
        return std::make_unique<request_scope>(*this);
    }
    void give_back(std::unique_ptr<request_scope> scope) {
        std::lock_guard lock(idle_mutex);
        idle_scopes.push_back(std::move(scope));
    }

    // Wraps a reading handler: a pooled connection, and each refusal to its status.
    template <class Handler>
    de::http_router::handler guard(Handler handler) {
        return [this, handler](const de::http_request& req) -> de::http_response {
            auto scope = take_scope();
            try {
                auto answer = handler(*scope, req);
                give_back(std::move(scope));
                return answer;
            } catch (...) {
                // Anything but a refusal (a storage error) drops the scope's connection and becomes
                // the router's 500, logged with the route, never with the request's content.
                if (auto refusal = refusal_of(std::current_exception())) {
                    give_back(std::move(scope));
                    return std::move(*refusal);
                }
                throw;
            }
        };
    }

    void add_routes();
};

void server::state::add_routes() {
    const std::string patients = "/api/v1/patients/";
    const std::string appointments = "/api/v1/appointments/";
    const std::string id = R"((\d+))";
    const de::http_router::route_options json_body{.admit = {}, .json_body = true};
    using request = const de::http_request&;

    routes.add("GET", "/health", [this](request) {
        const auto c = relay.counters();
        const auto w = writes.counters();
        return reply(200, {{"status", "ok"},
                           {"relay", {{"running", relay.running()}, {"published", c.published}, {"pending", c.pending}}},
                           {"writes", {{"transactions", w.transactions}, {"committed", w.committed},
                                       {"rolled_back", w.rolled_back}, {"largest", w.largest}}}});
    });

    // The document the contract test checks the server against (tests/contract/), byte for byte.
    routes.add("GET", "/api/openapi.json", [](request) {
        return de::http_response{200, "application/json", std::string(openapi_document), {}};
    });

    routes.add_deferred("POST", patients, write_route([](request req) -> write {
        const auto body = body_with(req, patient_fields);
        const new_patient input{.name = required_string(body, "name"),
                                .email = required_string(body, "email"),
                                .phone = optional_string(body, "phone").value_or(""),
                                .date_of_birth = parse_date("date_of_birth", required_string(body, "date_of_birth")),
                                .national_id = required_string(body, "national_id")};
        return [input, context = context_of(req)](write_scope& w) {
            const auto created = w.patients.create(input, context);
            return reply_created("/api/v1/patients/", created.id, to_json(created));
        };
    }), json_body);
    routes.add("GET", patients, guard([](request_scope& s, request req) {
        const auto after = req.query.contains("after_id") ? parse_id("after_id", req.param("after_id")) : 0;
        json page = json::array();
        for (const auto& p : s.patients.list(after, 100)) page.push_back(to_json(p));
        return reply(200, page);
    }));
    routes.add("GET", patients + id, guard([](request_scope& s, request req) {
        return reply(200, to_json(s.patients.get(path_id(req))));
    }));
    routes.add_deferred("PUT", patients + id, write_route([](request req) -> write {
        const auto body = body_with(req, patient_fields);
        const patient_changes changes{.name = optional_string(body, "name"),
                                      .email = optional_string(body, "email"),
                                      .phone = optional_string(body, "phone"),
                                      .date_of_birth = optional_date(body, "date_of_birth"),
                                      .national_id = optional_string(body, "national_id")};
        return [patient_id = path_id(req), changes, context = context_of(req)](write_scope& w) {
            return reply(200, to_json(w.patients.update(patient_id, changes, context)));
        };
    }), json_body);
    routes.add("GET", patients + id + "/appointments", guard([](request_scope& s, request req) {
        const auto patient_id = s.patients.get(path_id(req)).id;  // 404 for a missing patient, not []
        json list = json::array();
        for (const auto& a : s.appointments.list_for_patient(patient_id)) list.push_back(to_json(a));
        return reply(200, list);
    }));
    routes.add_deferred("DELETE", patients + id, write_route([](request req) -> write {
        return [patient_id = path_id(req), context = context_of(req)](write_scope& w) {
            w.patients.remove(patient_id, context);
            return de::http_response{204, "application/json", "", {}};
        };
    }));

    routes.add_deferred("POST", appointments, write_route([](request req) -> write {
        const auto body = body_with(req, appointment_fields);
        const new_appointment input{.patient_id = required_id(body, "patient_id"),
                                    .doctor = required_string(body, "doctor"),
                                    .reason = required_string(body, "reason"),
                                    .scheduled_at = parse_time("scheduled_at", required_string(body, "scheduled_at"))};
        return [input, context = context_of(req)](write_scope& w) {
            const auto booked = w.appointments.book(input, context);
            return reply_created("/api/v1/appointments/", booked.id, to_json(booked));
        };
    }), json_body);
    routes.add("GET", appointments + id, guard([](request_scope& s, request req) {
        return reply(200, to_json(s.appointments.get(path_id(req))));
    }));
    routes.add_deferred("POST", appointments + id + "/cancel", write_route([](request req) -> write {
        const auto body = body_with(req, cancel_fields);
        return [appointment_id = path_id(req), reason = required_string(body, "reason"), context = context_of(req)](write_scope& w) {
            return reply(200, to_json(w.appointments.cancel(appointment_id, reason, context)));
        };
    }), json_body);
    routes.add_deferred("POST", appointments + id + "/complete", write_route([](request req) -> write {
        if (!req.body.empty()) (void)body_with(req, {});  // no fields, but a body must still be JSON
        return [appointment_id = path_id(req), context = context_of(req)](write_scope& w) {
            return reply(200, to_json(w.appointments.complete(appointment_id, context)));
        };
    }), json_body);
}

server::server(de::config settings) : state_(std::make_unique<state>(std::move(settings))) {
    state_->add_routes();
    state_->relay.start();
}

server::~server() { stop(); }

int server::start(const std::string& host, int port) {
    std::lock_guard lock(state_->lifecycle);
    if (state_->http) throw de::usage_error("healthcore_api: the server is already started");
    auto http = std::make_unique<de::http_server>(de::listen_address{host, port}, state_->routes, state_->settings.http);
    try {
        http->start();
    } catch (const de::config_error& e) {
        throw de::usage_error(std::string("healthcore_api: ") + e.what());
    }
    state_->http = std::move(http);
    return state_->http->port();
}

void server::stop() noexcept {
    try {
        std::lock_guard lock(state_->lifecycle);
        if (state_->http) {
            state_->http->stop();
            state_->http.reset();
        }
        state_->relay.stop();
    } catch (const std::exception& e) {
        de::library_logger()->error("healthcore_api: stopping: {}", e.what());
    }
}

de::http_response server::handle(de::http_request request) const {
    return state_->routes.dispatch(std::move(request), state_->settings.http.max_body_bytes);
}

de::relay& server::relay() noexcept { return state_->relay; }

}  // namespace healthcore::api
