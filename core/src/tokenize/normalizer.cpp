#include "tokenize/normalizer.h"

#include "ps/error.h"
#include "tokenize/byte_level.h"
#include "tokenize/pattern.h"
#include "tokenize/utf8.h"

#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include <vector>

namespace ps::tok {
namespace {

enum class NormForm { NFC, NFD, NFKC, NFKD };

class UnicodeNormalizer final : public Normalizer {
public:
    UnicodeNormalizer(NormForm form, const std::string& what) {
        UErrorCode err = U_ZERO_ERROR;
        switch (form) {
        case NormForm::NFC:
            norm_ = icu::Normalizer2::getNFCInstance(err);
            break;
        case NormForm::NFD:
            norm_ = icu::Normalizer2::getNFDInstance(err);
            break;
        case NormForm::NFKC:
            norm_ = icu::Normalizer2::getNFKCInstance(err);
            break;
        case NormForm::NFKD:
            norm_ = icu::Normalizer2::getNFKDInstance(err);
            break;
        }
        if (U_FAILURE(err) || !norm_)
            throw Error(what + ": cannot load the ICU Unicode normalization data (" + u_errorName(err) + ")");
    }

    void normalize(Piece& p) const override {
        UErrorCode err = U_ZERO_ERROR;
        const icu::StringPiece src(p.text.data(), static_cast<int32_t>(p.text.size()));
        if (norm_->isNormalizedUTF8(src, err) && U_SUCCESS(err))
            return;
        err = U_ZERO_ERROR;
        std::string out;
        out.reserve(p.text.size() + 8);
        icu::StringByteSink<std::string> sink(&out);
        icu::Edits edits;
        norm_->normalizeUTF8(0, src, sink, p.tracked ? &edits : nullptr, err);
        if (U_FAILURE(err))
            return; // cannot happen for valid UTF-8; keep the text unchanged
        if (p.tracked) {
            std::vector<Span> align;
            align.reserve(out.size());
            auto it = edits.getFineIterator();
            while (it.next(err)) {
                const auto s0 = static_cast<std::size_t>(it.sourceIndex());
                const auto oldLen = static_cast<std::size_t>(it.oldLength());
                const auto newLen = static_cast<std::size_t>(it.newLength());
                if (!it.hasChange()) {
                    align.insert(align.end(), p.align.begin() + static_cast<std::ptrdiff_t>(s0),
                                 p.align.begin() + static_cast<std::ptrdiff_t>(s0 + oldLen));
                } else {
                    Span sp;
                    if (oldLen > 0) {
                        sp = {p.align[s0].begin, p.align[s0 + oldLen - 1].end};
                    } else if (s0 < p.align.size()) {
                        sp = p.align[s0];
                    } else if (!p.align.empty()) {
                        sp = p.align.back();
                    } else {
                        sp = {p.originBegin, p.originBegin};
                    }
                    align.insert(align.end(), newLen, sp);
                }
            }
            p.align = std::move(align);
        }
        p.text = std::move(out);
    }

private:
    const icu::Normalizer2* norm_ = nullptr;
};

// Full lowercase mapping of each character on its own, as Rust's char::to_lowercase (no
// context-sensitive final sigma: the `tokenizers` library maps character by character).
void lowercaseChar(char32_t c, std::string& out) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
        return;
    }
    UChar src[2];
    int32_t srcLen = 0;
    U16_APPEND_UNSAFE(src, srcLen, static_cast<UChar32>(c));
    UChar dst[8];
    UErrorCode err = U_ZERO_ERROR;
    const int32_t n = u_strToLower(dst, 8, src, srcLen, "", &err);
    if (U_FAILURE(err)) {
        appendUtf8(out, c);
        return;
    }
    for (int32_t i = 0; i < n;) {
        UChar32 cp;
        U16_NEXT(dst, i, n, cp);
        appendUtf8(out, static_cast<char32_t>(cp));
    }
}

class Lowercase final : public Normalizer {
public:
    void normalize(Piece& p) const override {
        PieceBuilder b(p);
        std::string buf;
        for (std::size_t i = 0; i < p.text.size();) {
            const std::size_t start = i;
            const char32_t c = decodeUtf8(p.text, i);
            buf.clear();
            lowercaseChar(c, buf);
            if (buf.size() == i - start && buf.compare(0, buf.size(), p.text, start, i - start) == 0)
                b.copy(p, start, i);
            else
                b.append(buf, p.spanOf(start, i));
        }
        p = b.take();
    }
};

class Strip final : public Normalizer {
public:
    Strip(bool left, bool right) : left_(left), right_(right) {}
    void normalize(Piece& p) const override {
        std::size_t from = 0, to = p.text.size();
        if (left_) {
            while (from < to) {
                std::size_t j = from;
                if (!isWhitespace(decodeUtf8(p.text, j)))
                    break;
                from = j;
            }
        }
        if (right_) {
            while (to > from) {
                std::size_t s;
                if (!isWhitespace(decodeUtf8Before(p.text, to, s)))
                    break;
                to = s;
            }
        }
        if (from == 0 && to == p.text.size())
            return;
        const bool origin = p.atOrigin;
        p = p.slice(from, to);
        p.atOrigin = origin;
    }

private:
    bool left_, right_;
};

bool isNonspacingMark(char32_t c) {
    return c >= 0x300 && (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_MN_MASK) != 0;
}

class StripAccents final : public Normalizer {
public:
    void normalize(Piece& p) const override {
        PieceBuilder b(p);
        for (std::size_t i = 0; i < p.text.size();) {
            const std::size_t start = i;
            if (!isNonspacingMark(decodeUtf8(p.text, i)))
                b.copy(p, start, i);
        }
        p = b.take();
    }
};

class Prepend final : public Normalizer {
public:
    explicit Prepend(std::string s) : prefix_(std::move(s)) {}
    void normalize(Piece& p) const override {
        if (p.text.empty())
            return;
        PieceBuilder b(p);
        std::size_t first = 0;
        decodeUtf8(p.text, first);
        b.append(prefix_, p.spanOf(0, first));
        b.copy(p, 0, p.text.size());
        p = b.take();
    }

private:
    std::string prefix_;
};

class Replace final : public Normalizer {
public:
    Replace(const Json& j, const std::string& what)
        : pattern_(j.at("pattern"), what), content_(jsonString(j, "content", "", what)) {}
    void normalize(Piece& p) const override {
        std::vector<std::pair<std::size_t, std::size_t>> m;
        pattern_.find(p.text, m);
        if (m.empty())
            return;
        PieceBuilder b(p);
        std::size_t prev = 0;
        for (const auto& [s, e] : m) {
            b.copy(p, prev, s);
            Span sp = e > s ? p.spanOf(s, e) : (s < p.text.size() ? p.spanOf(s, s + 1) : p.spanOf(s - 1, s));
            if (!content_.empty())
                b.append(content_, sp);
            prev = e;
        }
        b.copy(p, prev, p.text.size());
        p = b.take();
    }

private:
    Pattern pattern_;
    std::string content_;
};

bool isChineseChar(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool isBertControl(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r')
        return false;
    const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
    return (mask & (U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CN_MASK | U_GC_CO_MASK)) != 0;
}

class BertNormalizer final : public Normalizer {
public:
    BertNormalizer(const Json& j, const std::string& what)
        : clean_(jsonBool(j, "clean_text", true, what)), chinese_(jsonBool(j, "handle_chinese_chars", true, what)),
          lower_(jsonBool(j, "lowercase", true, what)), nfd_(NormForm::NFD, what) {
        strip_ =
            j.contains("strip_accents") && j["strip_accents"].is_boolean() ? j["strip_accents"].get<bool>() : lower_;
    }
    void normalize(Piece& p) const override {
        PieceBuilder b(p);
        for (std::size_t i = 0; i < p.text.size();) {
            const std::size_t start = i;
            const char32_t c = decodeUtf8(p.text, i);
            const Span sp = p.spanOf(start, i);
            if (clean_ && (c == 0 || c == 0xFFFD || isBertControl(c)))
                continue;
            if (clean_ && isWhitespace(c)) {
                b.append(" ", sp);
            } else if (chinese_ && isChineseChar(c)) {
                b.append(" ", sp);
                b.copy(p, start, i);
                b.append(" ", sp);
            } else {
                b.copy(p, start, i);
            }
        }
        p = b.take();
        if (strip_) {
            nfd_.normalize(p);
            StripAccents().normalize(p);
        }
        if (lower_)
            Lowercase().normalize(p);
    }

private:
    bool clean_, chinese_, lower_, strip_;
    UnicodeNormalizer nfd_;
};

class ByteLevelNormalizer final : public Normalizer {
public:
    void normalize(Piece& p) const override { byteLevelMap(p); }
};

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
    void normalize(Piece& p) const override {
        for (const auto& n : parts_)
            n->normalize(p);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> parts_;
};

} // namespace

std::unique_ptr<Normalizer> makeNormalizer(const Json& j, const std::string& what) {
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        throw Error(what + ": normalizer must be an object with a string 'type', found " + j.dump().substr(0, 200));
    const std::string type = j["type"].get<std::string>();
    if (type == "NFC")
        return std::make_unique<UnicodeNormalizer>(NormForm::NFC, what);
    if (type == "NFD")
        return std::make_unique<UnicodeNormalizer>(NormForm::NFD, what);
    if (type == "NFKC")
        return std::make_unique<UnicodeNormalizer>(NormForm::NFKC, what);
    if (type == "NFKD")
        return std::make_unique<UnicodeNormalizer>(NormForm::NFKD, what);
    if (type == "Lowercase")
        return std::make_unique<Lowercase>();
    if (type == "Strip")
        return std::make_unique<Strip>(jsonBool(j, "strip_left", true, what), jsonBool(j, "strip_right", true, what));
    if (type == "StripAccents")
        return std::make_unique<StripAccents>();
    if (type == "Prepend")
        return std::make_unique<Prepend>(jsonRequireString(j, "prepend", what));
    if (type == "Replace")
        return std::make_unique<Replace>(j, what);
    if (type == "BertNormalizer")
        return std::make_unique<BertNormalizer>(j, what);
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelNormalizer>();
    if (type == "Sequence") {
        if (!j.contains("normalizers") || !j["normalizers"].is_array())
            throw Error(what + ": Sequence normalizer needs an array 'normalizers'");
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (const auto& sub : j["normalizers"])
            if (auto n = makeNormalizer(sub, what))
                parts.push_back(std::move(n));
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    throw Error(what + ": unsupported normalizer type '" + type +
                "' (supported: NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace, "
                "BertNormalizer, ByteLevel, Sequence)");
}

std::string normalizeString(const Normalizer& n, const std::string& text) {
    Piece p;
    p.text = text;
    p.atOrigin = true;
    n.normalize(p);
    return p.text;
}

} // namespace ps::tok
