// Runs a fuzz target's LLVMFuzzerTestOneInput over files and directories of inputs, so the
// seed corpus and every past finding are regression tests in ordinary (g++) builds too.
//
//   fuzz_corpus_<target> PATH...
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t inputs = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path root(argv[i]);
        if (!std::filesystem::exists(root)) {
            std::fprintf(stderr, "fuzz corpus: no such file or directory: %s\n", argv[i]);
            return 2;
        }
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(root)) {
            for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
        } else {
            files.push_back(root);
        }
        for (const auto& file : files) run_file(file);
        inputs += files.size();
    }
    if (inputs == 0) {
        std::fprintf(stderr, "fuzz corpus: no inputs found\n");
        return 2;
    }
    std::printf("fuzz corpus: %zu inputs ran clean\n", inputs);
    return 0;
}
