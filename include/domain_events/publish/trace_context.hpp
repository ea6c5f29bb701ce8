#pragma once
/** @file
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * an event carries from the operation that published it to the handlers that apply it, as the
 * Kafka headers of the same names (docs/interop.md, "Tracing").
 */
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace domain_events {

/**
 * @brief The most `tracestate` characters an event carries: the spec's "SHOULD propagate at
 *        least 512", as this library's documented maximum.
 */
inline constexpr std::size_t max_tracestate_chars = 512;
/** @brief The most `tracestate` list members the spec allows. */
inline constexpr std::size_t max_tracestate_members = 32;
/** @brief A received `tracestate` member longer than this is the first dropped to fit (the spec's rule). */
inline constexpr std::size_t long_tracestate_member = 128;

/**
 * @brief A valid `traceparent` (trace id, parent id, flags), always written as version 00, with
 *        its `tracestate` (empty for none). A value of this type is valid by construction.
 */
class trace_context {
public:
    /**
     * @brief Reads a value an application gives, strictly. `traceparent`: version 00 is exactly
     *        `00-<32 hex>-<16 hex>-<2 hex>`, lower-case, neither id all zeros; a higher version is
     *        read as the spec says (at least 55 characters, the same three fields, each followed
     *        by `-` or the end) and written back as version 00; version `ff` is refused.
     *        `tracestate`: comma-separated `key=value` members (blanks around them and empty
     *        members allowed), keys `[a-z0-9][a-z0-9_\-*\/@]{0,255}`, values 1 to 256 printable
     *        ASCII characters but `,` and `=`, not ending in a space; each key once; at most 32
     *        members and `max_tracestate_chars` once written without blanks (as `tracestate()` gives it).
     * @param field_prefix put before `traceparent` / `tracestate` in an error's field.
     * @throws validation_error naming the field and the rule broken (never echoing a tracestate value).
     */
    [[nodiscard]] static trace_context parse(std::string_view traceparent, std::string_view tracestate = {},
                                             std::string_view field_prefix = "metadata.");

    /**
     * @brief Reads values received from outside (a Kafka message's headers), which are never a
     *        reason to refuse the message: nullopt for a `traceparent` that is not valid (the W3C
     *        rule: the trace restarts; its `tracestate` is then not read). The `tracestate` keeps
     *        its valid members, each key's first, at most 32, and is cut to `max_tracestate_chars`
     *        by whole members: those over `long_tracestate_member` characters first, then from the end.
     * @throws std::bad_alloc only.
     */
    [[nodiscard]] static std::optional<trace_context> receive(std::string_view traceparent, std::string_view tracestate);

    /**
     * @brief A new span of the same trace: the same trace id, flags and tracestate, and a fresh
     *        random parent id (the id of the operation that now runs, e.g. a consumer's handler).
     */
    [[nodiscard]] trace_context child() const;

    /** @brief 32 lower-case hexadecimal digits. */
    [[nodiscard]] std::string_view trace_id() const noexcept { return std::string_view(traceparent_).substr(3, 32); }
    /** @brief 16 lower-case hexadecimal digits: the span of the operation that set this context. */
    [[nodiscard]] std::string_view parent_id() const noexcept { return std::string_view(traceparent_).substr(36, 16); }
    /** @brief The trace flags; bit 0 is `sampled`. */
    [[nodiscard]] std::uint8_t flags() const noexcept;
    /** @brief `00-<trace id>-<parent id>-<flags>`, 55 characters. */
    [[nodiscard]] const std::string& traceparent() const noexcept { return traceparent_; }
    /** @brief The members joined by `,` without blanks; empty for none. */
    [[nodiscard]] const std::string& tracestate() const noexcept { return tracestate_; }

    bool operator==(const trace_context&) const = default;

private:
    trace_context(std::string traceparent, std::string tracestate)
        : traceparent_(std::move(traceparent)), tracestate_(std::move(tracestate)) {}

    std::string traceparent_;
    std::string tracestate_;
};

namespace detail {

/**
 * @brief `trace_context::parse` on a pair of optional fields, written back in their written
 *        form (the tracestate nullopt when it has no member).
 * @throws validation_error as `parse`, or on `<field_prefix>tracestate` set without a traceparent.
 */
void write_trace_fields(std::optional<std::string>& traceparent, std::optional<std::string>& tracestate,
                        std::string_view field_prefix);

}  // namespace detail

}  // namespace domain_events
