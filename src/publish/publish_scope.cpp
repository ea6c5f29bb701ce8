#include "domain_events/publish/publish_scope.hpp"

#include "domain_events/publish/trace_context.hpp"

namespace domain_events {
namespace {

// Set only by publish_scope, one per thread: the innermost open scope.
thread_local const publish_scope* innermost = nullptr;

publish_context checked(publish_context c) {
    detail::write_trace_fields(c.traceparent, c.tracestate, "");
    return c;
}

}  // namespace

publish_scope::publish_scope(publish_context context, enclosing around)
    : context_(checked(std::move(context))), enclosing_(innermost) {
    if (enclosing_ != nullptr && around == enclosing::inherit) {
        const auto& outer = enclosing_->context_;
        if (!context_.correlation_id) context_.correlation_id = outer.correlation_id;
        if (!context_.causation_id) context_.causation_id = outer.causation_id;
        if (!context_.traceparent) {
            context_.traceparent = outer.traceparent;
            context_.tracestate = outer.tracestate;
        }
    }
    innermost = this;
}

publish_scope::~publish_scope() { innermost = enclosing_; }

const publish_context& publish_scope::current() noexcept {
    static const publish_context none;
    return innermost != nullptr ? innermost->context_ : none;
}

}  // namespace domain_events
