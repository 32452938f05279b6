#include "tokenize/added_vocabulary.h"

#include "tokenize/normalizer.h"
#include "tokenize/utf8.h"

#include <algorithm>

namespace ps::tok {

void AddedVocabulary::Trie::insert(std::string_view key, std::int32_t tokenIndex) {
    if (key.empty())
        return;
    if (nodes.empty())
        nodes.emplace_back();
    std::int32_t cur = 0;
    for (unsigned char c : key) {
        auto& ch = nodes[static_cast<std::size_t>(cur)].children;
        auto it = std::lower_bound(
            ch.begin(), ch.end(), c,
            [](const std::pair<unsigned char, std::int32_t>& a, unsigned char b) { return a.first < b; });
        if (it != ch.end() && it->first == c) {
            cur = it->second;
        } else {
            const auto next = static_cast<std::int32_t>(nodes.size());
            ch.insert(it, {c, next});
            nodes.emplace_back();
            cur = next;
        }
    }
    // The first token with a given pattern wins, as pattern order in the Aho-Corasick build.
    if (nodes[static_cast<std::size_t>(cur)].token < 0)
        nodes[static_cast<std::size_t>(cur)].token = tokenIndex;
    firstByte[static_cast<unsigned char>(key[0])] = true;
    hasAny = true;
}

std::int32_t AddedVocabulary::Trie::longestAt(std::string_view text, std::size_t pos, std::size_t& len) const {
    std::int32_t best = -1;
    std::int32_t cur = 0;
    for (std::size_t i = pos; i < text.size(); ++i) {
        const auto& ch = nodes[static_cast<std::size_t>(cur)].children;
        const auto c = static_cast<unsigned char>(text[i]);
        auto it = std::lower_bound(
            ch.begin(), ch.end(), c,
            [](const std::pair<unsigned char, std::int32_t>& a, unsigned char b) { return a.first < b; });
        if (it == ch.end() || it->first != c)
            break;
        cur = it->second;
        if (nodes[static_cast<std::size_t>(cur)].token >= 0) {
            best = nodes[static_cast<std::size_t>(cur)].token;
            len = i + 1 - pos;
        }
    }
    return best;
}

void AddedVocabulary::build(std::vector<AddedToken> tokens, const Normalizer* normalizer) {
    tokens_ = std::move(tokens);
    byId_.clear();
    byContent_.clear();
    rawTrie_ = Trie();
    normTrie_ = Trie();
    for (std::size_t k = 0; k < tokens_.size(); ++k) {
        const AddedToken& t = tokens_[k];
        byId_[t.id] = k;
        byContent_.emplace(t.content, t.id);
    }
    // Special tokens first, then the others, as the `tokenizers` library orders its patterns.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t k = 0; k < tokens_.size(); ++k) {
            const AddedToken& t = tokens_[k];
            if (t.special != (pass == 0) || t.content.empty())
                continue;
            if (t.normalized)
                normTrie_.insert(normalizer ? normalizeString(*normalizer, t.content) : t.content,
                                 static_cast<std::int32_t>(k));
            else
                rawTrie_.insert(t.content, static_cast<std::int32_t>(k));
        }
    }
}

const AddedToken* AddedVocabulary::byId(std::int32_t id) const {
    auto it = byId_.find(id);
    return it == byId_.end() ? nullptr : &tokens_[it->second];
}

std::optional<std::int32_t> AddedVocabulary::idOf(std::string_view content) const {
    auto it = byContent_.find(std::string(content));
    if (it == byContent_.end())
        return std::nullopt;
    return it->second;
}

bool AddedVocabulary::isSpecialContent(std::string_view content) const {
    for (const auto& t : tokens_)
        if (t.special && t.content == content)
            return true;
    return false;
}

namespace {

bool endsWithWordChar(std::string_view s) {
    if (s.empty())
        return false;
    std::size_t start;
    return isWordChar(decodeUtf8Before(s, s.size(), start));
}

bool startsWithWordChar(std::string_view s) {
    if (s.empty())
        return false;
    std::size_t i = 0;
    return isWordChar(decodeUtf8(s, i));
}

} // namespace

void AddedVocabulary::split(std::string_view text, bool normalizedPass, std::vector<AddedSplit>& out) const {
    const Trie& trie = normalizedPass ? normTrie_ : rawTrie_;
    if (text.empty()) {
        out.push_back({0, 0, -1});
        return;
    }
    std::size_t startOffset = 0;
    if (trie.hasAny) {
        std::size_t pos = 0;
        while (pos < text.size()) {
            if (!trie.firstByte[static_cast<unsigned char>(text[pos])]) {
                ++pos;
                continue;
            }
            std::size_t len = 0;
            const std::int32_t k = trie.longestAt(text, pos, len);
            if (k < 0) {
                ++pos;
                continue;
            }
            const AddedToken& t = tokens_[static_cast<std::size_t>(k)];
            std::size_t start = pos, stop = pos + len;
            pos = stop; // the matcher continues after the match, whatever the token does with it
            if (t.singleWord) {
                const bool startSpace = start == 0 || !endsWithWordChar(text.substr(0, start));
                const bool stopSpace = stop == text.size() || !startsWithWordChar(text.substr(stop));
                if (!startSpace || !stopSpace)
                    continue;
            }
            if (t.lstrip) {
                std::size_t s = start;
                while (s > 0) {
                    std::size_t prev;
                    if (!isWhitespace(decodeUtf8Before(text, s, prev)))
                        break;
                    s = prev;
                }
                start = std::max(s, startOffset);
            }
            if (t.rstrip) {
                while (stop < text.size()) {
                    std::size_t j = stop;
                    if (!isWhitespace(decodeUtf8(text, j)))
                        break;
                    stop = j;
                }
            }
            if (startOffset < start)
                out.push_back({startOffset, start, -1});
            out.push_back({start, stop, t.id});
            startOffset = stop;
        }
    }
    if (startOffset != text.size())
        out.push_back({startOffset, text.size(), -1});
}

} // namespace ps::tok
