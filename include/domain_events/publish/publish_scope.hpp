#pragma once
/** @file
 * The ids an event takes from the operation that publishes it: given to one publish call, or
 * set for every publish on a thread by a `publish_scope` (the "current trace context" an
 * application, an OpenTelemetry SDK or a consumer's handler runs under; docs/publishing.md).
 */
#include <optional>
#include <string>

namespace domain_events {

/** @brief Tracing ids carried into an event's metadata. */
struct publish_context {
    std::optional<std::string> correlation_id = std::nullopt;  ///< the request or workflow
    std::optional<std::string> causation_id = std::nullopt;    ///< the event or command that caused it
    /// W3C `traceparent` of the operation publishing (trace_context.hpp); sent as a Kafka header.
    std::optional<std::string> traceparent = std::nullopt;
    /// W3C `tracestate`, only together with a `traceparent`.
    std::optional<std::string> tracestate = std::nullopt;

    bool operator==(const publish_context&) const = default;
};

/**
 * @brief While it lives, events published on this thread take from `context` the ids the
 *        publish call does not give: a publish call's own `traceparent` comes with its own
 *        `tracestate` (or none), never the scope's. Scopes nest: an inner one keeps what it
 *        leaves unset from the one around it, and its end restores that one. The only way to set
 *        the current context, so a test replaces it by opening a scope of its own.
 *
 * A consumer opens one around each handler: the event's trace with a new span id, the event's
 * id as `causation_id` and its `correlation_id` (docs/consuming.md). Not movable: it belongs to
 * the block, and the thread, that opened it.
 */
class publish_scope {
public:
    /** @brief What a scope takes from the scopes open around it on its thread. */
    enum class enclosing {
        inherit,  ///< what it leaves unset (the usual nesting)
        ignore,   ///< nothing: for work run on this thread for another one (group_commit's bodies)
    };

    /**
     * @brief Opens the scope; the trace values are checked and kept in their written form
     *        (`trace_context::parse`).
     * @throws validation_error on `traceparent` or `tracestate` when one is malformed, or a
     *         `tracestate` comes without a `traceparent`.
     */
    explicit publish_scope(publish_context context, enclosing around = enclosing::inherit);
    /** @brief Restores the scope around this one (or none). */
    ~publish_scope();

    publish_scope(const publish_scope&) = delete;
    publish_scope& operator=(const publish_scope&) = delete;

    /** @brief The innermost open scope's context on this thread (merged with those around it); empty without one. */
    [[nodiscard]] static const publish_context& current() noexcept;

private:
    publish_context context_;
    const publish_scope* enclosing_;
};

}  // namespace domain_events
