// The example REST API tried as an attacker would: bodies in every encoding, lies about types,
// out-of-range ids, invalid UTF-8, wrong methods and media types. The contract: a 4xx naming the
// field for anything a client sent, never a 5xx, never a word of the request echoed back, and
// nothing written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <domain_events/config.hpp>
#include <domain_events/kafka/embedded_cluster.hpp>

#include "prefixed_config.hpp"
#include "api_server.hpp"
#include "raw_http.hpp"
#include "temp_dir.hpp"

namespace de = domain_events;
namespace dt = domain_events::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class api_requests_test : public ::testing::Test {
protected:
    dt::temp_dir dir;
    de::embedded_cluster cluster{1};
    healthcore::api::server api{settings()};

    de::config settings() const {
        auto c = de::testing::prefixed_config();
        c.bootstrap_servers = cluster.bootstrap_servers();
        c.topic_prefix = "hostile";
        c.database_path = dir.file("api.db");
        return c;
    }

    static de::http_request post(std::string path, std::string body, std::string content_type = "application/json") {
        de::http_request r;
        r.method = "POST";
        r.path = std::move(path);
        r.headers["Content-Type"] = std::move(content_type);
        r.headers["Content-Length"] = std::to_string(body.size());
        r.body = std::move(body);
        return r;
    }

    static std::string patient_body(const std::string& national_id) {
        return json{{"name", "Ada"}, {"email", "ada@example.org"}, {"date_of_birth", "1815-12-10"}, {"national_id", national_id}}.dump();
    }
};

TEST_F(api_requests_test, malformed_json_is_400_without_echoing_the_text) {
    const auto answer = api.handle(post("/api/v1/patients/", R"({"name": "Ada", "national_id": "SECRET-123-45)"));
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(json::parse(answer.body).at("field"), "body");
    EXPECT_THAT(answer.body, Not(HasSubstr("SECRET")));
}

TEST_F(api_requests_test, invalid_utf8_in_a_body_is_400_not_500) {
    const auto answer = api.handle(post("/api/v1/patients/", "{\"name\": \"\xff\xfe\", \"email\": \"a@b.org\"}"));
    EXPECT_EQ(answer.status, 400);
}

// The header becomes every event's correlation id and a Kafka header: invalid UTF-8 was a 400
// naming `envelope` with nlohmann's internal text, and 12 KB of it was accepted into each event.
TEST_F(api_requests_test, an_x_request_id_that_is_not_a_short_plain_id_is_400_naming_the_header) {
    for (const auto& id : {std::string("\xff\xfe"), std::string(5000, 'r'), std::string("a b"), std::string("a\x01b")}) {
        auto request = post("/api/v1/patients/", patient_body("N3"));
        request.headers["X-Request-ID"] = id;
        const auto answer = api.handle(request);
        EXPECT_EQ(answer.status, 400) << id.substr(0, 20);
        EXPECT_EQ(json::parse(answer.body).at("field"), "X-Request-ID") << answer.body;
        EXPECT_THAT(answer.body, Not(HasSubstr("json.exception")));
        EXPECT_THAT(answer.body, Not(HasSubstr("rrrr")));
    }
    auto plain = post("/api/v1/patients/", patient_body("N4"));
    plain.headers["X-Request-ID"] = "req-8f14e45f";
    EXPECT_EQ(api.handle(plain).status, 201);
}

TEST_F(api_requests_test, an_id_past_int64_is_400_not_a_negative_id) {
    const auto created = api.handle(post("/api/v1/patients/", patient_body("N1")));
    ASSERT_EQ(created.status, 201) << created.body;
    for (const auto* id : {"9223372036854775808", "18446744073709551615", "-1", "0"}) {
        const auto answer = api.handle(post("/api/v1/appointments/",
                                            std::string(R"({"patient_id": )") + id +
                                                R"(, "doctor": "Dr. Who", "reason": "x", "scheduled_at": "2030-01-01T09:00:00Z"})"));
        EXPECT_EQ(answer.status, 400) << id;
        EXPECT_EQ(json::parse(answer.body).at("field"), "patient_id") << id;
    }
    de::http_request r;
    r.method = "GET";
    r.path = "/api/v1/patients/99999999999999999999";
    const auto answer = api.handle(r);
    EXPECT_EQ(answer.status, 400);
    EXPECT_THAT(answer.body, Not(HasSubstr("99999999999999999999")));
}

TEST_F(api_requests_test, a_wrong_method_is_405_with_allow_and_a_wrong_media_type_415) {
    de::http_request r;
    r.method = "PATCH";
    r.path = "/api/v1/patients/1";
    const auto wrong_method = api.handle(r);
    EXPECT_EQ(wrong_method.status, 405);
    ASSERT_EQ(wrong_method.headers.size(), 1u);
    EXPECT_EQ(wrong_method.headers[0].second, "GET, PUT, DELETE, HEAD");
    EXPECT_EQ(api.handle(post("/api/v1/patients/", patient_body("N2"), "text/plain")).status, 415);
    auto gzipped = post("/api/v1/patients/", std::string("\x1f\x8b\x08\x00", 4));
    gzipped.headers["Content-Encoding"] = "gzip";
    EXPECT_EQ(api.handle(gzipped).status, 415);
}

// Found by Schemathesis: invalid UTF-8 in the header failed the event's serialization (400 on
// field `envelope`, with the JSON library's exception text), and any length up to the header
// limit was copied into every event.
TEST_F(api_requests_test, an_x_request_id_not_short_visible_ascii_is_400_naming_it_and_writes_nothing) {
    const std::string marker = "Zq9MARKER";
    for (const auto& id : {marker + "\xff\xfe", marker + "\x01", marker + " b", marker + std::string(128, 'a')}) {
        auto r = post("/api/v1/patients/", patient_body("N3"));
        r.headers["X-Request-ID"] = id;
        const auto answer = api.handle(r);
        EXPECT_EQ(answer.status, 400) << answer.body;
        EXPECT_EQ(json::parse(answer.body).at("field"), "X-Request-ID") << answer.body;
        EXPECT_THAT(answer.body, Not(HasSubstr(marker)));
    }
    de::http_request list;
    list.method = "GET";
    list.path = "/api/v1/patients/";
    EXPECT_EQ(api.handle(list).body, "[]\n");

    auto longest = post("/api/v1/patients/", patient_body("N4"));
    longest.headers["X-Request-ID"] = std::string(127, '~') + "!";
    EXPECT_EQ(api.handle(longest).status, 201);
}

TEST_F(api_requests_test, a_chunked_body_over_64_kib_is_413_over_the_socket) {
    const int port = api.start("127.0.0.1", 0);
    dt::raw_connection c(port);
    ASSERT_TRUE(c.send("POST /api/v1/patients/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
    for (int i = 0; i < 640 && c.send(chunk); ++i) {
    }
    ASSERT_TRUE(c.send("0\r\n\r\n"));
    const auto response = c.read_response(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(dt::status_of(*response), 413);
}

// Whatever the method, path, headers or body, the answer is never a 5xx and never repeats the
// marker planted in the request.
TEST_F(api_requests_test, no_request_gets_a_5xx_or_sees_its_content_repeated) {
    const std::string marker = "Zq9MARKER";
    const std::vector<std::string> methods{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", marker};
    const std::vector<std::string> paths{"/", "/api/v1/patients/", "/api/v1/patients/1", "/api/v1/patients/x" + marker,
                                         "/api/v1/appointments/1/cancel", "/api/v1/appointments/1/complete",
                                         "/api/v1/patients/1/appointments", "/" + marker, "/api/v1/patients/" + std::string(5000, '9')};
    const std::vector<std::string> bodies{"", "{}", "[]", "null", "{\"name\": \"" + marker + "\"}", "{\"" + marker + " is not a name\": 1}",
                                          std::string(100, '[') , "{\"patient_id\": \"" + marker + "\"}", "\xff" + marker,
                                          "{\"reason\": 1e999}", "{\"date_of_birth\": \"" + marker + "\"}"};
    int requests = 0;
    for (const auto& m : methods) {
        for (const auto& p : paths) {
            for (const auto& b : bodies) {
                de::http_request r = post(p, b);
                r.method = m;
                const auto answer = api.handle(r);
                ++requests;
                EXPECT_LT(answer.status, 500) << m << " " << p << " " << b.substr(0, 40) << ": " << answer.body;
                EXPECT_THAT(answer.body, Not(HasSubstr(marker))) << m << " " << p << " " << b.substr(0, 40);
            }
        }
    }
    EXPECT_EQ(requests, 8 * 9 * 11);
}

}  // namespace
