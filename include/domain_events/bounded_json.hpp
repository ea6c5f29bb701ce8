#pragma once
/** @file
 * Bounds on JSON read from outside the process (a Kafka message, an HTTP body, a file): its size
 * and its nesting depth, checked before a tree is built. nlohmann::json parses without recursion,
 * but copies, compares, dumps and visits a tree recursively: an unbounded depth is a stack
 * overflow waiting in whatever step touches the value next, a handler's `dump()` included.
 */
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace domain_events {

/** @brief The default nesting bound: objects and arrays inside one another, the outermost counted as 1. */
inline constexpr std::size_t default_max_json_depth = 64;

/** @brief How much JSON one input may hold. */
struct json_bounds {
    std::size_t max_bytes = 1024 * 1024;               ///< the text's size
    std::size_t max_depth = default_max_json_depth;  ///< nesting, the outermost object or array being 1
};

/**
 * @brief Checks that no object or array in @p text is nested deeper than @p max_depth, in one pass
 *        over the bytes and without building anything.
 * @param what names the input when the outermost value itself is at fault (e.g. `envelope`, `body`).
 * @throws validation_error whose `field()` is the path of the first value nested too deep (e.g.
 *         `data.a[0].b`, keys cut to 64 bytes) and whose message gives the limit.
 */
void check_json_depth(std::string_view text, std::size_t max_depth, std::string_view what);

/**
 * @brief Parses @p text as one JSON value within @p bounds: the size first, then the depth
 *        (`check_json_depth`), then the parse. Errors never quote the text.
 * @throws validation_error on field @p what for text over `max_bytes` or text that is not JSON
 *         (with the byte offset of the syntax error); as `check_json_depth` for one too deep.
 */
[[nodiscard]] nlohmann::json parse_bounded_json(std::string_view text, const json_bounds& bounds, std::string_view what);

/**
 * @brief As `parse_bounded_json`, with nullopt for text that is not JSON within @p bounds: for
 *        input shown as text when it is not (a payload printed by `tail`, a stored dead letter).
 */
[[nodiscard]] std::optional<nlohmann::json> try_parse_bounded_json(std::string_view text, const json_bounds& bounds);

/**
 * @brief The path of the first object or array in @p value nested deeper than @p max_depth, where
 *        @p value itself sits at depth @p outer_depth + 1 and its path is @p path; nullopt when
 *        none is. Walks the tree without recursion, so it is safe on any tree.
 */
[[nodiscard]] std::optional<std::string> too_deep_path(const nlohmann::json& value, std::size_t max_depth,
                                                       std::string_view path, std::size_t outer_depth = 0);

/**
 * @brief `too_deep_path` as a check: the tree twin of `check_json_depth`.
 * @param what names the value when its own path is empty (e.g. `envelope`).
 * @throws validation_error whose `field()` is the path of the first value nested too deep.
 */
void check_tree_depth(const nlohmann::json& value, std::size_t max_depth, std::string_view path,
                      std::size_t outer_depth, std::string_view what);

}  // namespace domain_events
