#pragma once
// The `tokenizers` BPE model: vocab + ranked merges, byte_fallback, unk_token (+fuse_unk),
// ignore_merges, continuing_subword_prefix / end_of_word_suffix. dropout is ignored (it is
// only used for training). Words are cached in a sharded, mutex-protected map so that
// tokenize() may be called from many threads at once.
#include "tokenize/word_cache.h"
#include "util/json_util.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ps::tok {

class BpeModel final {
public:
    // j: the tokenizer.json "model" object; `what` names the file for errors.
    BpeModel(const Json& j, const std::string& what);
    ~BpeModel();

    // Appends the tokens of one pre-tokenized word (empty word: nothing).
    void tokenize(std::string_view word, std::vector<WordToken>& out) const;

    // Byte-level vocabularies store GPT-2's byte characters ("Ġ" for a space). When every byte
    // has its character in the vocab, the model can take raw bytes instead, which saves
    // mapping every piece to characters and back: words then arrive unmapped. Returns false
    // (and changes nothing) when the vocab does not allow it.
    bool enableByteInput();

    std::optional<std::int32_t> tokenToId(std::string_view token) const;
    const std::string* idToToken(std::int32_t id) const;  // nullptr when unknown
    std::int32_t vocabSize() const { return vocabSize_; } // number of entries
    std::int32_t maxId() const { return static_cast<std::int32_t>(idToToken_.size()) - 1; }

private:
    struct Merge {
        std::int32_t rank;
        std::int32_t newId;
    };
    static std::uint64_t pairKey(std::int32_t a, std::int32_t b) {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
    }
    void mergeWord(std::string_view word, std::vector<WordToken>& out) const;
    std::int32_t lookupSymbol(std::string_view s) const;

    std::vector<std::string> idToToken_; // by id; "" for holes
    std::vector<std::uint8_t> idPresent_;
    std::unordered_map<std::string_view, std::int32_t> vocab_; // views into idToToken_
    bool byteInput_ = false;
    std::array<std::int32_t, 256> byteIds_{};                     // byte -> id of its character
    std::vector<std::string> rawTokens_;                          // by id: token as raw bytes
    std::unordered_map<std::string_view, std::int32_t> rawVocab_; // views into rawTokens_
    std::vector<std::int32_t> smallCharIds_; // code point < 0x800 -> id (-1 none); only without prefix/suffix
    std::array<std::int32_t, 256> byteFallbackIds_{};
    std::int32_t vocabSize_ = 0;
    std::optional<std::int32_t> unkId_;
    std::string unkToken_;
    bool fuseUnk_ = false;
    bool byteFallback_ = false;
    bool ignoreMerges_ = false;
    std::string prefix_; // continuing_subword_prefix
    std::string suffix_; // end_of_word_suffix

    // Merges as an open-addressing table: (left id, right id) -> (rank, merged id).
    struct MergeSlot {
        std::uint64_t key = ~0ull;
        Merge merge{};
    };
    const Merge* findMerge(std::int32_t a, std::int32_t b) const {
        if (mergeSlots_.empty())
            return nullptr;
        const std::uint64_t key = pairKey(a, b);
        for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> mergeShift_;; i = (i + 1) & mergeMask_) {
            const MergeSlot& s = mergeSlots_[i];
            if (s.key == key)
                return &s.merge;
            if (s.key == ~0ull)
                return nullptr;
        }
    }
    std::vector<MergeSlot> mergeSlots_;
    std::size_t mergeMask_ = 0;
    int mergeShift_ = 64;
    mutable WordCache cache_;
};

} // namespace ps::tok
