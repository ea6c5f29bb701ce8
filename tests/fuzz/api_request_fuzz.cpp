// Fuzz target: arbitrary bytes as a request to the example REST API, answered as its HTTP
// server would (routing, limits, the JSON body, the error mapping) on a real SQLite database.
// Input: a method line, a path line, a Content-Type line, then the body. Whatever the input,
// the answer is a 2xx/4xx with a JSON body (or none); a 5xx, an exception out of `handle`, a
// crash or a sanitizer report is a finding.
#include <domain_events/config.hpp>
#include <domain_events/ops/http_server.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "api_server.hpp"

namespace de = domain_events;

namespace {

std::filesystem::path make_temp_dir() {
    char name[] = "/tmp/fuzz_api_request_XXXXXX";
    if (::mkdtemp(name) == nullptr) std::abort();
    return name;
}

// One server for the whole run (opening the database and its schema per input would be most of
// the time), its directory removed at exit. Kafka off: the relay is not what is fuzzed.
struct fuzzed_api {
    std::filesystem::path dir = make_temp_dir();
    healthcore::api::server server{[this] {
        de::config c;
        c.kafka_enabled = false;
        c.database_path = (dir / "api.db").string();
        return c;
    }()};
    ~fuzzed_api() {
        server.stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

healthcore::api::server& api() {
    static fuzzed_api instance;
    return instance.server;
}

std::string_view take_line(std::string_view& input) {
    const auto end = input.find('\n');
    const auto line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    de::http_request request;
    request.method = take_line(input);
    request.path = take_line(input);
    if (const auto type = take_line(input); !type.empty()) request.headers["Content-Type"] = type;
    request.body = input;
    request.headers["Content-Length"] = std::to_string(request.body.size());
    const auto answer = api().handle(std::move(request));
    if (answer.status < 200 || answer.status >= 500) std::abort();
    if (!answer.body.empty() && !nlohmann::json::accept(answer.body)) std::abort();
    return 0;
}
