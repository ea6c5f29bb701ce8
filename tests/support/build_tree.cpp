#include "build_tree.hpp"

#include <stdexcept>

namespace domain_events::testing {

namespace {

std::filesystem::path find_build_tree() {
    const auto executable = std::filesystem::read_symlink("/proc/self/exe");
    for (auto dir = executable.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        if (std::filesystem::exists(dir / "CMakeCache.txt")) return dir;
        if (dir == dir.root_path()) break;
    }
    throw std::runtime_error("no CMakeCache.txt in any directory above '" + executable.string() +
                             "': run the tests from their build tree");
}

}  // namespace

const std::filesystem::path& build_tree() {
    static const std::filesystem::path root = find_build_tree();  // set once, never changed
    return root;
}

std::string in_build_tree(std::string_view relative) {
    return (build_tree() / relative).lexically_normal().string();
}

}  // namespace domain_events::testing
