#pragma once
// The one boundary between the library and a librdkafka client: the rd_kafka_t, the opaque its
// callbacks find, its log routing and its fatal-error state, and the noexcept trampolines through
// which every callback reaches C++ code. Internal.
#include <librdkafka/rdkafka.h>

#include <optional>
#include <string>
#include <string_view>

#include "kafka/kafka_handles.hpp"
#include "kafka/kafka_log.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/**
 * @brief Owns one librdkafka client for an object (the owner) that handles its callbacks.
 *
 * The owner holds it as its last member, so the handle dies first while everything its callbacks
 * touch still lives. Callbacks run on the thread that polls (delivery reports, errors, rebalances,
 * commits, statistics) except log lines, which librdkafka's own threads send.
 */
class kafka_client : private kafka_log_target {
public:
    /** @param who starts every line it logs and every error it records, e.g. "relay producer". */
    kafka_client(void* owner, spdlog::logger& log, std::string who) noexcept;
    ~kafka_client();

    kafka_client(const kafka_client&) = delete;
    kafka_client& operator=(const kafka_client&) = delete;

    /**
     * @brief Creates the client from `conf` (callbacks already set): makes this object its
     *        opaque and routes its logs to the logger.
     * @throws config_error "<config_name>: cannot create a Kafka client: <librdkafka's reason>".
     */
    void open(rd_kafka_type_t type, kafka_conf conf, std::string_view config_name);

    /** @brief Destroys the client now (its owner's destructor may need that before other members go). */
    void destroy() noexcept { handle_.reset(); }

    [[nodiscard]] rd_kafka_t* get() const noexcept { return handle_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
    [[nodiscard]] spdlog::logger& log() const noexcept { return *logger; }
    [[nodiscard]] void* owner() const noexcept { return owner_; }

    /**
     * @brief The error that ended this client, if any: librdkafka's fatal error, or a callback
     *        that threw (its effect on the owner's state is unknown). The owner replaces or gives
     *        up the client. Read on the polling thread.
     */
    [[nodiscard]] const std::optional<std::string>& fatal_error() const noexcept { return fatal_; }

    /**
     * @brief The body of an error callback: a fatal error is recorded and logged as an error;
     *        anything else is a transient error librdkafka retries by itself, logged as a warning.
     */
    void report_error(int error, const char* reason);

    /** @brief Records the exception being handled (call it in a catch block) as the fatal error. */
    void record_callback_failure() noexcept;

    /** @brief The opaque handed to librdkafka, and back. */
    [[nodiscard]] void* opaque() noexcept { return static_cast<kafka_log_target*>(this); }
    [[nodiscard]] static kafka_client& from_opaque(void* opaque) noexcept {
        return static_cast<kafka_client&>(*static_cast<kafka_log_target*>(opaque));
    }

private:
    void* owner_;
    std::string who_;
    std::optional<std::string> fatal_;
    kafka_handle handle_;
};

/**
 * @brief `kafka_callback<&owner::member>::call` is a C callback for librdkafka: it finds the
 *        owner through the client's opaque, calls `member` with the callback's arguments (less
 *        the client and the opaque), and never lets an exception reach C: it records it in the
 *        client instead (`fatal_error`), and returns a value-initialised result (0 for a
 *        statistics callback: librdkafka frees the document).
 */
template <auto member>
struct kafka_callback;

template <class Owner, class Result, class... Args, Result (Owner::*member)(Args...)>
struct kafka_callback<member> {
    static Result call(rd_kafka_t* /*client*/, Args... args, void* opaque) noexcept {
        auto& client = kafka_client::from_opaque(opaque);
        try {
            return (static_cast<Owner*>(client.owner())->*member)(args...);
        } catch (...) {
            client.record_callback_failure();
            return Result();
        }
    }
};

}  // namespace domain_events::detail
