// TokenizedDataset accessors: examples come out as plain int32 ids and labels.
#include "data/tokenize_example.h"
#include "data/tokenized_storage.h"

namespace ps {
namespace {
const TokenizedDataset::Storage& emptyStorage() {
    static const TokenizedDataset::Storage s = [] {
        TokenizedDataset::Storage e;
        static const std::uint64_t zero = 0;
        e.offsets = &zero;
        return e;
    }();
    return s;
}
} // namespace

TokenizedDataset::TokenizedDataset() : s_(std::shared_ptr<const Storage>(&emptyStorage(), [](const Storage*) {})) {}
TokenizedDataset::TokenizedDataset(std::shared_ptr<const Storage> storage) : s_(std::move(storage)) {}

std::size_t TokenizedDataset::size() const {
    return s_->numExamples;
}

static void checkIndex(std::size_t i, std::size_t n) {
    if (i >= n)
        throw Error("dataset example " + std::to_string(i) + " out of range (" + std::to_string(n) + " examples)");
}

std::int64_t TokenizedDataset::length(std::size_t i) const {
    checkIndex(i, s_->numExamples);
    return static_cast<std::int64_t>(s_->offsets[i + 1] - s_->offsets[i]);
}

std::vector<std::int32_t> TokenizedDataset::inputIds(std::size_t i) const {
    checkIndex(i, s_->numExamples);
    std::vector<std::int32_t> out;
    out.reserve(static_cast<std::size_t>(s_->offsets[i + 1] - s_->offsets[i]));
    for (std::uint64_t k = s_->offsets[i]; k < s_->offsets[i + 1]; ++k)
        out.push_back(data::tokenId(s_->tokens[k]));
    return out;
}

std::vector<std::int32_t> TokenizedDataset::labels(std::size_t i) const {
    checkIndex(i, s_->numExamples);
    std::vector<std::int32_t> out;
    out.reserve(static_cast<std::size_t>(s_->offsets[i + 1] - s_->offsets[i]));
    for (std::uint64_t k = s_->offsets[i]; k < s_->offsets[i + 1]; ++k)
        out.push_back(data::tokenTrained(s_->tokens[k]) ? data::tokenId(s_->tokens[k]) : data::kIgnoreIndex);
    return out;
}

const DatasetInfo& TokenizedDataset::info() const {
    return s_->info;
}
const DatasetStats& TokenizedDataset::stats() const {
    return s_->stats;
}
ChatFamily TokenizedDataset::chatFamily() const {
    return s_->family;
}
const std::vector<std::string>& TokenizedDataset::warnings() const {
    return s_->warnings;
}
std::int32_t TokenizedDataset::padId() const {
    return s_->padId;
}
bool TokenizedDataset::loadedFromCache() const {
    return s_->fromCache;
}
std::int64_t TokenizedDataset::recordsTokenized() const {
    return s_->recordsTokenized;
}
const std::string& TokenizedDataset::cachePath() const {
    return s_->cachePath;
}

} // namespace ps
