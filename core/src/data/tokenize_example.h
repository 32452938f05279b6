#pragma once
// One DataRecord -> training examples: chat template (conversations), prompt + completion, or
// BOS? + text + EOS; labels masked to the trained tokens; truncation at cutoffLen. Tokens are
// stored with the "trained" flag in bit 31 (ids are < 2^31), which halves the memory and the
// cache size compared to separate ids and labels.
#include "ps/chat_template.h"
#include "ps/dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::data {

constexpr std::uint32_t kTrainedBit = 0x80000000u;
constexpr std::int32_t kIgnoreIndex = -100;

inline std::int32_t tokenId(std::uint32_t t) {
    return static_cast<std::int32_t>(t & ~kTrainedBit);
}
inline bool tokenTrained(std::uint32_t t) {
    return (t & kTrainedBit) != 0;
}

struct ExampleSettings {
    ChatFamily family = ChatFamily::ChatML;
    std::int64_t cutoffLen = 1024;
    bool trainOnPrompt = false;
    bool splitLongText = true;
};

struct TokenizedRecord {
    std::vector<std::vector<std::uint32_t>> examples;
    std::int64_t truncated = 0;
    std::int64_t dropped = 0; // examples with no trained token after truncation
    std::vector<std::string> warnings;
};

// Throws RecordError for what the template cannot express (e.g. llama2 without alternating turns).
TokenizedRecord tokenizeRecord(const DataRecord& record, const Tokenizer& tokenizer, const ExampleSettings& settings);

} // namespace ps::data
