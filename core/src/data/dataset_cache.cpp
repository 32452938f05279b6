#include "data/dataset_cache.h"

#include "data/tokenize_example.h"
#include "util/json_util.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ps::data {
namespace {

constexpr char kMagic[8] = {'P', 'S', 'D', 'S', 'E', 'T', 0, 0};
constexpr char kEndMagic[8] = {'P', 'S', 'D', 'S', 'E', 'N', 'D', 0};
constexpr std::uint32_t kByteOrder = 0x01020304u;
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;
constexpr std::size_t kFooterBytes = 64;

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    return (h ^ v) * kFnvPrime;
}

Json infoToJson(const DatasetInfo& i) {
    Json issues = Json::array();
    for (const auto& d : i.issues)
        issues.push_back({{"line", d.line}, {"message", d.message}});
    return {{"path", i.path},
            {"file_type", fileTypeName(i.fileType)},
            {"json_key", i.jsonKey},
            {"format", dataFormatName(i.format)},
            {"format_reason", i.formatReason},
            {"fields", i.fields},
            {"file_bytes", i.fileBytes},
            {"num_records", i.numRecords},
            {"num_skipped", i.numSkipped},
            {"issues", issues}};
}

DatasetInfo infoFromJson(const Json& j) {
    DatasetInfo i;
    i.path = j.at("path").get<std::string>();
    i.fileType = fileTypeFromName(j.at("file_type").get<std::string>()).value_or(FileType::Auto);
    i.jsonKey = j.at("json_key").get<std::string>();
    i.format = dataFormatFromName(j.at("format").get<std::string>()).value_or(DataFormat::Auto);
    i.formatReason = j.at("format_reason").get<std::string>();
    i.fields = j.at("fields").get<std::vector<std::string>>();
    i.fileBytes = j.at("file_bytes").get<std::uint64_t>();
    i.numRecords = j.at("num_records").get<std::int64_t>();
    i.numSkipped = j.at("num_skipped").get<std::int64_t>();
    for (const auto& d : j.at("issues"))
        i.issues.push_back({i.path, d.at("line").get<std::int64_t>(), d.at("message").get<std::string>()});
    return i;
}

Json statsToJson(const DatasetStats& s) {
    return {{"records", s.numRecords}, {"skipped", s.numSkipped},       {"examples", s.numExamples},
            {"tokens", s.numTokens},   {"trained", s.numTrainedTokens}, {"truncated", s.numTruncated},
            {"dropped", s.numDropped}, {"len_min", s.length.min},       {"len_mean", s.length.mean},
            {"len_p50", s.length.p50}, {"len_p95", s.length.p95},       {"len_max", s.length.max}};
}

DatasetStats statsFromJson(const Json& j) {
    DatasetStats s;
    s.numRecords = j.at("records").get<std::int64_t>();
    s.numSkipped = j.at("skipped").get<std::int64_t>();
    s.numExamples = j.at("examples").get<std::int64_t>();
    s.numTokens = j.at("tokens").get<std::int64_t>();
    s.numTrainedTokens = j.at("trained").get<std::int64_t>();
    s.numTruncated = j.at("truncated").get<std::int64_t>();
    s.numDropped = j.at("dropped").get<std::int64_t>();
    s.length.min = j.at("len_min").get<std::int64_t>();
    s.length.mean = j.at("len_mean").get<double>();
    s.length.p50 = j.at("len_p50").get<std::int64_t>();
    s.length.p95 = j.at("len_p95").get<std::int64_t>();
    s.length.max = j.at("len_max").get<std::int64_t>();
    return s;
}

// 64-bit file positions on every platform (long is 32 bits on Windows).
int seekTo(std::FILE* f, std::uint64_t offset) {
#ifdef _WIN32
    return _fseeki64(f, static_cast<__int64>(offset), SEEK_SET);
#else
    return fseeko(f, static_cast<off_t>(offset), SEEK_SET);
#endif
}

template <typename T> T readAt(const std::uint8_t* base, std::uint64_t offset) {
    T v;
    std::memcpy(&v, base + offset, sizeof v);
    return v;
}

} // namespace

CacheWriter::CacheWriter(const ByteSink& sink) : sink_(sink), checksum_(kFnvOffset) {
    sink_(kMagic, sizeof kMagic);
    sink_(&kCacheVersion, 4);
    sink_(&kByteOrder, 4);
}

void CacheWriter::append(const std::vector<std::uint32_t>& ex) {
    sink_(ex.data(), ex.size() * sizeof(std::uint32_t));
    for (std::uint32_t t : ex)
        checksum_ = mix(checksum_, t);
    numTokens_ += ex.size();
    offsets_.push_back(numTokens_);
}

void CacheWriter::finish(const TokenizedDataset::Storage& s, const std::string& key, std::int32_t vocabSize) {
    std::uint64_t pos = 16 + numTokens_ * 4;
    if (pos % 8) {
        const std::uint32_t zero = 0;
        sink_(&zero, 4);
        pos += 4;
    }
    const std::uint64_t offsetsOffset = pos;
    sink_(offsets_.data(), offsets_.size() * 8);
    for (std::uint64_t o : offsets_)
        checksum_ = mix(checksum_, o);
    const Json meta = {{"key", key},
                       {"version", kCacheVersion},
                       {"vocab_size", vocabSize},
                       {"info", infoToJson(s.info)},
                       {"stats", statsToJson(s.stats)},
                       {"family", chatFamilyName(s.family)},
                       {"warnings", s.warnings},
                       {"pad_id", s.padId}};
    const std::string text = meta.dump();
    const std::uint64_t metaOffset = offsetsOffset + offsets_.size() * 8;
    sink_(text.data(), text.size());
    for (unsigned char c : text)
        checksum_ = mix(checksum_, c);
    const std::uint64_t footer[7] = {16,         numTokens_,  offsetsOffset, offsets_.size() - 1,
                                     metaOffset, text.size(), checksum_};
    sink_(footer, sizeof footer);
    sink_(kEndMagic, sizeof kEndMagic);
}

std::shared_ptr<TokenizedDataset::Storage> loadCache(const std::string& path, const std::string& key,
                                                     std::int32_t vocabSize) {
    auto bad = [&](const std::string& why) { return Error(path + ": not a valid dataset cache (" + why + ")"); };
    // Validation streams the file with read() instead of walking the mapping, so checking a
    // large cache does not pull all of it into this process's resident memory; the mapping
    // then serves tokens on demand.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file)
        throw bad("cannot open");
    auto readExact = [&](std::uint64_t offset, void* out, std::uint64_t n) {
        if (seekTo(file.get(), offset) != 0 || std::fread(out, 1, static_cast<std::size_t>(n), file.get()) != n)
            throw bad("short read");
    };
    const std::uint64_t size = fileSize(path);
    if (size < 16 + kFooterBytes)
        throw bad("file too small");
    std::uint8_t head[16], foot[kFooterBytes];
    readExact(0, head, sizeof head);
    readExact(size - kFooterBytes, foot, sizeof foot);
    if (std::memcmp(head, kMagic, 8) != 0 || std::memcmp(foot + 56, kEndMagic, 8) != 0)
        throw bad("bad magic");
    if (readAt<std::uint32_t>(head, 8) != kCacheVersion)
        throw bad("version " + std::to_string(readAt<std::uint32_t>(head, 8)) + ", expected " +
                  std::to_string(kCacheVersion));
    if (readAt<std::uint32_t>(head, 12) != kByteOrder)
        throw bad("written on a machine with another byte order");
    const auto tokensOffset = readAt<std::uint64_t>(foot, 0), numTokens = readAt<std::uint64_t>(foot, 8),
               offsetsOffset = readAt<std::uint64_t>(foot, 16), numExamples = readAt<std::uint64_t>(foot, 24),
               metaOffset = readAt<std::uint64_t>(foot, 32), metaSize = readAt<std::uint64_t>(foot, 40),
               checksum = readAt<std::uint64_t>(foot, 48);
    // Every section must lie exactly where the previous one ends (no overflow: each count is
    // bounded by the file size before it is multiplied).
    if (tokensOffset != 16 || numTokens > size / 4 || numExamples > size / 8 || metaSize > size)
        throw bad("section sizes out of range");
    const std::uint64_t tokensEnd = 16 + numTokens * 4;
    if (offsetsOffset != tokensEnd + (tokensEnd % 8) || metaOffset != offsetsOffset + (numExamples + 1) * 8 ||
        metaOffset + metaSize != size - kFooterBytes)
        throw bad("section layout inconsistent with the file size");

    std::uint64_t h = kFnvOffset;
    std::vector<std::uint32_t> block(1u << 18);
    for (std::uint64_t done = 0; done < numTokens;) {
        const std::uint64_t n = std::min<std::uint64_t>(block.size(), numTokens - done);
        readExact(16 + done * 4, block.data(), n * 4);
        for (std::uint64_t i = 0; i < n; ++i) {
            h = mix(h, block[i]);
            if (static_cast<std::int64_t>(block[i] & ~kTrainedBit) >= vocabSize)
                throw bad("token id " + std::to_string(block[i] & ~kTrainedBit) + " outside the vocabulary");
        }
        done += n;
    }
    auto s = std::make_shared<TokenizedDataset::Storage>();
    s->ownOffsets.resize(numExamples + 1);
    readExact(offsetsOffset, s->ownOffsets.data(), (numExamples + 1) * 8);
    const auto& offsets = s->ownOffsets;
    if (offsets[0] != 0 || offsets[numExamples] != numTokens)
        throw bad("example offsets do not cover the tokens");
    for (std::uint64_t i = 0; i <= numExamples; ++i) {
        if (i && offsets[i] < offsets[i - 1])
            throw bad("example offsets not increasing");
        h = mix(h, offsets[i]);
    }
    std::string metaText(static_cast<std::size_t>(metaSize), '\0');
    readExact(metaOffset, metaText.data(), metaSize);
    for (unsigned char c : metaText)
        h = mix(h, c);
    if (h != checksum)
        throw bad("checksum mismatch");
    file.reset();

    try {
        const Json meta = parseJson(metaText, path);
        if (meta.at("key").get<std::string>() != key)
            throw bad("written for other settings");
        if (meta.at("vocab_size").get<std::int32_t>() != vocabSize)
            throw bad("written for another vocabulary");
        s->info = infoFromJson(meta.at("info"));
        s->stats = statsFromJson(meta.at("stats"));
        s->family = chatFamilyFromName(meta.at("family").get<std::string>()).value_or(ChatFamily::ChatML);
        s->warnings = meta.at("warnings").get<std::vector<std::string>>();
        s->padId = meta.at("pad_id").get<std::int32_t>();
    } catch (const Json::exception& e) {
        throw bad(std::string("metadata: ") + e.what());
    }
    if (static_cast<std::uint64_t>(s->stats.numExamples) != numExamples)
        throw bad("metadata disagrees with the example count");
    s->mapping = MappedFile::open(path);
    if (s->mapping->size() != size)
        throw bad("the file changed while it was read");
    s->tokens = reinterpret_cast<const std::uint32_t*>(s->mapping->data() + tokensOffset);
    s->offsets = s->ownOffsets.data();
    s->numExamples = numExamples;
    s->fromCache = true;
    s->cachePath = path;
    return s;
}

} // namespace ps::data
