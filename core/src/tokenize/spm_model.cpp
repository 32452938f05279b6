#include "tokenize/spm_model.h"

#include "ps/error.h"
#include "tokenize/utf8.h"
#include "util/file_util.h"

#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>

namespace ps::tok {
namespace {

const std::string kSpace = "\xE2\x96\x81"; // ▁

// Minimal protobuf wire-format reader: enough for ModelProto.
class Wire final {
public:
    Wire(std::string_view data, const std::string& what) : d_(data), what_(what) {}
    bool done() const { return pos_ >= d_.size(); }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= d_.size())
                fail("truncated varint");
            const auto b = static_cast<unsigned char>(d_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80))
                return v;
        }
        fail("varint too long");
        return 0;
    }
    // Reads a tag; returns field number and wire type.
    std::pair<std::uint32_t, int> tag() {
        const std::uint64_t t = varint();
        return {static_cast<std::uint32_t>(t >> 3), static_cast<int>(t & 7)};
    }
    std::string_view bytes() {
        const std::uint64_t n = varint();
        if (n > d_.size() - pos_)
            fail("length past the end of the file");
        const std::string_view v = d_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return v;
    }
    float fixed32f() {
        if (d_.size() - pos_ < 4)
            fail("truncated float");
        std::uint32_t u;
        std::memcpy(&u, d_.data() + pos_, 4); // little-endian on every platform we build for
        pos_ += 4;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    void skip(int wireType) {
        switch (wireType) {
        case 0:
            varint();
            break;
        case 1:
            advance(8);
            break;
        case 2:
            bytes();
            break;
        case 5:
            advance(4);
            break;
        default:
            fail("unsupported wire type " + std::to_string(wireType));
        }
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw Error(what_ + ": not a SentencePiece model (" + why + " at byte " + std::to_string(pos_) + ")");
    }

private:
    void advance(std::size_t n) {
        if (d_.size() - pos_ < n)
            fail("truncated field");
        pos_ += n;
    }
    std::string_view d_;
    std::size_t pos_ = 0;
    const std::string& what_;
};

} // namespace

SpmModel::SpmModel(const std::string& path) {
    const std::string data = readFile(path);
    Wire w(data, path);
    int modelType = 1; // UNIGRAM is the proto default
    std::string normName;
    while (!w.done()) {
        const auto [field, type] = w.tag();
        if (field == 1 && type == 2) { // SentencePiece
            Wire p(w.bytes(), path);
            Piece piece;
            while (!p.done()) {
                const auto [f, t] = p.tag();
                if (f == 1 && t == 2)
                    piece.text = std::string(p.bytes());
                else if (f == 2 && t == 5)
                    piece.score = p.fixed32f();
                else if (f == 3 && t == 0)
                    piece.type = static_cast<PieceType>(p.varint());
                else
                    p.skip(t);
            }
            pieces_.push_back(std::move(piece));
        } else if (field == 2 && type == 2) { // TrainerSpec
            Wire t(w.bytes(), path);
            while (!t.done()) {
                const auto [f, wt] = t.tag();
                if (f == 3 && wt == 0)
                    modelType = static_cast<int>(t.varint());
                else
                    t.skip(wt);
            }
        } else if (field == 3 && type == 2) { // NormalizerSpec
            Wire n(w.bytes(), path);
            while (!n.done()) {
                const auto [f, wt] = n.tag();
                if (f == 1 && wt == 2)
                    normName = std::string(n.bytes());
                else if (f == 3 && wt == 0)
                    addDummyPrefix_ = n.varint() != 0;
                else if (f == 4 && wt == 0)
                    removeExtraWhitespaces_ = n.varint() != 0;
                else if (f == 5 && wt == 0)
                    escapeWhitespaces_ = n.varint() != 0;
                else
                    n.skip(wt);
            }
        } else {
            w.skip(type);
        }
    }
    if (pieces_.empty())
        throw Error(path + ": not a SentencePiece model (no pieces)");
    if (modelType != 2)
        throw Error(path + ": SentencePiece model type " +
                    std::string(modelType == 1   ? "Unigram"
                                : modelType == 3 ? "Word"
                                : modelType == 4 ? "Char"
                                                 : "?") +
                    " is not supported (only BPE, as Llama / Mistral / Gemma use); a tokenizer.json is needed");
    nfkc_ = !normName.empty() && normName != "identity";
    std::fill(std::begin(byteIds_), std::end(byteIds_), -1);
    for (std::size_t id = 0; id < pieces_.size(); ++id) {
        const Piece& p = pieces_[id];
        const auto i = static_cast<std::int32_t>(id);
        const bool normal =
            p.type == PieceType::Normal || p.type == PieceType::UserDefined || p.type == PieceType::Unused;
        auto& map = normal ? normal_ : reserved_;
        if (!map.emplace(std::string_view(p.text), i).second)
            throw Error(path + ": duplicate SentencePiece piece '" + p.text + "'");
        if (p.type == PieceType::UserDefined)
            userDefined_.push_back(p.text);
        if (p.type == PieceType::Unknown)
            unkId_ = i;
        if (p.type == PieceType::Byte) {
            if (const int v = bytePieceValue(p.text); v >= 0)
                byteIds_[v] = i;
            byteFallback_ = true;
        }
    }
    std::sort(userDefined_.begin(), userDefined_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });

    bmpIds_.assign(0x10000, -1);
    std::vector<std::pair<std::uint64_t, std::int32_t>> entries;
    for (const auto& [text, id] : normal_) {
        std::size_t i = 0;
        const char32_t cp = decodeUtf8(text, i);
        if (i == text.size() && cp < 0x10000)
            bmpIds_[cp] = id;
        while (i < text.size()) { // every split at a character boundary
            auto l = normal_.find(text.substr(0, i));
            auto r = normal_.find(text.substr(i));
            if (l != normal_.end() && r != normal_.end())
                entries.emplace_back((static_cast<std::uint64_t>(static_cast<std::uint32_t>(l->second)) << 32) |
                                         static_cast<std::uint32_t>(r->second),
                                     id);
            decodeUtf8(text, i);
        }
    }
    std::size_t cap = 16;
    pairShift_ = 60;
    while (cap < entries.size() * 2 + 16) {
        cap <<= 1;
        --pairShift_;
    }
    pairs_.assign(cap, PairSlot());
    pairMask_ = cap - 1;
    for (const auto& [key, merged] : entries) {
        for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> pairShift_;; i = (i + 1) & pairMask_) {
            if (pairs_[i].key == ~0ull || pairs_[i].key == key) {
                pairs_[i] = {key, merged};
                break;
            }
        }
    }
}

std::int32_t SpmModel::findPair(std::int32_t a, std::int32_t b) const {
    if (a < 0 || b < 0)
        return -1;
    const std::uint64_t key =
        (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
    for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> pairShift_;; i = (i + 1) & pairMask_) {
        if (pairs_[i].key == key)
            return pairs_[i].merged;
        if (pairs_[i].key == ~0ull)
            return -1;
    }
}

std::int32_t SpmModel::pieceToId(std::string_view piece) const {
    if (auto it = reserved_.find(piece); it != reserved_.end())
        return it->second;
    if (auto it = normal_.find(piece); it != normal_.end())
        return it->second;
    return -1;
}

void SpmModel::normalize(std::string_view input, bool dummyPrefix, std::string& out,
                         std::vector<std::uint32_t>* origin) const {
    // sentencepiece's Normalizer::Normalize with identity rules (per character: optional
    // NFKC, then whitespace handling). `origin[k]` is the input offset of output byte k.
    std::string text;
    std::vector<std::uint32_t> textOrigin;
    if (nfkc_) {
        UErrorCode err = U_ZERO_ERROR;
        const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(err);
        for (std::size_t i = 0; i < input.size();) {
            const std::size_t start = i;
            decodeUtf8(input, i);
            std::string one;
            icu::StringByteSink<std::string> sink(&one);
            err = U_ZERO_ERROR;
            nfkc->normalizeUTF8(0, icu::StringPiece(input.data() + start, static_cast<int32_t>(i - start)), sink,
                                nullptr, err);
            if (U_FAILURE(err))
                one.assign(input.data() + start, i - start);
            text += one;
            if (origin)
                textOrigin.insert(textOrigin.end(), one.size(), static_cast<std::uint32_t>(start));
        }
    } else {
        text.assign(input.data(), input.size());
        if (origin) {
            textOrigin.resize(text.size());
            for (std::size_t k = 0; k < text.size(); ++k)
                textOrigin[k] = static_cast<std::uint32_t>(k);
        }
    }
    auto originOf = [&](std::size_t k) { return origin ? textOrigin[k] : 0u; };
    auto record = [&](std::size_t n, std::uint32_t at) {
        if (origin)
            origin->insert(origin->end(), n, at);
    };
    std::size_t i = 0;
    if (removeExtraWhitespaces_)
        while (i < text.size() && text[i] == ' ')
            ++i;
    if (i >= text.size())
        return;
    out.reserve(text.size() + text.size() / 4 + 4);
    auto addSpace = [&](std::uint32_t at) {
        if (escapeWhitespaces_) {
            out += kSpace;
            record(kSpace.size(), at);
        } else {
            out.push_back(' ');
            record(1, at);
        }
    };
    if (dummyPrefix)
        addSpace(originOf(i));
    bool prevSpace = removeExtraWhitespaces_;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ') {
            if (prevSpace && removeExtraWhitespaces_)
                continue;
            addSpace(originOf(i));
            prevSpace = true;
        } else {
            out.push_back(c);
            record(1, originOf(i));
            prevSpace = false;
        }
        if (!removeExtraWhitespaces_)
            prevSpace = false;
    }
    if (removeExtraWhitespaces_) {
        const std::string sp = escapeWhitespaces_ ? kSpace : std::string(" ");
        while (out.size() >= sp.size() && out.compare(out.size() - sp.size(), sp.size(), sp) == 0) {
            out.resize(out.size() - sp.size());
            if (origin)
                origin->resize(out.size());
        }
    }
}

void SpmModel::encode(std::string_view text, bool dummyPrefix, std::size_t offset, std::vector<std::int32_t>& ids,
                      std::vector<Span>* spans) const {
    std::string norm;
    std::vector<std::uint32_t> origin;
    normalize(text, dummyPrefix && addDummyPrefix_, norm, spans ? &origin : nullptr);
    if (norm.empty())
        return;

    struct Symbol {
        std::int32_t prev, next;
        std::uint32_t begin, len;
        std::int32_t id; // -1: not a piece (stays as is, becomes unknown)
        bool freeze;
    };
    std::vector<Symbol> sym;
    sym.reserve(norm.size());
    for (std::size_t i = 0; i < norm.size();) {
        std::size_t len = 0;
        bool freeze = false;
        std::int32_t id = -1;
        for (const std::string& u : userDefined_)
            if (norm.compare(i, u.size(), u) == 0) {
                len = u.size();
                freeze = true;
                id = pieceToId(u);
                break;
            }
        if (!len) {
            std::size_t j = i;
            const char32_t cp = decodeUtf8(norm, j);
            len = std::min(j, norm.size()) - i;
            id = cp < 0x10000 ? bmpIds_[cp] : -1;
            if (cp >= 0x10000) {
                auto it = normal_.find(std::string_view(norm).substr(i, len));
                if (it != normal_.end())
                    id = it->second;
            }
        }
        const auto n = static_cast<std::int32_t>(sym.size());
        sym.push_back({n - 1, n + 1, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(len), id, freeze});
        i += len;
    }
    sym.back().next = -1;

    // sentencepiece's agenda: highest score first, leftmost on ties.
    struct Pair {
        std::int32_t left, right, merged;
        float score;
    };
    auto worse = [](const Pair& a, const Pair& b) { return a.score != b.score ? a.score < b.score : a.left > b.left; };
    std::vector<Pair> heap;
    heap.reserve(sym.size());
    std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse, std::move(heap));
    std::unordered_map<std::int32_t, std::pair<std::int32_t, std::int32_t>> revMerge; // unused piece -> halves
    auto maybeAdd = [&](std::int32_t l, std::int32_t r) {
        if (l < 0 || r < 0)
            return;
        const Symbol& a = sym[static_cast<std::size_t>(l)];
        const Symbol& b = sym[static_cast<std::size_t>(r)];
        if (a.freeze || b.freeze)
            return;
        const std::int32_t m = findPair(a.id, b.id);
        if (m < 0)
            return;
        agenda.push({l, r, m, pieces_[static_cast<std::size_t>(m)].score});
        if (pieces_[static_cast<std::size_t>(m)].type == PieceType::Unused)
            revMerge[m] = {a.id, b.id};
    };
    for (std::size_t k = 0; k + 1 < sym.size(); ++k)
        maybeAdd(static_cast<std::int32_t>(k), static_cast<std::int32_t>(k + 1));
    while (!agenda.empty()) {
        const Pair top = agenda.top();
        agenda.pop();
        Symbol& a = sym[static_cast<std::size_t>(top.left)];
        Symbol& b = sym[static_cast<std::size_t>(top.right)];
        if (a.len == 0 || b.len == 0 || a.next != top.right || findPair(a.id, b.id) != top.merged)
            continue;
        a.len += b.len;
        a.id = top.merged;
        a.next = b.next;
        if (b.next >= 0)
            sym[static_cast<std::size_t>(b.next)].prev = top.left;
        b.len = 0;
        maybeAdd(a.prev, top.left);
        maybeAdd(top.left, a.next);
    }

    // Output: unused pieces re-segmented, unknown pieces to bytes (byte fallback) or fused.
    bool prevUnk = false;
    auto emit = [&](std::int32_t id, std::uint32_t b, std::uint32_t e) {
        ids.push_back(id);
        if (spans) {
            const std::uint32_t ob = origin[b];
            std::uint32_t oe = e < origin.size() ? origin[e] : static_cast<std::uint32_t>(text.size());
            if (oe <= ob)
                oe = ob + 1;
            spans->push_back({static_cast<std::uint32_t>(offset + ob), static_cast<std::uint32_t>(offset + oe)});
        }
    };
    std::function<void(std::int32_t, std::uint32_t, std::uint32_t)> output = [&](std::int32_t id, std::uint32_t begin,
                                                                                 std::uint32_t len) {
        if (id >= 0 && pieces_[static_cast<std::size_t>(id)].type == PieceType::Unused) {
            auto it = revMerge.find(id);
            if (it != revMerge.end()) {
                const auto leftLen =
                    static_cast<std::uint32_t>(pieces_[static_cast<std::size_t>(it->second.first)].text.size());
                output(it->second.first, begin, leftLen);
                output(it->second.second, begin + leftLen, len - leftLen);
                return;
            }
        }
        if (id < 0)
            id = pieceToId(std::string_view(norm).substr(begin, len)); // e.g. a reserved piece
        if (id < 0)
            id = unkId_;
        const bool unk = id == unkId_;
        const std::uint32_t end = begin + len;
        if (unk && byteFallback_) {
            for (std::uint32_t k = begin; k < end; ++k) {
                const std::int32_t bid = byteIds_[static_cast<unsigned char>(norm[k])];
                emit(bid >= 0 ? bid : unkId_, k, k + 1);
            }
        } else if (unk && prevUnk) {
            if (spans && !spans->empty())
                spans->back().end = static_cast<std::uint32_t>(
                    offset + (end < origin.size() ? origin[end] : static_cast<std::uint32_t>(text.size())));
        } else {
            emit(id, begin, end);
        }
        prevUnk = unk;
    };
    for (std::int32_t k = 0; k >= 0; k = sym[static_cast<std::size_t>(k)].next) {
        const Symbol& s = sym[static_cast<std::size_t>(k)];
        output(s.id, s.begin, s.len);
    }
}

} // namespace ps::tok
