#include "tokenize/spm_tokenizer.h"

#include "ps/error.h"
#include "tokenize/utf8.h"

#include <algorithm>

namespace ps::tok {

SpmTokenizer::SpmTokenizer(const std::string& modelPath, const TokenizerConfig& config)
    : sp_(modelPath), path_(modelPath) {
    legacy_ = config.legacy.value_or(true);

    std::vector<AddedToken> tokens = config.addedTokensDecoder;
    for (auto& t : tokens)
        t.normalized = false; // slow tokenizers match added tokens in the raw text
    auto addSpecial = [&](const std::optional<std::string>& content) {
        if (!content || content->empty())
            return;
        for (const auto& t : tokens)
            if (t.content == *content)
                return;
        const std::int32_t id = sp_.pieceToId(*content);
        if (id < 0)
            return;
        AddedToken a;
        a.content = *content;
        a.id = id;
        a.special = true;
        tokens.push_back(std::move(a));
    };
    addSpecial(config.bos);
    addSpecial(config.eos);
    addSpecial(config.unk);
    addSpecial(config.pad);
    if (!config.present) {
        // No config: the model's control and unknown pieces are the special tokens.
        for (std::int32_t id = 0; id < sp_.size(); ++id)
            if (sp_.type(id) == SpmModel::PieceType::Control || sp_.type(id) == SpmModel::PieceType::Unknown)
                addSpecial(sp_.piece(id));
    }
    added_.build(std::move(tokens), nullptr);
}

void SpmTokenizer::encodeText(std::string_view text, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const {
    std::vector<AddedSplit> splits;
    added_.split(text, false, splits);
    for (const AddedSplit& s : splits) {
        if (s.id >= 0) {
            ids.push_back(s.id);
            if (spans)
                spans->push_back({static_cast<std::uint32_t>(s.begin), static_cast<std::uint32_t>(s.end)});
            continue;
        }
        if (s.end <= s.begin)
            continue;
        // legacy (transformers' default for Llama): every piece gets the dummy prefix;
        // non-legacy: only the piece at the start of the text.
        sp_.encode(text.substr(s.begin, s.end - s.begin), legacy_ || s.begin == 0, s.begin, ids, spans);
    }
}

std::string SpmTokenizer::decode(const std::vector<std::int32_t>& ids, bool skipSpecial) const {
    // The decoder transformers' LlamaConverter writes: Replace(▁ -> " "), ByteFallback, Fuse,
    // Strip(one leading space).
    std::string out;
    std::string bytes;
    std::size_t byteCount = 0;
    auto flushBytes = [&] {
        if (byteCount == 0)
            return;
        if (isValidUtf8(bytes)) {
            out += bytes;
        } else {
            for (std::size_t k = 0; k < byteCount; ++k)
                out += "\xEF\xBF\xBD";
        }
        bytes.clear();
        byteCount = 0;
    };
    for (std::int32_t id : ids) {
        std::string piece;
        if (const AddedToken* a = added_.byId(id)) {
            if (skipSpecial && a->special)
                continue;
            piece = a->content;
        } else if (id >= 0 && id < sp_.size()) {
            const auto type = sp_.type(id);
            if (skipSpecial && (type == SpmModel::PieceType::Control || type == SpmModel::PieceType::Unknown))
                continue;
            piece = sp_.piece(id);
            if (type == SpmModel::PieceType::Byte) {
                // "<0xHH>"; a BYTE piece spelled otherwise (a damaged or hostile file) is text.
                if (const int b = bytePieceValue(piece); b >= 0) {
                    bytes.push_back(static_cast<char>(b));
                    ++byteCount;
                    continue;
                }
            }
        } else {
            continue;
        }
        flushBytes();
        for (std::size_t pos = 0;;) {
            const std::size_t hit = piece.find("\xE2\x96\x81", pos);
            out.append(piece, pos, hit == std::string::npos ? std::string::npos : hit - pos);
            if (hit == std::string::npos)
                break;
            out.push_back(' ');
            pos = hit + 3;
        }
    }
    flushBytes();
    if (sp_.addsDummyPrefix() && !out.empty() && out[0] == ' ')
        out.erase(0, 1);
    return out;
}

std::optional<std::int32_t> SpmTokenizer::tokenToId(std::string_view token) const {
    if (auto id = added_.idOf(token))
        return id;
    const std::int32_t id = sp_.pieceToId(token);
    if (id < 0)
        return std::nullopt;
    return id;
}

std::optional<std::string> SpmTokenizer::idToToken(std::int32_t id) const {
    if (const AddedToken* a = added_.byId(id))
        return a->content;
    if (id < 0 || id >= sp_.size())
        return std::nullopt;
    return sp_.piece(id);
}

std::int32_t SpmTokenizer::vocabSize() const {
    std::int32_t n = sp_.size();
    for (const auto& t : added_.tokens())
        n = std::max(n, t.id + 1);
    return n;
}

bool SpmTokenizer::isSpecial(std::int32_t id) const {
    if (const AddedToken* a = added_.byId(id))
        return a->special;
    return id >= 0 && id < sp_.size() &&
           (sp_.type(id) == SpmModel::PieceType::Control || sp_.type(id) == SpmModel::PieceType::Unknown);
}

std::optional<std::int32_t> SpmTokenizer::pieceId(const std::string& piece) const {
    const std::int32_t id = sp_.pieceToId(piece);
    if (id < 0)
        return std::nullopt;
    return id;
}

} // namespace ps::tok
