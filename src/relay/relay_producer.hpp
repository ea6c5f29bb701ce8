#pragma once
// The relay's librdkafka producer: idempotent, gapless, never timing messages out on its own,
// with every delivery report turned into a `delivery` the relay loop acts on. Internal.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain_events/detail/handles.hpp"
#include "domain_events/storage/outbox.hpp"
#include "publish/record_writer.hpp"
#include "kafka/kafka_log.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

/** @brief The outcome of one produced message. */
struct delivery {
    std::int64_t position = 0;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string reason;  ///< librdkafka's text, empty on success
};

/**
 * @brief What the relay fixes in the producer configuration; the user's properties come on top.
 * @param max_record_bytes the largest record validation accepts (`kafka_record_bytes`).
 * @throws config_error naming a user property that would break ordering or refuse such a record.
 */
[[nodiscard]] std::map<std::string, std::string> relay_producer_properties(const std::string& bootstrap_servers,
                                                                           std::chrono::milliseconds linger,
                                                                           std::size_t max_record_bytes,
                                                                           const std::map<std::string, std::string>& user);

/** @brief True for refusals that will not change on retry (the event is dead-lettered after N). */
[[nodiscard]] bool is_permanent_refusal(rd_kafka_resp_err_t error) noexcept;

class relay_producer : private kafka_log_target {
public:
    /**
     * @param format the records it makes of outbox rows (record_writer.hpp).
     * @throws config_error when librdkafka refuses a property.
     */
    relay_producer(const std::map<std::string, std::string>& properties, spdlog::logger& log_to,
                   envelope_format format = envelope_format::native);
    ~relay_producer();

    relay_producer(const relay_producer&) = delete;
    relay_producer& operator=(const relay_producer&) = delete;

    /**
     * @brief Queues `message` for `topic` as the record its format makes of it (key aggregate
     *        id), copying what it needs. @return librdkafka's immediate error (e.g. QUEUE_FULL,
     *        MSG_SIZE_TOO_LARGE; _INVALID_ARG, logged, for a row no CloudEvent can be made of),
     *        NO_ERROR when queued.
     */
    rd_kafka_resp_err_t produce(const outbox_message& message, const std::string& topic);

    /** @brief Serves delivery reports and errors for up to `timeout`. */
    void poll(std::chrono::milliseconds timeout);

    /**
     * @brief Moves the delivery reports served since the last call into `out` (cleared first);
     *        the two buffers swap, so steady traffic allocates nothing.
     */
    void take_deliveries(std::vector<delivery>& out);

    /** @brief Messages produced whose delivery report has not been taken yet. */
    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }

    /** @brief Fails everything queued or in flight (reports with _PURGE_QUEUE/_PURGE_INFLIGHT). */
    void purge();

    /** @brief The fatal error that ended this producer, if any (then it must be replaced). */
    [[nodiscard]] const std::optional<std::string>& fatal_error() const noexcept { return fatal_; }

private:
    static relay_producer& from(void* opaque) {
        return static_cast<relay_producer&>(*static_cast<kafka_log_target*>(opaque));
    }
    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* self);
    static void on_error(rd_kafka_t*, int error, const char* reason, void* self);

    rd_kafka_topic_t* topic_handle_for(const std::string& topic);

    record_writer writer_;
    std::vector<delivery> deliveries_;
    std::size_t in_flight_ = 0;
    std::optional<std::string> fatal_;
    kafka_handle client_;  // destroyed after the topic handles, before the members its callbacks touch
    /// Looked up by name once, not per message (producev by name looks the topic up each time).
    std::map<std::string, kafka_topic, std::less<>> topics_;
};

}  // namespace domain_events::detail
