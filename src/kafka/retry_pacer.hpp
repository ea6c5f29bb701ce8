#pragma once
// Paces a loop that retries on its own after failures (a full disk, a read-only file): a pause
// that grows with each failure in a row (capped, with jitter), and a log line once per interval
// with the count of repeats instead of one per retry. Internal.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/backoff.hpp"

namespace spdlog { class logger; }

namespace domain_events::detail {

class retry_pacer {
public:
    using clock = std::chrono::steady_clock;

    /**
     * @param what names the loop in each line (`relay`, `consumer orders`).
     * @param initial, max the first pause and the cap of the doubling ones.
     */
    retry_pacer(spdlog::logger& log, std::string what, std::chrono::milliseconds interval,
                std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : log_(log), what_(std::move(what)), interval_(interval), pause_(initial, max) {}

    /**
     * @brief One failure: logged at error level when it differs from the previous one or the
     *        interval since the last line has passed (with how often it repeated meanwhile);
     *        counted only otherwise. Never throws.
     * @return how long to pause before the next try.
     */
    std::chrono::milliseconds failed(std::string_view message, clock::time_point now) noexcept;
    /** @brief A success after failures: one info line saying so; count and pause start again. */
    void recovered(clock::time_point now) noexcept;

    /** @brief Failures since the last success. */
    [[nodiscard]] std::uint64_t consecutive() const noexcept { return consecutive_; }

private:
    spdlog::logger& log_;
    std::string what_;
    std::chrono::milliseconds interval_;
    std::string last_message_;
    clock::time_point last_line_{};
    clock::time_point first_failure_{};
    std::uint64_t unlogged_ = 0;
    std::uint64_t consecutive_ = 0;
    backoff pause_;
};

}  // namespace domain_events::detail
