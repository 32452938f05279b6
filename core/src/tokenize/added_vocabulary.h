#pragma once
// Added tokens (tokenizer.json "added_tokens", tokenizer_config.json "added_tokens_decoder"):
// found in the text before the model runs, leftmost-longest as the `tokenizers` library's
// Aho-Corasick matcher, with its single_word / lstrip / rstrip rules. Tokens with
// normalized = false are matched in the raw text, the others in the normalized text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ps::tok {

class Normalizer;

struct AddedToken {
    std::string content;
    std::int32_t id = 0;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
};

// A split of a text: [begin, end) and the added token's id, or -1 for plain text.
struct AddedSplit {
    std::size_t begin, end;
    std::int32_t id;
};

class AddedVocabulary final {
public:
    AddedVocabulary() = default;
    // normalizer: used to build the normalized-token matcher (may be null).
    void build(std::vector<AddedToken> tokens, const Normalizer* normalizer);

    bool empty() const { return tokens_.empty(); }
    bool hasNormalizedTokens() const { return !normTrie_.nodes.empty() && normTrie_.hasAny; }
    bool hasRawTokens() const { return !rawTrie_.nodes.empty() && rawTrie_.hasAny; }
    // Splits covering `text`; `normalizedPass` picks which tokens are looked for.
    void split(std::string_view text, bool normalizedPass, std::vector<AddedSplit>& out) const;

    const AddedToken* byId(std::int32_t id) const;
    std::optional<std::int32_t> idOf(std::string_view content) const;
    bool isSpecialContent(std::string_view content) const;
    const std::vector<AddedToken>& tokens() const { return tokens_; }

private:
    struct Trie {
        struct Node {
            std::vector<std::pair<unsigned char, std::int32_t>> children; // sorted by byte
            std::int32_t token = -1;                                      // index into tokens_
        };
        std::vector<Node> nodes;
        bool hasAny = false;
        bool firstByte[256] = {};
        void insert(std::string_view key, std::int32_t tokenIndex);
        // Longest token starting at text[pos]: index and length, or -1.
        std::int32_t longestAt(std::string_view text, std::size_t pos, std::size_t& len) const;
    };
    std::vector<AddedToken> tokens_;
    std::unordered_map<std::int32_t, std::size_t> byId_;
    std::unordered_map<std::string, std::int32_t> byContent_;
    Trie rawTrie_, normTrie_;
};

} // namespace ps::tok
