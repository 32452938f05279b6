#include "tokenize/hf_tokenizer.h"

#include "ps/error.h"
#include "tokenize/utf8.h"

#include <algorithm>

namespace ps::tok {

namespace {

bool boolField(const Json& t, const char* key, bool fallback) {
    return t.contains(key) && t[key].is_boolean() ? t[key].get<bool>() : fallback;
}

} // namespace

HfTokenizer::HfTokenizer(const Json& j, const std::string& what) {
    if (!j.is_object())
        throw Error(what + ": expected a JSON object at the top level");
    if (!j.contains("model") || !j["model"].is_object())
        throw Error(what + ": missing 'model' object (is this a Hugging Face tokenizer.json?)");
    normalizer_ = makeNormalizer(j.value("normalizer", Json()), what);
    preTokenizer_ = makePreTokenizer(j.value("pre_tokenizer", Json()), what);
    model_ = std::make_unique<BpeModel>(j["model"], what);
    decoder_ = makeDecoder(j.value("decoder", Json()), what);
    wrap_ = makeSpecialWrap(j.value("post_processor", Json()), what);

    std::vector<AddedToken> tokens;
    if (j.contains("added_tokens") && !j["added_tokens"].is_null()) {
        if (!j["added_tokens"].is_array())
            throw Error(what + ": 'added_tokens' must be an array");
        for (const auto& t : j["added_tokens"]) {
            if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || !t.contains("content") ||
                !t["content"].is_string())
                throw Error(what + ": each added_tokens entry needs an integer 'id' and a string 'content', found " +
                            t.dump().substr(0, 200));
            AddedToken a;
            a.id = t["id"].get<std::int32_t>();
            a.content = t["content"].get<std::string>();
            a.special = boolField(t, "special", false);
            a.singleWord = boolField(t, "single_word", false);
            a.lstrip = boolField(t, "lstrip", false);
            a.rstrip = boolField(t, "rstrip", false);
            a.normalized = boolField(t, "normalized", !a.special);
            tokens.push_back(std::move(a));
        }
    }
    added_.build(std::move(tokens), normalizer_.get());
    if (preTokenizer_ && preTokenizer_->endsWithByteLevel() && model_->enableByteInput())
        preTokenizer_->skipByteMapping();
}

void HfTokenizer::encodeNormalizedPiece(Piece&& piece, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const {
    std::vector<WordToken> toks;
    auto model = [&](Piece&& p) {
        if (p.text.empty())
            return;
        toks.clear();
        model_->tokenize(p.text, toks);
        std::size_t pos = 0;
        for (const WordToken& t : toks) {
            ids.push_back(t.id);
            if (spans)
                spans->push_back(p.spanOf(pos, pos + std::max<std::uint32_t>(t.len, 1)));
            pos += t.len;
        }
    };
    if (preTokenizer_)
        preTokenizer_->split(std::move(piece), model);
    else
        model(std::move(piece));
}

void HfTokenizer::encodeText(std::string_view text, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const {
    const bool track = spans != nullptr;
    std::vector<AddedSplit> rawSplits;
    added_.split(text, false, rawSplits);
    std::vector<AddedSplit> normSplits;
    for (const AddedSplit& rs : rawSplits) {
        if (rs.id >= 0) {
            ids.push_back(rs.id);
            if (spans)
                spans->push_back({static_cast<std::uint32_t>(rs.begin), static_cast<std::uint32_t>(rs.end)});
            continue;
        }
        if (rs.end <= rs.begin)
            continue;
        Piece p;
        p.text.assign(text.data() + rs.begin, rs.end - rs.begin);
        p.atOrigin = rs.begin == 0;
        p.originBegin = static_cast<std::uint32_t>(rs.begin);
        p.tracked = track;
        if (track) {
            p.align.resize(p.text.size());
            // Each byte aligned to its whole character, as the `tokenizers` alignments are per char.
            for (std::size_t i = 0; i < p.text.size();) {
                const std::size_t n = std::min<std::size_t>(
                    static_cast<std::size_t>(utf8SeqLen(static_cast<unsigned char>(p.text[i]))), p.text.size() - i);
                for (std::size_t k = 0; k < n; ++k)
                    p.align[i + k] = {static_cast<std::uint32_t>(rs.begin + i),
                                      static_cast<std::uint32_t>(rs.begin + i + n)};
                i += n;
            }
        }
        if (normalizer_)
            normalizer_->normalize(p);
        if (p.text.empty())
            continue;
        if (!added_.hasNormalizedTokens()) {
            encodeNormalizedPiece(std::move(p), ids, spans);
            continue;
        }
        normSplits.clear();
        added_.split(p.text, true, normSplits);
        for (const AddedSplit& ns : normSplits) {
            if (ns.end <= ns.begin)
                continue;
            if (ns.id >= 0) {
                ids.push_back(ns.id);
                if (spans)
                    spans->push_back(p.spanOf(ns.begin, ns.end));
                continue;
            }
            encodeNormalizedPiece(p.slice(ns.begin, ns.end), ids, spans);
        }
    }
}

std::string HfTokenizer::decode(const std::vector<std::int32_t>& ids, bool skipSpecial) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (std::int32_t id : ids) {
        if (const AddedToken* a = added_.byId(id)) {
            if (skipSpecial && a->special)
                continue;
            tokens.push_back(a->content);
        } else if (const std::string* t = model_->idToToken(id)) {
            if (skipSpecial && added_.isSpecialContent(*t))
                continue;
            tokens.push_back(*t);
        }
    }
    if (!decoder_) {
        std::string out;
        for (std::size_t k = 0; k < tokens.size(); ++k) {
            if (k)
                out.push_back(' ');
            out += tokens[k];
        }
        return out;
    }
    decoder_->decodeChain(tokens);
    std::string out;
    for (const auto& t : tokens)
        out += t;
    return out;
}

std::optional<std::int32_t> HfTokenizer::tokenToId(std::string_view token) const {
    if (auto id = added_.idOf(token))
        return id;
    return model_->tokenToId(token);
}

std::optional<std::string> HfTokenizer::idToToken(std::int32_t id) const {
    if (const AddedToken* a = added_.byId(id))
        return a->content;
    if (const std::string* t = model_->idToToken(id))
        return *t;
    return std::nullopt;
}

std::int32_t HfTokenizer::vocabSize() const {
    std::int32_t maxId = model_->maxId();
    for (const auto& t : added_.tokens())
        maxId = std::max(maxId, t.id);
    return maxId + 1;
}

bool HfTokenizer::isSpecial(std::int32_t id) const {
    const AddedToken* a = added_.byId(id);
    return a && a->special;
}

} // namespace ps::tok
