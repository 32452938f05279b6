#include "tokenize/bpe_model.h"

#include "ps/error.h"
#include "tokenize/byte_level.h"
#include "tokenize/utf8.h"

#include <cstdio>
#include <functional>
#include <queue>

namespace ps::tok {

namespace {
constexpr std::size_t kMaxCachedWordBytes = 256; // as the `tokenizers` BPE cache
} // namespace

BpeModel::~BpeModel() = default;

BpeModel::BpeModel(const Json& j, const std::string& what) {
    const std::string type = jsonString(j, "type", "BPE", what);
    if (type != "BPE")
        throw Error(what + ": unsupported model type '" + type + "' (only BPE is supported for tokenizer.json)");
    if (!j.contains("vocab") || !j["vocab"].is_object())
        throw Error(what + ": model.vocab must be an object {token: id}");
    const Json& vocab = j["vocab"];
    std::int64_t maxId = -1;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0)
            throw Error(what + ": model.vocab['" + it.key() + "'] must be a non-negative integer id, found " +
                        it.value().dump());
        maxId = std::max(maxId, it.value().get<std::int64_t>());
    }
    if (maxId >= (1ll << 30))
        throw Error(what + ": model.vocab id " + std::to_string(maxId) + " is too large");
    idToToken_.resize(static_cast<std::size_t>(maxId + 1));
    idPresent_.assign(static_cast<std::size_t>(maxId + 1), 0);
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        const auto id = static_cast<std::size_t>(it.value().get<std::int64_t>());
        idToToken_[id] = it.key();
        idPresent_[id] = 1;
    }
    vocab_.reserve(idToToken_.size() * 2);
    for (std::size_t id = 0; id < idToToken_.size(); ++id)
        if (idPresent_[id])
            vocab_[std::string_view(idToToken_[id])] = static_cast<std::int32_t>(id);
    vocabSize_ = static_cast<std::int32_t>(vocab_.size());

    auto optString = [&](const char* key) -> std::string {
        if (!j.contains(key) || j[key].is_null())
            return {};
        if (!j[key].is_string())
            throw Error(what + ": model." + key + " must be a string or null");
        return j[key].get<std::string>();
    };
    unkToken_ = optString("unk_token");
    prefix_ = optString("continuing_subword_prefix");
    suffix_ = optString("end_of_word_suffix");
    fuseUnk_ = j.contains("fuse_unk") && j["fuse_unk"].is_boolean() && j["fuse_unk"].get<bool>();
    byteFallback_ = j.contains("byte_fallback") && j["byte_fallback"].is_boolean() && j["byte_fallback"].get<bool>();
    ignoreMerges_ = j.contains("ignore_merges") && j["ignore_merges"].is_boolean() && j["ignore_merges"].get<bool>();
    if (!unkToken_.empty()) {
        if (auto id = tokenToId(unkToken_))
            unkId_ = *id;
    }
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        auto id = tokenToId(buf);
        byteFallbackIds_[static_cast<std::size_t>(b)] = id ? *id : -1;
    }

    if (j.contains("merges") && !j["merges"].is_null()) {
        if (!j["merges"].is_array())
            throw Error(what + ": model.merges must be an array");
        const Json& merges = j["merges"];
        std::size_t cap = 16;
        mergeShift_ = 60;
        while (cap < merges.size() * 2 + 16) {
            cap <<= 1;
            --mergeShift_;
        }
        mergeSlots_.assign(cap, MergeSlot());
        mergeMask_ = cap - 1;
        std::string left, right;
        for (std::size_t rank = 0; rank < merges.size(); ++rank) {
            const Json& m = merges[rank];
            if (m.is_string()) {
                const std::string& s = m.get_ref<const std::string&>();
                const auto sp = s.find(' ');
                if (sp == std::string::npos)
                    throw Error(what + ": model.merges[" + std::to_string(rank) + "] '" + s +
                                "' must be two tokens separated by a space");
                left = s.substr(0, sp);
                right = s.substr(sp + 1);
            } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
                left = m[0].get<std::string>();
                right = m[1].get<std::string>();
            } else {
                throw Error(what + ": model.merges[" + std::to_string(rank) +
                            "] must be \"a b\" or [\"a\", \"b\"], found " + m.dump().substr(0, 100));
            }
            const auto a = tokenToId(left), b = tokenToId(right);
            std::string merged = left;
            merged += std::string_view(right).substr(
                !prefix_.empty() && right.compare(0, prefix_.size(), prefix_) == 0 ? prefix_.size() : 0);
            const auto n = tokenToId(merged);
            if (!a || !b || !n)
                throw Error(what + ": model.merges[" + std::to_string(rank) + "] ('" + left + "', '" + right +
                            "'): token '" +
                            (!a   ? left
                             : !b ? right
                                  : merged) +
                            "' is not in model.vocab");
            // A repeated pair keeps the later rank, as the `tokenizers` HashMap does.
            const std::uint64_t key = pairKey(*a, *b);
            for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> mergeShift_;; i = (i + 1) & mergeMask_) {
                MergeSlot& slot = mergeSlots_[i];
                if (slot.key == key || slot.key == ~0ull) {
                    slot.key = key;
                    slot.merge = Merge{static_cast<std::int32_t>(rank), *n};
                    break;
                }
            }
        }
    }

    if (prefix_.empty() && suffix_.empty()) {
        smallCharIds_.assign(0x800, -1);
        std::string s;
        for (char32_t cp = 0; cp < 0x800; ++cp) {
            s.clear();
            appendUtf8(s, cp);
            if (auto id = tokenToId(s))
                smallCharIds_[cp] = *id;
        }
    }
}

bool BpeModel::enableByteInput() {
    if (!prefix_.empty() || !suffix_.empty())
        return false;
    const auto& map = byteToUnicodeUtf8();
    std::array<std::int32_t, 256> ids{};
    for (int b = 0; b < 256; ++b) {
        const auto id = tokenToId(map[static_cast<std::size_t>(b)]);
        if (!id)
            return false;
        ids[static_cast<std::size_t>(b)] = *id;
    }
    byteIds_ = ids;
    rawTokens_.assign(idToToken_.size(), std::string());
    rawVocab_.reserve(idToToken_.size() * 2);
    for (std::size_t id = 0; id < idToToken_.size(); ++id) {
        if (!idPresent_[id])
            continue;
        std::string raw;
        bool ok = true;
        const std::string& t = idToToken_[id];
        for (std::size_t i = 0; i < t.size() && ok;) {
            const int b = unicodeToByte(decodeUtf8(t, i));
            ok = b >= 0;
            raw.push_back(static_cast<char>(b));
        }
        // A token with a character outside the byte table can never come out of byte-level
        // BPE (its input has only table characters), so leaving it out changes nothing.
        if (ok && !raw.empty())
            rawTokens_[id] = std::move(raw);
    }
    for (std::size_t id = 0; id < rawTokens_.size(); ++id)
        if (!rawTokens_[id].empty())
            rawVocab_.emplace(std::string_view(rawTokens_[id]), static_cast<std::int32_t>(id));
    byteInput_ = true;
    return true;
}

std::optional<std::int32_t> BpeModel::tokenToId(std::string_view token) const {
    auto it = vocab_.find(token);
    if (it == vocab_.end())
        return std::nullopt;
    return it->second;
}

const std::string* BpeModel::idToToken(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= idToToken_.size() || !idPresent_[static_cast<std::size_t>(id)])
        return nullptr;
    return &idToToken_[static_cast<std::size_t>(id)];
}

std::int32_t BpeModel::lookupSymbol(std::string_view s) const {
    auto it = vocab_.find(s);
    return it == vocab_.end() ? -1 : it->second;
}

void BpeModel::tokenize(std::string_view word, std::vector<WordToken>& out) const {
    if (word.empty())
        return;
    if (ignoreMerges_) {
        std::int32_t id = -1;
        if (byteInput_) {
            auto it = rawVocab_.find(word);
            if (it != rawVocab_.end())
                id = it->second;
        } else {
            id = lookupSymbol(word);
        }
        if (id >= 0) {
            out.push_back({id, static_cast<std::uint32_t>(word.size())});
            return;
        }
    }
    // One character: nothing to merge, and cheaper than a cache lookup.
    if (static_cast<std::size_t>(utf8SeqLen(static_cast<unsigned char>(word[0]))) >= word.size() ||
        (byteInput_ && word.size() == 1)) {
        mergeWord(word, out);
        return;
    }
    if (word.size() >= kMaxCachedWordBytes) {
        mergeWord(word, out);
        return;
    }
    const std::uint64_t h = WordCache::hash(word);
    if (cache_.find(word, h, out))
        return;
    const std::size_t first = out.size();
    mergeWord(word, out);
    cache_.insert(word, h, out.data() + first, out.size() - first);
}

void BpeModel::mergeWord(std::string_view w, std::vector<WordToken>& out) const {
    struct Symbol {
        std::int32_t id;
        std::int32_t prev, next;
        std::uint32_t len;
    };
    std::vector<Symbol> syms;
    syms.reserve(w.size());
    auto add = [&](std::int32_t id, std::uint32_t len) {
        const auto n = static_cast<std::int32_t>(syms.size());
        syms.push_back({id, n - 1, n + 1, len});
    };
    if (byteInput_) {
        for (unsigned char c : w)
            add(byteIds_[c], 1);
        w = std::string_view(); // skip the character loop below
    }
    bool haveUnk = false;
    std::uint32_t unkLen = 0;
    std::string withAffix;
    for (std::size_t i = 0; i < w.size();) {
        const std::size_t start = i;
        const char32_t cp = decodeUtf8(w, i);
        const auto byteLen = static_cast<std::uint32_t>(i - start);
        std::int32_t id;
        std::string_view s = w.substr(start, byteLen);
        if (!smallCharIds_.empty() && cp < 0x800) {
            id = smallCharIds_[cp];
        } else if (prefix_.empty() && suffix_.empty()) {
            id = lookupSymbol(s);
        } else {
            withAffix.clear();
            if (start != 0)
                withAffix += prefix_;
            withAffix.append(s.data(), s.size());
            if (i >= w.size())
                withAffix += suffix_;
            s = withAffix;
            id = lookupSymbol(s);
        }
        if (id >= 0) {
            if (haveUnk) {
                add(*unkId_, unkLen);
                haveUnk = false;
            }
            add(id, byteLen);
            continue;
        }
        if (byteFallback_) {
            bool all = true;
            for (unsigned char c : s)
                all = all && byteFallbackIds_[c] >= 0;
            if (all) {
                // As the `tokenizers` library: a pending unk is not flushed before the bytes.
                for (unsigned char c : s)
                    add(byteFallbackIds_[c], 1);
                continue;
            }
        }
        if (unkId_) {
            if (haveUnk && fuseUnk_) {
                unkLen += byteLen;
            } else {
                if (haveUnk)
                    add(*unkId_, unkLen);
                haveUnk = true;
                unkLen = byteLen;
            }
        } else if (!unkToken_.empty()) {
            throw Error("BPE: unk_token '" + unkToken_ + "' is not in the vocabulary");
        }
        // No unk token: the character is dropped, as in the `tokenizers` library.
    }
    if (haveUnk)
        add(*unkId_, unkLen);
    if (syms.empty())
        return;
    syms.back().next = -1;

    struct Candidate {
        std::int32_t rank, pos, newId;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    for (std::size_t k = 0; k + 1 < syms.size(); ++k)
        if (const Merge* m = findMerge(syms[k].id, syms[k + 1].id))
            queue.push({m->rank, static_cast<std::int32_t>(k), m->newId});
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& cur = syms[static_cast<std::size_t>(top.pos)];
        if (cur.len == 0 || cur.next < 0)
            continue;
        Symbol& right = syms[static_cast<std::size_t>(cur.next)];
        const Merge* m = findMerge(cur.id, right.id);
        if (!m || m->newId != top.newId)
            continue; // stale entry
        cur.id = top.newId;
        cur.len += right.len;
        right.len = 0;
        cur.next = right.next;
        if (cur.next >= 0)
            syms[static_cast<std::size_t>(cur.next)].prev = top.pos;
        if (cur.prev >= 0)
            if (const Merge* pm = findMerge(syms[static_cast<std::size_t>(cur.prev)].id, cur.id))
                queue.push({pm->rank, cur.prev, pm->newId});
        if (cur.next >= 0)
            if (const Merge* nm = findMerge(cur.id, syms[static_cast<std::size_t>(cur.next)].id))
                queue.push({nm->rank, top.pos, nm->newId});
    }
    for (const Symbol& s : syms)
        if (s.len != 0)
            out.push_back({s.id, s.len});
}

} // namespace ps::tok
