// tokenizeDataset(): read -> convert -> tokenize on worker threads -> collect in record order,
// into memory or straight into the cache file. Memory stays bounded by two chunks of raw
// records (the one being tokenized and the one being read) plus the example offsets.
#include "data/dataset_cache.h"
#include "data/record_stream.h"
#include "data/sha256.h"
#include "data/tokenize_example.h"
#include "data/worker_pool.h"
#include "ps/tokenizer.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

namespace ps {
namespace {

using namespace ps::data;

// Bump when a change to reading or tokenizing would give different examples for the same
// inputs: old cache files then miss instead of serving stale data.
constexpr int kPipelineVersion = 1;
constexpr std::size_t kChunkRecords = 4096;
constexpr std::size_t kChunkBytes = 8u << 20;

struct Outcome {
    TokenizedRecord result;
    std::optional<RecordError> error;
};

struct Chunk {
    std::vector<RawRecord> raws;
    std::vector<Outcome> outs;
    std::size_t count = 0;
};

bool readChunk(RecordStream& stream, Chunk& c) {
    c.count = 0;
    std::size_t bytes = 0;
    while (c.count < kChunkRecords && bytes < kChunkBytes) {
        if (c.raws.size() <= c.count)
            c.raws.emplace_back();
        RawRecord& r = c.raws[c.count];
        if (!stream.nextRaw(r))
            break;
        bytes += r.text.size();
        for (const auto& f : r.fields)
            bytes += f.size();
        ++c.count;
    }
    c.outs.assign(c.count, Outcome{});
    return c.count > 0;
}

LengthStats lengthStats(std::vector<std::int64_t> lengths) {
    LengthStats l;
    if (lengths.empty())
        return l;
    std::sort(lengths.begin(), lengths.end());
    double sum = 0;
    for (auto v : lengths)
        sum += static_cast<double>(v);
    // Nearest-rank percentile: the smallest length with at least p% of examples at or below it.
    auto rank = [&](double p) {
        const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(lengths.size())));
        return lengths[std::min(lengths.size(), std::max<std::size_t>(k, 1)) - 1];
    };
    l.min = lengths.front();
    l.max = lengths.back();
    l.mean = sum / static_cast<double>(lengths.size());
    l.p50 = rank(0.50);
    l.p95 = rank(0.95);
    return l;
}

struct Run {
    RecordStream& stream;
    const Tokenizer& tok;
    ExampleSettings settings;
    int threads;
    const std::atomic<bool>* cancel;
};

// Runs the whole pipeline, handing each finished example to `sink` in record order.
void tokenizeAll(const Run& run, TokenizedDataset::Storage& s,
                 const std::function<void(const std::vector<std::uint32_t>&)>& sink) {
    std::vector<std::int64_t> lengths;
    std::set<std::string> warningSet;
    DatasetStats& st = s.stats;
    Chunk a, b;
    WorkerPool pool(run.threads); // declared after the chunks: joined before they go away
    auto work = [&run](Chunk& c) {
        return [&run, &c](std::size_t i) {
            if (run.cancel && run.cancel->load(std::memory_order_relaxed))
                return;
            try {
                c.outs[i].result = tokenizeRecord(run.stream.convert(c.raws[i]), run.tok, run.settings);
            } catch (const RecordError& e) {
                c.outs[i].error = e;
            }
        };
    };
    bool more = readChunk(run.stream, a);
    while (more) {
        pool.start(a.count, work(a));
        try {
            more = readChunk(run.stream, b); // overlaps with tokenizing `a`
        } catch (...) {
            pool.wait();
            throw;
        }
        pool.wait();
        if (run.cancel && run.cancel->load(std::memory_order_relaxed))
            throw DataCancelled();
        for (std::size_t i = 0; i < a.count; ++i) {
            Outcome& o = a.outs[i];
            if (o.error) {
                run.stream.reject(a.raws[i].line, *o.error);
                continue;
            }
            ++s.recordsTokenized;
            st.numTruncated += o.result.truncated;
            st.numDropped += o.result.dropped;
            for (auto& w : o.result.warnings)
                warningSet.insert(std::move(w));
            for (const auto& ex : o.result.examples) {
                sink(ex);
                lengths.push_back(static_cast<std::int64_t>(ex.size()));
                st.numTokens += static_cast<std::int64_t>(ex.size());
                for (std::uint32_t t : ex)
                    st.numTrainedTokens += tokenTrained(t) ? 1 : 0;
            }
        }
        std::swap(a, b);
    }
    run.stream.finishProgress();
    s.info = run.stream.info();
    st.numRecords = s.info.numRecords;
    st.numSkipped = s.info.numSkipped;
    st.numExamples = static_cast<std::int64_t>(lengths.size());
    st.length = lengthStats(std::move(lengths));
    s.warnings.insert(s.warnings.end(), warningSet.begin(), warningSet.end());
}

ChatFamily resolveFamily(const Tokenizer& tok, const TokenizeOptions& o, std::vector<std::string>& warnings) {
    if (o.chatFamily)
        return *o.chatFamily;
    const TemplateDetection d = detectTemplateFamily(tok.chatTemplate());
    if (!d.recognised)
        warnings.push_back("chat template not recognised (" + d.reason + "); using " + chatFamilyName(d.family));
    return d.family;
}

std::string cacheKey(const std::string& fileHash, const Tokenizer& tok, const ReadOptions& r, const TokenizeOptions& o,
                     const std::string& family) {
    Json columns = Json::object();
    for (const auto& [k, v] : r.columns)
        columns[k] = v;
    const Json settings = {{"pipeline", kPipelineVersion},
                           {"cache_version", kCacheVersion},
                           {"file_sha256", fileHash},
                           {"tokenizer", tok.contentHash()},
                           {"file_type", fileTypeName(r.fileType)},
                           {"format", dataFormatName(r.format)},
                           {"columns", columns},
                           {"json_key", r.jsonKey},
                           {"text_unit", r.textUnit == TextUnit::File ? "file" : "block"},
                           {"skip_bad", r.skipBad},
                           {"max_issues", r.maxIssues},
                           {"max_record_bytes", r.maxRecordBytes},
                           {"template", family},
                           {"cutoff_len", o.cutoffLen},
                           {"train_on_prompt", o.trainOnPrompt},
                           {"split_long_text", o.splitLongText}};
    return sha256Hex(settings.dump());
}

bool usableCacheDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return isDirectory(dir);
}

} // namespace

TokenizedDataset tokenizeDataset(const std::string& path, const Tokenizer& tok, const ReadOptions& read,
                                 const TokenizeOptions& options) {
    if (options.cutoffLen < 2)
        throw Error("cutoff_len must be at least 2, got " + std::to_string(options.cutoffLen));
    RecordStream stream(path, read);
    std::vector<std::string> warnings;
    const bool conversations = stream.info().format == DataFormat::Alpaca ||
                               stream.info().format == DataFormat::ShareGpt ||
                               stream.info().format == DataFormat::Messages;
    const ChatFamily family = conversations ? resolveFamily(tok, options, warnings) : ChatFamily::Plain;

    Run run{stream,
            tok,
            {family, options.cutoffLen, options.trainOnPrompt, options.splitLongText},
            options.threads > 0 ? options.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency())),
            read.cancel};
    auto s = std::make_shared<TokenizedDataset::Storage>();
    s->family = family;
    s->warnings = warnings;
    s->padId = tok.padId().value_or(tok.eosId().value_or(0));

    std::string cachePath;
    if (!options.cacheDir.empty()) {
        if (usableCacheDir(options.cacheDir)) {
            const std::string key = cacheKey(sha256File(path, read.cancel), tok, read, options,
                                             conversations ? chatFamilyName(family) : "none");
            cachePath = joinPath(options.cacheDir, key.substr(0, 32) + ".psdata");
            if (isRegularFile(cachePath)) {
                try {
                    auto cached = loadCache(cachePath, key, tok.vocabSize());
                    cached->info.path = path; // the same content may live under another name
                    for (auto& issue : cached->info.issues)
                        issue.file = path;
                    if (read.progress)
                        read.progress(cached->info.fileBytes, cached->info.fileBytes);
                    return TokenizedDataset(std::move(cached));
                } catch (const Error& e) {
                    s->warnings.push_back(std::string(e.what()) + "; rebuilt it");
                }
            }
            writeFileAtomicStreamed(cachePath, [&](const ByteSink& sinkBytes) {
                CacheWriter writer(sinkBytes);
                tokenizeAll(run, *s, [&](const std::vector<std::uint32_t>& ex) { writer.append(ex); });
                writer.finish(*s, key, tok.vocabSize());
            });
            auto loaded = loadCache(cachePath, key, tok.vocabSize());
            loaded->fromCache = false;
            loaded->recordsTokenized = s->recordsTokenized;
            return TokenizedDataset(std::move(loaded));
        }
        s->warnings.push_back(options.cacheDir + ": cannot create the dataset cache folder; not caching");
    }
    s->ownOffsets.push_back(0);
    tokenizeAll(run, *s, [&](const std::vector<std::uint32_t>& ex) {
        s->ownTokens.insert(s->ownTokens.end(), ex.begin(), ex.end());
        s->ownOffsets.push_back(s->ownTokens.size());
    });
    s->tokens = s->ownTokens.data();
    s->offsets = s->ownOffsets.data();
    s->numExamples = s->ownOffsets.size() - 1;
    return TokenizedDataset(std::move(s));
}

} // namespace ps
