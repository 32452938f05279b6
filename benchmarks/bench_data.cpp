// bench_data: tokenizing a large instruction dataset. Generates an alpaca-style JSON Lines file
// (default 200 MB) in /tmp, tokenizes it with the GPT-2 tokenizer fixture into a fresh cache
// folder, then loads it again from the cache. Prints records/s, MB/s and peak RSS, which must
// stay far below the file size: records stream through two bounded chunks and the tokens go
// straight to the memory-mapped cache file.
//
//   bench_data [TOKENIZER_DIR] [MB] [THREADS]
//   (defaults: tests/fixtures/tokenizers/gpt2, 200, all cores; run from the repository root)
#include "ps/dataset.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {

const char* const kWords[] = {
    "the",    "model",  "learns", "to",       "answer", "questions", "about",   "rivers", "and",     "cities",
    "with",   "short",  "clear",  "replies",  "each",   "example",   "has",     "an",     "input",   "that",
    "asks",   "for",    "a",      "summary",  "of",     "numbers",   "dates",   "or",     "small",   "facts",
    "while",  "output", "gives",  "result",   "in",     "one",       "two",     "simple", "steps",   "when",
    "data",   "is",     "clean",  "training", "goes",   "well",      "quickly", "tokens", "per",     "second",
    "memory", "stays",  "low",    "because",  "we",     "stream",    "records", "never",  "holding", "whole"};

std::uint64_t rng = 0x9E3779B97F4A7C15ull;
std::uint64_t next() { // xorshift64*: fast and good enough for filler text
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

std::string sentence(int words) {
    std::string s;
    for (int i = 0; i < words; ++i) {
        if (i)
            s += ' ';
        s += kWords[next() % (sizeof kWords / sizeof kWords[0])];
    }
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s + ".";
}

std::uint64_t generate(const std::string& path, std::uint64_t bytes) {
    std::ofstream out(path, std::ios::binary);
    std::uint64_t written = 0, records = 0;
    std::string line;
    while (written < bytes) {
        line = "{\"instruction\": \"" + sentence(8 + static_cast<int>(next() % 20)) + "\", \"input\": \"" +
               (next() % 2 ? sentence(5 + static_cast<int>(next() % 30)) : std::string()) + "\", \"output\": \"";
        const int sentences = 2 + static_cast<int>(next() % 8);
        for (int k = 0; k < sentences; ++k)
            line += (k ? " " : "") + sentence(6 + static_cast<int>(next() % 14));
        line += "\"}\n";
        out << line;
        written += line.size();
        ++records;
    }
    return records;
}

// Process CPU time (all threads): on a shared machine wall time depends on the neighbours,
// CPU time much less.
double cpuSeconds() {
    return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    const std::string tokDir = argc > 1 ? argv[1] : "tests/fixtures/tokenizers/gpt2";
    const std::uint64_t mb = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200;
    const int threads = argc > 3 ? std::atoi(argv[3]) : static_cast<int>(std::thread::hardware_concurrency());
    const std::string data = "/tmp/ps_bench_data_" + std::to_string(mb) + "mb.jsonl";
    const std::string cache = "/tmp/ps_bench_data_cache";
    try {
        if (!std::filesystem::exists(data) || std::filesystem::file_size(data) < mb << 20) {
            std::printf("generating %s ...\n", data.c_str());
            generate(data, mb << 20);
        }
        std::filesystem::remove_all(cache);
        const double fileMb = static_cast<double>(std::filesystem::file_size(data)) / (1 << 20);
        const auto tok = ps::Tokenizer::load(tokDir);
        const std::uint64_t rssBefore = ps::currentRssBytes();

        ps::TokenizeOptions opts;
        opts.threads = threads;
        opts.cacheDir = cache;
        opts.chatFamily = ps::ChatFamily::ChatML;
        auto t0 = std::chrono::steady_clock::now();
        double c0 = cpuSeconds();
        const ps::TokenizedDataset ds = ps::tokenizeDataset(data, *tok, {}, opts);
        const double tokenizeS = seconds(t0);
        const double tokenizeCpu = cpuSeconds() - c0;
        const auto& st = ds.stats();
        const std::uint64_t peak = ps::peakRssBytes();

        t0 = std::chrono::steady_clock::now();
        c0 = cpuSeconds();
        const ps::TokenizedDataset again = ps::tokenizeDataset(data, *tok, {}, opts);
        const double cachedS = seconds(t0);
        const double cachedCpu = cpuSeconds() - c0;

        std::printf("file            %.1f MB, %lld records (%s)\n", fileMb, static_cast<long long>(st.numRecords),
                    data.c_str());
        std::printf("threads         %d\n", threads);
        std::printf("tokenize        %.2f s wall: %.0f records/s, %.2f MB/s, %.2f M tokens/s\n", tokenizeS,
                    static_cast<double>(st.numRecords) / tokenizeS, fileMb / tokenizeS,
                    static_cast<double>(st.numTokens) / tokenizeS / 1e6);
        std::printf("                %.2f s CPU (all threads): %.0f records/s, %.2f MB/s per CPU-second\n", tokenizeCpu,
                    static_cast<double>(st.numRecords) / tokenizeCpu, fileMb / tokenizeCpu);
        std::printf("tokens          %lld (%lld trained), %lld examples, length p50 %lld / p95 %lld / max %lld\n",
                    static_cast<long long>(st.numTokens), static_cast<long long>(st.numTrainedTokens),
                    static_cast<long long>(st.numExamples), static_cast<long long>(st.length.p50),
                    static_cast<long long>(st.length.p95), static_cast<long long>(st.length.max));
        std::printf("peak RSS        %.1f MiB (%.1f MiB before tokenizing; file %.1f MB, cache %.1f MB)\n",
                    static_cast<double>(peak) / (1 << 20), static_cast<double>(rssBefore) / (1 << 20), fileMb,
                    static_cast<double>(std::filesystem::file_size(ds.cachePath())) / (1 << 20));
        std::printf("second run      %.2f s wall, %.2f s CPU from the cache (loaded: %s, records tokenized: %lld)\n",
                    cachedS, cachedCpu, again.loadedFromCache() ? "yes" : "no",
                    static_cast<long long>(again.recordsTokenized()));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_data: %s\n", e.what());
        return 1;
    }
    return 0;
}
