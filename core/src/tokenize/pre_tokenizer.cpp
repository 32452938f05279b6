#include "tokenize/pre_tokenizer.h"

#include "ps/error.h"
#include "tokenize/byte_level.h"
#include "tokenize/pattern.h"
#include "tokenize/regex.h"
#include "tokenize/utf8.h"

#include <functional>

namespace ps::tok {
namespace {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kWhitespacePattern = R"(\w+|[^\w\s]+)";

// Matches of a character predicate: every matching character is its own match.
std::vector<std::pair<std::size_t, std::size_t>> charMatches(const std::string& text,
                                                             const std::function<bool(char32_t)>& pred) {
    std::vector<std::pair<std::size_t, std::size_t>> m;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        if (pred(decodeUtf8(text, i)))
            m.emplace_back(start, i);
    }
    return m;
}

SplitBehavior parseBehavior(const Json& j, const std::string& key, SplitBehavior fallback, const std::string& what) {
    if (!j.contains(key))
        return fallback;
    const std::string b = jsonString(j, key, "", what);
    if (b == "Removed")
        return SplitBehavior::Removed;
    if (b == "Isolated")
        return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious")
        return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext")
        return SplitBehavior::MergedWithNext;
    if (b == "Contiguous")
        return SplitBehavior::Contiguous;
    throw Error(what + ": unknown split behavior '" + b +
                "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

class ByteLevelPre final : public PreTokenizer {
public:
    ByteLevelPre(bool addPrefixSpace, bool useRegex, const std::string& what)
        : addPrefixSpace_(addPrefixSpace), regex_(useRegex ? std::make_unique<Regex>(kGpt2Pattern, what) : nullptr) {}
    void split(Piece&& p, PieceSink sink) const override {
        if (addPrefixSpace_ && !p.text.empty() && p.text[0] != ' ') {
            PieceBuilder b(p);
            std::size_t first = 0;
            decodeUtf8(p.text, first);
            b.append(" ", p.spanOf(0, first));
            b.copy(p, 0, p.text.size());
            p = b.take();
        }
        auto mapped = [&](Piece&& q) {
            if (mapBytes_)
                byteLevelMap(q);
            sink(std::move(q));
        };
        if (regex_) {
            std::vector<std::pair<std::size_t, std::size_t>> m;
            regex_->findAll(p.text, m);
            splitPiece(std::move(p), m, SplitBehavior::Isolated, false, mapped);
        } else if (!p.text.empty()) {
            mapped(std::move(p));
        }
    }
    bool endsWithByteLevel() const override { return true; }
    void skipByteMapping() override { mapBytes_ = false; }

private:
    bool addPrefixSpace_;
    bool mapBytes_ = true;
    std::unique_ptr<Regex> regex_;
};

class SplitPre final : public PreTokenizer {
public:
    SplitPre(const Json& j, const std::string& what)
        : pattern_(j.at("pattern"), what), behavior_(parseBehavior(j, "behavior", SplitBehavior::Isolated, what)),
          invert_(jsonBool(j, "invert", false, what)) {}
    void split(Piece&& p, PieceSink sink) const override {
        std::vector<std::pair<std::size_t, std::size_t>> m;
        pattern_.find(p.text, m);
        splitPiece(std::move(p), m, behavior_, invert_, sink);
    }

private:
    Pattern pattern_;
    SplitBehavior behavior_;
    bool invert_;
};

enum class PrependScheme { Always, First, Never };

class MetaspacePre final : public PreTokenizer {
public:
    MetaspacePre(const Json& j, const std::string& what) {
        replacement_ = jsonString(j, "replacement", "\xE2\x96\x81", what);
        if (replacement_.empty() ||
            static_cast<std::size_t>(utf8SeqLen(static_cast<unsigned char>(replacement_[0]))) != replacement_.size())
            throw Error(what + ": Metaspace 'replacement' must be one character, found '" + replacement_ + "'");
        scheme_ = PrependScheme::Always;
        if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string()) {
            const std::string s = j["prepend_scheme"].get<std::string>();
            if (s == "always")
                scheme_ = PrependScheme::Always;
            else if (s == "first")
                scheme_ = PrependScheme::First;
            else if (s == "never")
                scheme_ = PrependScheme::Never;
            else
                throw Error(what + ": Metaspace prepend_scheme must be always, first or never, found '" + s + "'");
        } else if (j.contains("add_prefix_space")) {
            scheme_ = jsonBool(j, "add_prefix_space", true, what) ? PrependScheme::Always : PrependScheme::Never;
        }
        split_ = jsonBool(j, "split", true, what);
    }
    void split(Piece&& p, PieceSink sink) const override {
        if (p.text.empty())
            return;
        // Spaces become the replacement; then the prefix is prepended unless the text already
        // starts with it (so a text starting with ' ' gets none: the `tokenizers` order).
        const bool startsWithRep = p.text.compare(0, replacement_.size(), replacement_) == 0 || p.text[0] == ' ';
        const bool prepend =
            !startsWithRep && (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && p.atOrigin));
        Piece q;
        if (!p.tracked) {
            q.atOrigin = p.atOrigin;
            q.originBegin = p.originBegin;
            q.text.reserve(p.text.size() + 16);
            if (prepend)
                q.text += replacement_;
            std::size_t prev = 0;
            for (std::size_t pos = p.text.find(' '); pos != std::string::npos; pos = p.text.find(' ', prev)) {
                q.text.append(p.text, prev, pos - prev);
                q.text += replacement_;
                prev = pos + 1;
            }
            q.text.append(p.text, prev, std::string::npos);
        } else {
            PieceBuilder b(p);
            if (prepend) {
                std::size_t first = 0;
                decodeUtf8(p.text, first);
                b.append(replacement_, p.spanOf(0, first));
            }
            for (std::size_t i = 0; i < p.text.size(); ++i) {
                if (p.text[i] == ' ')
                    b.append(replacement_, p.spanOf(i, i + 1));
                else
                    b.copy(p, i, i + 1);
            }
            q = b.take();
        }
        if (!split_) {
            sink(std::move(q));
            return;
        }
        std::vector<std::pair<std::size_t, std::size_t>> m;
        for (std::size_t pos = q.text.find(replacement_); pos != std::string::npos;
             pos = q.text.find(replacement_, pos + replacement_.size()))
            m.emplace_back(pos, pos + replacement_.size());
        splitPiece(std::move(q), m, SplitBehavior::MergedWithNext, false, sink);
    }

private:
    std::string replacement_;
    PrependScheme scheme_;
    bool split_;
};

// Splits by a character predicate (each matching character is its own match).
class CharClassPre final : public PreTokenizer {
public:
    CharClassPre(std::function<bool(char32_t)> pred, SplitBehavior behavior)
        : pred_(std::move(pred)), behavior_(behavior) {}
    void split(Piece&& p, PieceSink sink) const override {
        const auto m = charMatches(p.text, pred_);
        splitPiece(std::move(p), m, behavior_, false, sink);
    }

private:
    std::function<bool(char32_t)> pred_;
    SplitBehavior behavior_;
};

class WhitespacePre final : public PreTokenizer {
public:
    explicit WhitespacePre(const std::string& what) : regex_(kWhitespacePattern, what) {}
    void split(Piece&& p, PieceSink sink) const override {
        std::vector<std::pair<std::size_t, std::size_t>> m;
        regex_.findAll(p.text, m);
        splitPiece(std::move(p), m, SplitBehavior::Removed, true, sink);
    }

private:
    Regex regex_;
};

class SequencePre final : public PreTokenizer {
public:
    explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
    void split(Piece&& p, PieceSink sink) const override { run(0, std::move(p), sink); }
    bool endsWithByteLevel() const override {
        if (parts_.empty() || !parts_.back()->endsWithByteLevel())
            return false;
        for (std::size_t k = 0; k + 1 < parts_.size(); ++k)
            if (parts_[k]->endsWithByteLevel())
                return false; // mapped twice: keep the general path
        return true;
    }
    void skipByteMapping() override {
        if (!parts_.empty())
            parts_.back()->skipByteMapping();
    }

private:
    void run(std::size_t stage, Piece&& p, PieceSink sink) const {
        if (stage == parts_.size()) {
            sink(std::move(p));
            return;
        }
        parts_[stage]->split(std::move(p), [&](Piece&& q) { run(stage + 1, std::move(q), sink); });
    }
    std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

} // namespace

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j, const std::string& what) {
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        throw Error(what + ": pre_tokenizer must be an object with a string 'type', found " + j.dump().substr(0, 200));
    const std::string type = j["type"].get<std::string>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPre>(jsonBool(j, "add_prefix_space", true, what),
                                              jsonBool(j, "use_regex", true, what), what);
    if (type == "Split")
        return std::make_unique<SplitPre>(j, what);
    if (type == "Metaspace")
        return std::make_unique<MetaspacePre>(j, what);
    if (type == "Digits") {
        const bool individual = jsonBool(j, "individual_digits", false, what);
        return std::make_unique<CharClassPre>(isNumeric,
                                              individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
    }
    if (type == "Punctuation")
        return std::make_unique<CharClassPre>(isPunctuation,
                                              parseBehavior(j, "behavior", SplitBehavior::Isolated, what));
    if (type == "Whitespace")
        return std::make_unique<WhitespacePre>(what);
    if (type == "WhitespaceSplit")
        return std::make_unique<CharClassPre>(isWhitespace, SplitBehavior::Removed);
    if (type == "CharDelimiterSplit") {
        const std::string d = jsonRequireString(j, "delimiter", what);
        std::size_t i = 0;
        const char32_t dc = d.empty() ? 0 : decodeUtf8(d, i);
        return std::make_unique<CharClassPre>([dc](char32_t c) { return c == dc; }, SplitBehavior::Removed);
    }
    if (type == "BertPreTokenizer") {
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        parts.push_back(std::make_unique<CharClassPre>(isWhitespace, SplitBehavior::Removed));
        parts.push_back(std::make_unique<CharClassPre>(isPunctuation, SplitBehavior::Isolated));
        return std::make_unique<SequencePre>(std::move(parts));
    }
    if (type == "Sequence") {
        if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
            throw Error(what + ": Sequence pre_tokenizer needs an array 'pretokenizers'");
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (const auto& sub : j["pretokenizers"])
            if (auto p = makePreTokenizer(sub, what))
                parts.push_back(std::move(p));
        return std::make_unique<SequencePre>(std::move(parts));
    }
    throw Error(what + ": unsupported pre_tokenizer type '" + type +
                "' (supported: ByteLevel, Split, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit, "
                "CharDelimiterSplit, BertPreTokenizer, Sequence)");
}

} // namespace ps::tok
