#include "api_server.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <array>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <type_traits>

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

namespace healthcore::api {
namespace {

namespace de = domain_events;
using json = nlohmann::json;

// ---- reading requests: every refusal is a validation_error naming the field -------------------

json body_object(const de::http_request& req) {
    // The error names where the text broke, never what it said (it may hold personal data).
    const json body = de::parse_bounded_json(req.body, {req.body.size(), de::default_max_json_depth}, "body");
    if (!body.is_object()) throw de::validation_error("body", std::string("expected a JSON object, got ") + body.type_name());
    return body;
}

// A name a client may have mistyped (`emial`), safe to repeat; any other key may be data.
bool looks_like_a_field_name(std::string_view key) {
    return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A typo'd field would otherwise be ignored silently and the client would think it was saved.
void refuse_unknown_fields(const json& body, std::span<const std::string_view> known) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        if (looks_like_a_field_name(key)) throw de::validation_error(key, "is not a field of this resource");
        throw de::validation_error("body", "has a key that is not a field of this resource");
    }
}

// The body as an object holding only `fields` (each optional here; handlers require theirs).
json body_with(const de::http_request& req, std::span<const std::string_view> fields) {
    auto body = body_object(req);
    refuse_unknown_fields(body, fields);
    return body;
}

// Type errors name the JSON type only, never the value (it may be the national id).
std::optional<std::string> optional_string(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw de::validation_error(field, std::string("expected a string, got a ") + it->type_name());
    return it->get<std::string>();
}

std::string required_string(const json& body, const char* field) {
    auto value = optional_string(body, field);
    if (!value) throw de::validation_error(field, "is required");
    return std::move(*value);
}

std::int64_t required_id(const json& body, const char* field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) throw de::validation_error(field, "is required");
    if (!it->is_number_integer()) throw de::validation_error(field, std::string("expected an integer, got a ") + it->type_name());
    // An unsigned 2^63 or more would wrap to a negative id: refused as out of range instead.
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        throw de::validation_error(field, "is out of range (an id is 1 to 9223372036854775807)");
    const auto id = it->get<std::int64_t>();
    if (id < 1) throw de::validation_error(field, "is out of range (an id is 1 to 9223372036854775807)");
    return id;
}

// The text is not repeated: it is whatever the client put in the URL.
std::int64_t parse_id(const char* field, const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || id < 0)
        throw de::validation_error(field, "is not an id (digits, 0 to 9223372036854775807)");
    return id;
}

std::int64_t path_id(const de::http_request& req) { return parse_id("id", req.captures.at(0)); }

std::optional<std::chrono::year_month_day> optional_date(const json& body, const char* field) {
    auto text = optional_string(body, field);
    return text ? std::optional(parse_date(field, *text)) : std::nullopt;
}

constexpr std::size_t max_request_id_bytes = 128;

// The caller's X-Request-ID becomes the events' correlation id, so a request can be traced to
// Kafka. It goes into every event of the request and a Kafka header: bounded, and visible ASCII
// like an id (anything else failed the envelope's serialization far from the header at fault).
de::publish_context context_of(const de::http_request& req) {
    de::publish_context context;
    auto id = req.header("X-Request-ID");
    if (id.empty()) return context;
    if (id.size() > max_request_id_bytes)
        throw de::validation_error("X-Request-ID", "is " + std::to_string(id.size()) + " bytes, at most " +
                                                       std::to_string(max_request_id_bytes) + " allowed");
    if (!std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; }))
        throw de::validation_error("X-Request-ID", "must be visible ASCII ('!' to '~'), no spaces or controls");
    context.correlation_id = std::move(id);
    return context;
}

constexpr std::array<std::string_view, 5> patient_fields{"name", "email", "phone", "date_of_birth", "national_id"};
constexpr std::array<std::string_view, 4> appointment_fields{"patient_id", "doctor", "reason", "scheduled_at"};
constexpr std::array<std::string_view, 1> cancel_fields{"reason"};

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
    // in its savepoint, each answered after the shared COMMIT. The group's bodies run one at a
    // time on its connection, so one set of repositories over it serves them all.
    de::group_commit writes{de::database_options{.path = settings.database_path}};
    struct write_scope {
        write_scope(de::database& shared, state& s) : patients(shared, s.signals), appointments(shared, s.publisher) {}
        patient_repository patients;
        appointment_repository appointments;
    };
    std::optional<write_scope> writer;  // made by the first body, on the group's connection

    template <class Write>
    auto write(Write&& work) {
        return writes.run([&](de::database& shared) {
            if (!writer) writer.emplace(shared, *this);
            return work(*writer);
        });
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

    // Wraps a handler: each error type to its status, and a pooled connection for one that reads.
    template <class Handler>
    de::http_router::handler guard(Handler handler) {
        return [this, handler](const de::http_request& req) -> de::http_response {
            // A handler of the request alone writes through the group commit: no pooled connection.
            constexpr bool takes_no_scope = std::is_invocable_v<const Handler&, const de::http_request&>;
            std::unique_ptr<request_scope> scope;
            if constexpr (!takes_no_scope) scope = take_scope();
            const auto release = [&] { if (scope) give_back(std::move(scope)); };
            try {
                de::http_response answer;
                if constexpr (takes_no_scope) {
                    answer = handler(req);
                } else {
                    answer = handler(*scope, req);
                }
                release();
                return answer;
            } catch (const not_found& e) {
                release();
                return de::json_error(404, e.what(), e.field());
            } catch (const domain_error& e) {
                release();
                return de::json_error(409, e.what(), e.field());
            } catch (const de::validation_error& e) {
                release();
                return de::json_error(400, e.what(), e.field());
            }
            // Anything else (a storage error) drops the scope's connection and becomes the
            // router's 500, logged with the route, never with the request's content.
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

    routes.add("POST", patients, guard([this](request req) {
        const auto body = body_with(req, patient_fields);
        const new_patient input{.name = required_string(body, "name"),
                                .email = required_string(body, "email"),
                                .phone = optional_string(body, "phone").value_or(""),
                                .date_of_birth = parse_date("date_of_birth", required_string(body, "date_of_birth")),
                                .national_id = required_string(body, "national_id")};
        const auto context = context_of(req);
        const auto created = write([&](write_scope& w) { return w.patients.create(input, context); });
        return reply_created("/api/v1/patients/", created.id, to_json(created));
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
    routes.add("PUT", patients + id, guard([this](request req) {
        const auto body = body_with(req, patient_fields);
        const auto patient_id = path_id(req);
        const patient_changes changes{.name = optional_string(body, "name"),
                                      .email = optional_string(body, "email"),
                                      .phone = optional_string(body, "phone"),
                                      .date_of_birth = optional_date(body, "date_of_birth"),
                                      .national_id = optional_string(body, "national_id")};
        const auto context = context_of(req);
        return reply(200, to_json(write([&](write_scope& w) { return w.patients.update(patient_id, changes, context); })));
    }), json_body);
    routes.add("GET", patients + id + "/appointments", guard([](request_scope& s, request req) {
        const auto patient_id = s.patients.get(path_id(req)).id;  // 404 for a missing patient, not []
        json list = json::array();
        for (const auto& a : s.appointments.list_for_patient(patient_id)) list.push_back(to_json(a));
        return reply(200, list);
    }));
    routes.add("DELETE", patients + id, guard([this](request req) {
        const auto patient_id = path_id(req);
        const auto context = context_of(req);
        write([&](write_scope& w) { w.patients.remove(patient_id, context); });
        return de::http_response{204, "application/json", "", {}};
    }));

    routes.add("POST", appointments, guard([this](request req) {
        const auto body = body_with(req, appointment_fields);
        const new_appointment input{.patient_id = required_id(body, "patient_id"),
                                    .doctor = required_string(body, "doctor"),
                                    .reason = required_string(body, "reason"),
                                    .scheduled_at = parse_time("scheduled_at", required_string(body, "scheduled_at"))};
        const auto context = context_of(req);
        const auto booked = write([&](write_scope& w) { return w.appointments.book(input, context); });
        return reply_created("/api/v1/appointments/", booked.id, to_json(booked));
    }), json_body);
    routes.add("GET", appointments + id, guard([](request_scope& s, request req) {
        return reply(200, to_json(s.appointments.get(path_id(req))));
    }));
    routes.add("POST", appointments + id + "/cancel", guard([this](request req) {
        const auto body = body_with(req, cancel_fields);
        const auto appointment_id = path_id(req);
        const auto reason = required_string(body, "reason");
        const auto context = context_of(req);
        return reply(200, to_json(write([&](write_scope& w) { return w.appointments.cancel(appointment_id, reason, context); })));
    }), json_body);
    routes.add("POST", appointments + id + "/complete", guard([this](request req) {
        if (!req.body.empty()) body_with(req, {});  // no fields, but a body must still be JSON
        const auto appointment_id = path_id(req);
        const auto context = context_of(req);
        return reply(200, to_json(write([&](write_scope& w) { return w.appointments.complete(appointment_id, context); })));
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
