// A stand-in for libFuzzer's driver, so that every harness also runs under GCC in the normal
// test suite: it replays the seed corpus, then a fixed number of seeded mutations of it (bit
// flips, byte changes, insertions, truncations, splices). Deterministic, bounded, a few
// seconds; real fuzzing uses the `fuzz` preset (clang + libFuzzer) with the same harnesses.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::string> read_corpus(const std::filesystem::path& directory) {
    std::vector<std::string> inputs;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        std::ifstream file(entry.path(), std::ios::binary);
        inputs.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    if (inputs.empty()) inputs.emplace_back();
    return inputs;
}

std::string mutate(std::string input, const std::vector<std::string>& corpus, std::mt19937& rng) {
    auto pick = [&rng](std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound)(rng); };
    int changes = 1 + static_cast<int>(pick(3));
    for (int i = 0; i < changes; ++i) {
        std::size_t at = input.empty() ? 0 : pick(input.size() - 1);
        switch (pick(5)) {
            case 0: if (!input.empty()) input[at] = static_cast<char>(input[at] ^ (1 << pick(7))); break;
            case 1: if (!input.empty()) input[at] = static_cast<char>(pick(255)); break;
            case 2: input.insert(at, 1, static_cast<char>(pick(255))); break;
            case 3: input.resize(at); break;
            case 4: input.insert(at, corpus[pick(corpus.size() - 1)]); break;
            default: input += input.substr(0, at); break;
        }
    }
    return input;
}

void run(const std::string& input) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

// Usage: <harness> CORPUS_DIR [ITERATIONS]
int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
        return 2;
    }
    const auto corpus = read_corpus(argv[1]);
    const long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 20000;
    std::mt19937 rng(20261123);
    for (const auto& input : corpus) run(input);
    for (long i = 0; i < iterations; ++i) {
        run(mutate(corpus[i % corpus.size()], corpus, rng));
    }
    std::printf("%zu seeds and %ld mutations ran without a crash\n", corpus.size(), iterations);
    return 0;
}
