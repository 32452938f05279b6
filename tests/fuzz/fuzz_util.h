#pragma once
// Shared helpers of the libFuzzer targets (tests/fuzz). The code under test reads files, so each
// input is written to a per-process scratch folder first; a ps::Error is the expected outcome for
// a bad input, anything else (another exception, a sanitizer report, a broken invariant checked
// with PS_FUZZ_CHECK) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

namespace ps::fuzz {

// A scratch folder of this process (libFuzzer's -jobs/-workers run several at once), removed at exit.
inline const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        std::error_code ec;
        std::filesystem::path base = std::filesystem::temp_directory_path(ec);
        if (ec)
            base = "/tmp";
        std::filesystem::path d = base / ("ps-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d, ec);
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(scratchDir(), ignored);
        });
        return d;
    }();
    return dir;
}

// Writes `size` bytes to scratchDir()/name (replacing it) and returns the path.
inline std::string writeScratchFile(const std::string& name, const void* data, std::size_t size) {
    const std::filesystem::path path = scratchDir() / name;
    std::filesystem::create_directories(path.parent_path());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::perror(path.c_str());
        std::abort(); // the harness itself is broken, not the code under test
    }
    if (size && std::fwrite(data, 1, size, f) != size) {
        std::perror(path.c_str());
        std::abort();
    }
    std::fclose(f);
    return path.string();
}
inline std::string writeScratchFile(const std::string& name, std::string_view text) {
    return writeScratchFile(name, text.data(), text.size());
}

// Splits an input in two at the first occurrence of `separator` (the rest is empty when absent).
inline std::pair<std::string_view, std::string_view> splitInput(std::string_view input, std::string_view separator) {
    const std::size_t at = input.find(separator);
    if (at == std::string_view::npos)
        return {input, {}};
    return {input.substr(0, at), input.substr(at + separator.size())};
}

} // namespace ps::fuzz

// An invariant of the code under test: a violation is a finding (abort, so libFuzzer saves the input).
#define PS_FUZZ_CHECK(cond)                                                                                    \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond);                \
            std::abort();                                                                                      \
        }                                                                                                      \
    } while (0)
