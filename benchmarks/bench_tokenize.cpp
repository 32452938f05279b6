// bench_tokenize: encoding throughput (MB/s of UTF-8 input) of ps::Tokenizer on a generated
// 50 MB mixed-language text (English-like, accented Latin, Cyrillic, Greek, CJK, kana, Arabic,
// Devanagari, code, numbers, emoji; words drawn with a Zipf distribution so the word cache
// sees realistic reuse). One thread with encode(), then encodeBatch() on all threads.
//
// Usage: bench_tokenize [--mb N] [--threads N] [TOKENIZER_DIR ...]
//   default dirs: the fixtures in tests/fixtures/tokenizers (json and, for llama2-spm, also
//   the tokenizer.model path).
#include "ps/tokenizer.h"

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// A generated "language": a lexicon of words built from its alphabet, drawn Zipf-like.
struct Language {
    std::vector<std::string> words;
    bool spaces = true; // CJK / kana: no spaces between words
    std::string stop = ".", comma = ",";
};

Language makeLanguage(std::mt19937_64& rng, const std::vector<std::string>& syllables, std::size_t lexicon, bool spaces,
                      int minSyl, int maxSyl) {
    Language l;
    l.spaces = spaces;
    std::uniform_int_distribution<int> nsyl(minSyl, maxSyl);
    std::uniform_int_distribution<std::size_t> pick(0, syllables.size() - 1);
    for (std::size_t k = 0; k < lexicon; ++k) {
        std::string w;
        for (int s = nsyl(rng); s > 0; --s)
            w += syllables[pick(rng)];
        l.words.push_back(std::move(w));
    }
    return l;
}

std::vector<std::string> rangeSyllables(char32_t from, char32_t to, std::size_t step = 1) {
    std::vector<std::string> out;
    for (char32_t c = from; c <= to; c += static_cast<char32_t>(step)) {
        std::string s;
        appendUtf8(s, c);
        out.push_back(s);
    }
    return out;
}

std::vector<Language> makeLanguages(std::mt19937_64& rng) {
    std::vector<Language> langs;
    std::vector<std::string> latin;
    for (const char* c :
         {"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "th", "st", "ch"})
        for (const char* v : {"a", "e", "i", "o", "u", "ea", "ou"})
            latin.push_back(std::string(c) + v);
    langs.push_back(makeLanguage(rng, latin, 30000, true, 1, 4)); // English-like
    std::vector<std::string> accented = latin;
    for (const char* s :
         {"\xC3\xA9", "\xC3\xA8", "\xC3\xBC", "\xC3\xB6", "\xC3\x9F", "\xC3\xA7", "\xC3\xA0", "\xC3\xB1"})
        accented.push_back(s);
    langs.push_back(makeLanguage(rng, accented, 20000, true, 1, 4));
    langs.push_back(makeLanguage(rng, rangeSyllables(0x430, 0x44F), 20000, true, 3, 9));  // Cyrillic
    langs.push_back(makeLanguage(rng, rangeSyllables(0x3B1, 0x3C9), 10000, true, 3, 9));  // Greek
    Language cjk = makeLanguage(rng, rangeSyllables(0x4E00, 0x4FFF), 20000, false, 1, 3); // CJK
    cjk.stop = "\xE3\x80\x82";
    cjk.comma = "\xEF\xBC\x8C";
    langs.push_back(cjk);
    Language kana = makeLanguage(rng, rangeSyllables(0x3042, 0x3093), 8000, false, 2, 5);
    kana.stop = "\xE3\x80\x82";
    kana.comma = "\xE3\x80\x81";
    langs.push_back(kana);
    langs.push_back(makeLanguage(rng, rangeSyllables(0x628, 0x64A), 10000, true, 2, 6)); // Arabic
    std::vector<std::string> deva;
    for (char32_t c = 0x915; c <= 0x939; ++c)
        for (char32_t m : {0x93E, 0x93F, 0x940, 0x947, 0x94B, 0x0}) {
            std::string s;
            appendUtf8(s, c);
            if (m)
                appendUtf8(s, m);
            deva.push_back(s);
        }
    Language hi = makeLanguage(rng, deva, 10000, true, 1, 4);
    hi.stop = "\xE0\xA5\xA4";
    langs.push_back(hi);
    return langs;
}

std::size_t zipf(std::mt19937_64& rng, std::size_t n) {
    // Inverse-CDF of a continuous 1/x law over [1, n]: frequent words dominate, long tail stays.
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double x = std::exp(u(rng) * std::log(static_cast<double>(n)));
    return std::min(n - 1, static_cast<std::size_t>(x) - 1);
}

std::string codeSnippet(std::mt19937_64& rng, const Language& en) {
    const std::string& a = en.words[zipf(rng, en.words.size())];
    const std::string& b = en.words[zipf(rng, en.words.size())];
    std::uniform_int_distribution<int> d(0, 9999);
    switch (d(rng) % 3) {
    case 0:
        return "def " + a + "_" + b + "(x, y=" + std::to_string(d(rng)) + "):\n    if x > y:\n        return x * " +
               std::to_string(d(rng) % 97) + "  # " + a + "\n    return {\"" + b + "\": [x, y]}\n\n";
    case 1:
        return "for (int i = 0; i < " + std::to_string(d(rng)) + "; ++i) {\n\t" + a + "[i] = " + b + "(i) + 0x" +
               std::to_string(d(rng) % 255) + ";\n}\n";
    default:
        return "SELECT " + a + ", COUNT(*) FROM " + b + " WHERE id >= " + std::to_string(d(rng)) + " GROUP BY " + a +
               ";\n";
    }
}

std::vector<std::string> generateDocuments(std::size_t totalBytes) {
    std::mt19937_64 rng(20240531);
    const std::vector<Language> langs = makeLanguages(rng);
    const char* emoji[] = {"\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "\xF0\x9F\x8E\x89",
                           "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "\xE2\x9C\x85"};
    std::vector<std::string> docs;
    std::size_t total = 0;
    std::uniform_int_distribution<int> pct(0, 99);
    std::uniform_int_distribution<std::size_t> langPick(0, langs.size() - 1);
    while (total < totalBytes) {
        std::string doc;
        const std::size_t target = 512 + rng() % 3584;
        const Language& lang = pct(rng) < 45 ? langs[0] : langs[langPick(rng)];
        while (doc.size() < target) {
            const int kind = pct(rng);
            if (kind < 8) {
                doc += codeSnippet(rng, langs[0]);
                continue;
            }
            // a sentence
            const int n = 4 + pct(rng) % 14;
            for (int w = 0; w < n; ++w) {
                std::string word = lang.words[zipf(rng, lang.words.size())];
                if (w == 0 && lang.spaces && !word.empty() && word[0] >= 'a' && word[0] <= 'z')
                    word[0] -= 32;
                if (w && lang.spaces)
                    doc += ' ';
                doc += word;
                const int extra = pct(rng);
                if (extra < 6)
                    doc += lang.comma;
                else if (extra < 8)
                    doc += " " + std::to_string(rng() % 100000);
                else if (extra < 9)
                    doc += std::string(" ") + emoji[rng() % 5];
                else if (extra < 10)
                    doc += "'s";
            }
            doc += lang.stop;
            doc += pct(rng) < 15 ? "\n\n" : " ";
        }
        total += doc.size();
        docs.push_back(std::move(doc));
    }
    return docs;
}

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// CPU seconds of this thread / of the whole process: on a shared machine these measure the
// encoder itself, while wall time also measures the neighbours.
double cpuSeconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t mb = 50;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::string> dirs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--mb" && i + 1 < argc)
            mb = std::stoul(argv[++i]);
        else if (a == "--threads" && i + 1 < argc)
            threads = std::stoi(argv[++i]);
        else
            dirs.push_back(a);
    }
    const fs::path fixtures = fs::path(__FILE__).parent_path() / ".." / "tests" / "fixtures" / "tokenizers";
    std::string spmCopy;
    if (dirs.empty()) {
        for (const char* fx : {"gpt2", "llama3-bpe", "qwen2-bpe", "llama2-spm", "metaspace-new"})
            dirs.push_back((fixtures / fx).lexically_normal().string());
        // llama2-spm through libsentencepiece: a folder with only tokenizer.model + config.
        const fs::path tmp = fs::temp_directory_path() / "bench_tokenize_spm";
        fs::create_directories(tmp);
        for (const char* f : {"tokenizer.model", "tokenizer_config.json"})
            fs::copy_file(fixtures / "llama2-spm" / f, tmp / f, fs::copy_options::overwrite_existing);
        spmCopy = tmp.string();
        dirs.push_back(spmCopy);
    }

    const auto g0 = std::chrono::steady_clock::now();
    const std::vector<std::string> docs = generateDocuments(mb << 20);
    std::size_t bytes = 0;
    for (const auto& d : docs)
        bytes += d.size();
    const auto g1 = std::chrono::steady_clock::now();
    std::printf("input: %zu documents, %.1f MB generated in %.1f s; batch threads: %d\n", docs.size(),
                static_cast<double>(bytes) / 1e6, seconds(g0, g1), threads);
    std::printf("MB/s of input. cpu = MB per CPU-second of the encoding threads (per thread); wall = elapsed.\n");
    std::printf("%-28s %-15s %12s %12s %12s %12s %8s\n", "tokenizer", "backend", "1 thr wall", "1 thr cpu",
                "batch wall", "batch cpu/thr", "tok/KB");
    for (const auto& dir : dirs) {
        const auto tok = ps::Tokenizer::load(dir);
        // Single thread, a fresh tokenizer (cold word cache at the start, as in real use).
        std::size_t tokens = 0;
        const double c0 = cpuSeconds(CLOCK_THREAD_CPUTIME_ID);
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& d : docs)
            tokens += tok->encode(d).size();
        const auto t1 = std::chrono::steady_clock::now();
        const double c1 = cpuSeconds(CLOCK_THREAD_CPUTIME_ID);
        const auto tok2 = ps::Tokenizer::load(dir);
        const double c2 = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
        const auto t2 = std::chrono::steady_clock::now();
        const auto batch = tok2->encodeBatch(docs, false, threads);
        const auto t3 = std::chrono::steady_clock::now();
        const double c3 = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
        std::size_t batchTokens = 0;
        for (const auto& b : batch)
            batchTokens += b.size();
        const double mbytes = static_cast<double>(bytes) / 1e6;
        const std::string name = dir == spmCopy ? "llama2-spm (tokenizer.model)" : fs::path(dir).filename().string();
        std::printf("%-28s %-15s %12.1f %12.1f %12.1f %12.1f %8.1f%s\n", name.c_str(), tok->backend().c_str(),
                    mbytes / seconds(t0, t1), mbytes / (c1 - c0), mbytes / seconds(t2, t3), mbytes / (c3 - c2),
                    1024.0 * static_cast<double>(tokens) / static_cast<double>(bytes),
                    batchTokens == tokens ? "" : "  (batch ids differ!)");
    }
    return 0;
}
