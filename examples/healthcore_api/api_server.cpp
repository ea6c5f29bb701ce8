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

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <domain_events/bounded_json.hpp>
#include <domain_events/database.hpp>
#include <domain_events/error.hpp>
#include <domain_events/model_signals.hpp>
#include <domain_events/publisher.hpp>

#include <healthcore/appointment.hpp>
#include <healthcore/clinic.hpp>
#include <healthcore/errors.hpp>
#include <healthcore/patient.hpp>

namespace healthcore::api {
namespace {

namespace de = domain_events;
using json = nlohmann::json;

// ---- reading requests: every refusal is a validation_error naming the field -------------------

json body_object(const httplib::Request& req) {
    // The error names where the text broke, never what it said (it may hold personal data).
    const json body = de::parse_bounded_json(req.body, {req.body.size(), de::default_max_json_depth}, "body");
    if (!body.is_object()) throw de::validation_error("body", std::string("expected a JSON object, got ") + body.type_name());
    return body;
}

// A typo'd field would otherwise be ignored silently and the client would think it was saved.
void refuse_unknown_fields(const json& body, std::span<const std::string_view> known) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end())
            throw de::validation_error(key, "is not a field of this resource");
    }
}

// The body as an object holding only `fields` (each optional here; handlers require theirs).
json body_with(const httplib::Request& req, std::span<const std::string_view> fields) {
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
    return it->get<std::int64_t>();
}

std::int64_t parse_id(const char* field, const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw de::validation_error(field, "'" + text + "' is not a valid id");
    return id;
}

std::int64_t path_id(const httplib::Request& req) { return parse_id("id", req.matches[1]); }

std::optional<std::chrono::year_month_day> optional_date(const json& body, const char* field) {
    auto text = optional_string(body, field);
    return text ? std::optional(parse_date(field, *text)) : std::nullopt;
}

// The caller's X-Request-ID becomes the events' correlation id, so a request can be traced to Kafka.
de::publish_context context_of(const httplib::Request& req) {
    de::publish_context context;
    if (req.has_header("X-Request-ID")) context.correlation_id = req.get_header_value("X-Request-ID");
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

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

// 201 with the new resource and where to find it.
void reply_created(httplib::Response& res, const std::string& collection, std::int64_t id, const json& body) {
    res.set_header("Location", collection + std::to_string(id));
    reply(res, 201, body);
}

void reply_error(httplib::Response& res, int status, const std::string& field, const std::string& message) {
    reply(res, status, {{"error", message}, {"field", field}});
}

}  // namespace

// ---- the server --------------------------------------------------------------------------------

struct server::state {
    explicit state(de::config c) : settings(std::move(c)) { configure(settings); }

    de::config settings;
    de::database db{settings.database_path};  // the schema's and the publisher's set-up connection
    bool schema_installed = (install_schema(db), true);  // before anything below uses the tables
    de::model_signals signals;
    de::publisher publisher{db, signals, settings};
    de::relay relay{settings};
    de::scoped_connection wake = relay.wake_on_commit(publisher);  // declared after the relay it wakes
    httplib::Server http;
    std::mutex lifecycle;  // guards listener and its start/stop
    std::thread listener;

    // Each request runs on its own connection and repositories: a database belongs to one thread.
    struct request_scope {
        explicit request_scope(state& s)
            : db(s.settings.database_path), patients(db, s.signals), appointments(db, s.publisher) {}
        de::database db;
        patient_repository patients;
        appointment_repository appointments;
    };

    // Wraps a handler: its own connection and repositories, and each error type to its status.
    template <class Handler>
    httplib::Server::Handler guard(Handler handler) {
        return [this, handler](const httplib::Request& req, httplib::Response& res) {
            try {
                request_scope scope(*this);
                handler(scope, req, res);
            } catch (const not_found& e) {
                reply_error(res, 404, e.field(), e.what());
            } catch (const domain_error& e) {
                reply_error(res, 409, e.field(), e.what());
            } catch (const de::validation_error& e) {
                reply_error(res, 400, e.field(), e.what());
            } catch (const std::exception& e) {
                // Storage errors name the SQL, never the bound values, so the message is safe to log.
                spdlog::error("healthcore_api: {} {} failed: {}", req.method, req.path, e.what());
                reply_error(res, 500, "", "internal error");
            }
            spdlog::debug("healthcore_api: {} {} -> {}", req.method, req.path, res.status);
        };
    }

    void add_routes();
};

void server::state::add_routes() {
    const std::string patients = "/api/v1/patients/";
    const std::string appointments = "/api/v1/appointments/";
    const std::string id = R"((\d+))";

    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
        const auto c = relay.counters();
        reply(res, 200, {{"status", "ok"}, {"relay", {{"running", relay.running()}, {"published", c.published},
                                                      {"pending", c.pending}}}});
    });

    http.Post(patients, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        const auto body = body_with(req, patient_fields);
        const auto created = s.patients.create(
            {.name = required_string(body, "name"),
             .email = required_string(body, "email"),
             .phone = optional_string(body, "phone").value_or(""),
             .date_of_birth = parse_date("date_of_birth", required_string(body, "date_of_birth")),
             .national_id = required_string(body, "national_id")},
            context_of(req));
        reply_created(res, "/api/v1/patients/", created.id, to_json(created));
    }));
    http.Get(patients, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        const auto after = req.has_param("after_id") ? parse_id("after_id", req.get_param_value("after_id")) : 0;
        json page = json::array();
        for (const auto& p : s.patients.list(after, 100)) page.push_back(to_json(p));
        reply(res, 200, page);
    }));
    http.Get(patients + id, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        reply(res, 200, to_json(s.patients.get(path_id(req))));
    }));
    http.Put(patients + id, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        const auto body = body_with(req, patient_fields);
        reply(res, 200,
              to_json(s.patients.update(path_id(req),
                                        {.name = optional_string(body, "name"),
                                         .email = optional_string(body, "email"),
                                         .phone = optional_string(body, "phone"),
                                         .date_of_birth = optional_date(body, "date_of_birth"),
                                         .national_id = optional_string(body, "national_id")},
                                        context_of(req))));
    }));
    http.Get(patients + id + "/appointments", guard([](request_scope& s, const httplib::Request& req,
                                                       httplib::Response& res) {
        const auto patient_id = s.patients.get(path_id(req)).id;  // 404 for a missing patient, not []
        json list = json::array();
        for (const auto& a : s.appointments.list_for_patient(patient_id)) list.push_back(to_json(a));
        reply(res, 200, list);
    }));
    http.Delete(patients + id, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        s.patients.remove(path_id(req), context_of(req));
        res.status = 204;
    }));

    http.Post(appointments, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        const auto body = body_with(req, appointment_fields);
        const auto booked = s.appointments.book(
            {.patient_id = required_id(body, "patient_id"),
             .doctor = required_string(body, "doctor"),
             .reason = required_string(body, "reason"),
             .scheduled_at = parse_time("scheduled_at", required_string(body, "scheduled_at"))},
            context_of(req));
        reply_created(res, "/api/v1/appointments/", booked.id, to_json(booked));
    }));
    http.Get(appointments + id, guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
        reply(res, 200, to_json(s.appointments.get(path_id(req))));
    }));
    http.Post(appointments + id + "/cancel",
          guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
              const auto body = body_with(req, cancel_fields);
              reply(res, 200, to_json(s.appointments.cancel(path_id(req), required_string(body, "reason"),
                                                            context_of(req))));
          }));
    http.Post(appointments + id + "/complete",
          guard([](request_scope& s, const httplib::Request& req, httplib::Response& res) {
              if (!req.body.empty()) body_with(req, {});  // no fields, but a body must still be JSON
              reply(res, 200, to_json(s.appointments.complete(path_id(req), context_of(req))));
          }));
}

server::server(de::config settings) : state_(std::make_unique<state>(std::move(settings))) {
    state_->http.set_payload_max_length(64 * 1024);
    state_->add_routes();
    state_->relay.start();
}

server::~server() { stop(); }

int server::start(const std::string& host, int port) {
    std::lock_guard lock(state_->lifecycle);
    if (state_->listener.joinable()) throw de::usage_error("healthcore_api: the server is already started");
    const int bound = port == 0 ? state_->http.bind_to_any_port(host) : (state_->http.bind_to_port(host, port) ? port : -1);
    if (bound < 0) throw de::usage_error("healthcore_api: cannot listen on " + host + ":" + std::to_string(port));
    state_->listener = std::thread([this] { state_->http.listen_after_bind(); });
    // The socket already accepts connections (they queue); wait until the accept loop runs so that
    // stop() cannot come before it and miss it. httplib offers no notification, so poll, bounded.
    for (int i = 0; i < 5000 && !state_->http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    if (!state_->http.is_running()) spdlog::warn("healthcore_api: the accept loop did not start within 5 s");
    return bound;
}

void server::stop() noexcept {
    try {
        std::lock_guard lock(state_->lifecycle);
        state_->http.stop();
        if (state_->listener.joinable()) state_->listener.join();
        state_->relay.stop();
    } catch (const std::exception& e) {
        spdlog::error("healthcore_api: stopping: {}", e.what());
    }
}

de::relay& server::relay() noexcept { return state_->relay; }

}  // namespace healthcore::api
