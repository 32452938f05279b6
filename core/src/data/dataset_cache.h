#pragma once
// The tokenized-dataset cache file (versioned binary, little-endian):
//
//   0      "PSDSET\0\0"  u32 version  u32 0x01020304 (byte-order check)
//   16     tokens        u32 x numTokens (bit 31 = trained label, bits 0..30 = token id)
//   align 8
//          offsets       u64 x (numExamples + 1), offsets[0] = 0, offsets[n] = numTokens
//          metadata      JSON (key, vocab size, DatasetInfo, DatasetStats, template, warnings)
//   end-64 footer        u64 tokensOffset, numTokens, offsetsOffset, numExamples, metaOffset,
//                        metaSize, checksum; "PSDSEND\0"
//
// Tokens stream out while tokenizing (nothing but the offsets is held back), so writing is
// bounded in memory; the footer at the end is what makes that possible. Reading validates
// every size, the offsets, the checksum, the key and every token id before trusting a byte.
#include "data/tokenized_storage.h"
#include "util/file_util.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::data {

constexpr std::uint32_t kCacheVersion = 1;

class CacheWriter final {
public:
    explicit CacheWriter(const ByteSink& sink);
    void append(const std::vector<std::uint32_t>& example);
    // Writes offsets, metadata and the footer. `storage` supplies info, stats, family, warnings.
    void finish(const TokenizedDataset::Storage& storage, const std::string& key, std::int32_t vocabSize);

private:
    const ByteSink& sink_;
    std::vector<std::uint64_t> offsets_{0};
    std::uint64_t numTokens_ = 0;
    std::uint64_t checksum_;
};

// Throws ps::Error naming the file and what is wrong when it is not a valid cache for `key`.
std::shared_ptr<TokenizedDataset::Storage> loadCache(const std::string& path, const std::string& key,
                                                     std::int32_t vocabSize);

} // namespace ps::data
