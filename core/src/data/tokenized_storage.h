#pragma once
// What a TokenizedDataset shares between its copies: the examples as one flat token array
// (bit 31 = trained) plus example offsets, held in memory or in the memory-mapped cache file,
// and everything known about how they were made.
#include "ps/dataset.h"
#include "util/mapped_file.h"

#include <memory>
#include <string>
#include <vector>

namespace ps {

struct TokenizedDataset::Storage {
    DatasetInfo info;
    DatasetStats stats;
    ChatFamily family = ChatFamily::ChatML;
    std::vector<std::string> warnings;
    std::int32_t padId = 0;
    bool fromCache = false;
    std::int64_t recordsTokenized = 0;
    std::string cachePath;

    const std::uint32_t* tokens = nullptr;
    const std::uint64_t* offsets = nullptr; // numExamples + 1 entries
    std::size_t numExamples = 0;

    std::vector<std::uint32_t> ownTokens;
    std::vector<std::uint64_t> ownOffsets;
    std::shared_ptr<MappedFile> mapping;
};

} // namespace ps
