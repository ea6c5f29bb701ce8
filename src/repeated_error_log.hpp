#pragma once
// Logs a failure that repeats (a full disk, a read-only file) once per interval with a count of
// the repeats, instead of once per retry. Internal; used by the loops that retry on their own.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace spdlog { class logger; }

namespace domain_events::detail {

class repeated_error_log {
public:
    using clock = std::chrono::steady_clock;

    /** @param what names the loop in each line (`relay`, `consumer orders`). */
    repeated_error_log(spdlog::logger& log, std::string what, std::chrono::milliseconds interval) noexcept
        : log_(log), what_(std::move(what)), interval_(interval) {}

    /**
     * @brief One failure: logged at error level when it differs from the previous one or the
     *        interval since the last line has passed (with how often it repeated meanwhile);
     *        counted only otherwise. Never throws.
     */
    void failed(std::string_view message, std::chrono::milliseconds retry_in, clock::time_point now) noexcept;
    /** @brief A success after failures: one info line saying so, and the count starts again. */
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
};

}  // namespace domain_events::detail
