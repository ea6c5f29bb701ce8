#pragma once
// The programs and scripts the tests run, found at run time from their place in the build tree.
// CMake compiles in only paths relative to the build tree's root (tests/CMakeLists.txt,
// domain_events_test_path), never one clone's absolute paths, so the compiler cache serves a
// clone in any folder.
#include <filesystem>
#include <string>
#include <string_view>

namespace domain_events::testing {

/**
 * @brief The build tree this test executable belongs to: the nearest directory above it that
 *        holds a CMakeCache.txt.
 * @throws std::runtime_error when there is none (the executable was copied out of its tree).
 */
[[nodiscard]] const std::filesystem::path& build_tree();

/** @brief @p relative (a path relative to the build tree's root) as an absolute path. */
[[nodiscard]] std::string in_build_tree(std::string_view relative);

}  // namespace domain_events::testing
