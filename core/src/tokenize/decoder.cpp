#include "tokenize/decoder.h"

#include "ps/error.h"
#include "tokenize/byte_level.h"
#include "tokenize/pattern.h"
#include "tokenize/utf8.h"

namespace ps::tok {
namespace {

class ByteLevelDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const std::string& t : tokens) {
            const std::size_t mark = bytes.size();
            bool ok = true;
            for (std::size_t i = 0; i < t.size();) {
                const int b = unicodeToByte(decodeUtf8(t, i));
                if (b < 0) {
                    ok = false;
                    break;
                }
                bytes.push_back(static_cast<char>(b));
            }
            if (!ok) { // a token with a character outside the table passes through as its bytes
                bytes.resize(mark);
                bytes += t;
            }
        }
        tokens.assign(1, isValidUtf8(bytes) ? bytes : repairUtf8(bytes));
    }
};

class ByteFallbackDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<std::string> out;
        out.reserve(tokens.size());
        std::string pending;
        std::size_t pendingCount = 0;
        auto flush = [&] {
            if (pendingCount == 0)
                return;
            if (isValidUtf8(pending)) {
                out.push_back(pending);
            } else {
                for (std::size_t k = 0; k < pendingCount; ++k)
                    out.emplace_back("\xEF\xBF\xBD");
            }
            pending.clear();
            pendingCount = 0;
        };
        for (std::string& t : tokens) {
            const int byte = bytePieceValue(t);
            if (byte >= 0) {
                pending.push_back(static_cast<char>(byte));
                ++pendingCount;
            } else {
                flush();
                out.push_back(std::move(t));
            }
        }
        flush();
        tokens = std::move(out);
    }
};

class FuseDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::string all;
        for (const auto& t : tokens)
            all += t;
        tokens.assign(1, std::move(all));
    }
};

class StripDecoder final : public Decoder {
public:
    StripDecoder(const std::string& content, std::size_t start, std::size_t stop, const std::string& what)
        : start_(start), stop_(stop) {
        std::size_t i = 0;
        if (content.empty())
            throw Error(what + ": Strip decoder needs a one-character 'content'");
        content_ = decodeUtf8(content, i);
    }
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (std::string& t : tokens) {
            std::vector<char32_t> chars;
            for (std::size_t i = 0; i < t.size();)
                chars.push_back(decodeUtf8(t, i));
            std::size_t from = 0;
            for (std::size_t k = 0; k < start_ && k < chars.size() && chars[k] == content_; ++k)
                from = k + 1;
            std::size_t to = chars.size();
            for (std::size_t k = 0; k < stop_ && k < chars.size(); ++k) {
                const std::size_t idx = chars.size() - k - 1;
                if (chars[idx] != content_)
                    break;
                to = idx;
            }
            std::string s;
            for (std::size_t k = from; k < to; ++k)
                appendUtf8(s, chars[k]);
            t = std::move(s);
        }
    }

private:
    char32_t content_ = ' ';
    std::size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(const Json& j, const std::string& what)
        : pattern_(j.at("pattern"), what), content_(jsonString(j, "content", "", what)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        std::vector<std::pair<std::size_t, std::size_t>> m;
        for (std::string& t : tokens) {
            m.clear();
            pattern_.find(t, m);
            if (m.empty())
                continue;
            std::string s;
            std::size_t prev = 0;
            for (const auto& [b, e] : m) {
                s.append(t, prev, b - prev);
                s += content_;
                prev = e;
            }
            s.append(t, prev, std::string::npos);
            t = std::move(s);
        }
    }

private:
    Pattern pattern_;
    std::string content_;
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(const Json& j, const std::string& what) {
        replacement_ = jsonString(j, "replacement", "\xE2\x96\x81", what);
        std::string scheme = "always";
        if (j.contains("prepend_scheme") && j["prepend_scheme"].is_string())
            scheme = j["prepend_scheme"].get<std::string>();
        else if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean())
            scheme = j["add_prefix_space"].get<bool>() ? "always" : "never";
        stripFirst_ = scheme != "never";
    }
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (std::size_t k = 0; k < tokens.size(); ++k) {
            std::string& t = tokens[k];
            if (t.find(replacement_) == std::string::npos)
                continue;
            std::string s;
            for (std::size_t pos = 0;;) {
                const std::size_t hit = t.find(replacement_, pos);
                s.append(t, pos, hit == std::string::npos ? std::string::npos : hit - pos);
                if (hit == std::string::npos)
                    break;
                if (!(k == 0 && stripFirst_))
                    s.push_back(' ');
                pos = hit + replacement_.size();
            }
            t = std::move(s);
        }
    }

private:
    std::string replacement_;
    bool stripFirst_ = true;
};

class WordPieceDecoder final : public Decoder {
public:
    WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (std::size_t k = 0; k < tokens.size(); ++k) {
            std::string& t = tokens[k];
            if (k != 0) {
                if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0)
                    t.erase(0, prefix_.size());
                else
                    t.insert(0, " ");
            }
            if (cleanup_)
                t = cleanup(t);
        }
    }
    static std::string cleanup(const std::string& s) {
        static const std::pair<const char*, const char*> repl[] = {
            {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
            {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        std::string out = s;
        for (const auto& [from, to] : repl) {
            const std::string f = from, tt = to;
            for (std::size_t pos = out.find(f); pos != std::string::npos; pos = out.find(f, pos + tt.size()))
                out.replace(pos, f.size(), tt);
        }
        return out;
    }

private:
    std::string prefix_;
    bool cleanup_;
};

class BpeSuffixDecoder final : public Decoder {
public:
    explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (std::size_t k = 0; k < tokens.size(); ++k) {
            std::string& t = tokens[k];
            const std::string rep = k + 1 == tokens.size() ? "" : " ";
            for (std::size_t pos = t.find(suffix_); !suffix_.empty() && pos != std::string::npos;
                 pos = t.find(suffix_, pos + rep.size()))
                t.replace(pos, suffix_.size(), rep);
        }
    }

private:
    std::string suffix_;
};

class SequenceDecoder final : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
    void decodeChain(std::vector<std::string>& tokens) const override {
        for (const auto& d : parts_)
            d->decodeChain(tokens);
    }

private:
    std::vector<std::unique_ptr<Decoder>> parts_;
};

} // namespace

std::unique_ptr<Decoder> makeDecoder(const Json& j, const std::string& what) {
    if (j.is_null())
        return nullptr;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        throw Error(what + ": decoder must be an object with a string 'type', found " + j.dump().substr(0, 200));
    const std::string type = j["type"].get<std::string>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelDecoder>();
    if (type == "ByteFallback")
        return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse")
        return std::make_unique<FuseDecoder>();
    if (type == "Strip")
        return std::make_unique<StripDecoder>(jsonString(j, "content", " ", what),
                                              static_cast<std::size_t>(jsonInt(j, "start", 0, what)),
                                              static_cast<std::size_t>(jsonInt(j, "stop", 0, what)), what);
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(j, what);
    if (type == "Metaspace")
        return std::make_unique<MetaspaceDecoder>(j, what);
    if (type == "WordPiece")
        return std::make_unique<WordPieceDecoder>(jsonString(j, "prefix", "##", what),
                                                  jsonBool(j, "cleanup", true, what));
    if (type == "BPEDecoder")
        return std::make_unique<BpeSuffixDecoder>(jsonString(j, "suffix", "</w>", what));
    if (type == "Sequence") {
        if (!j.contains("decoders") || !j["decoders"].is_array())
            throw Error(what + ": Sequence decoder needs an array 'decoders'");
        std::vector<std::unique_ptr<Decoder>> parts;
        for (const auto& sub : j["decoders"])
            if (auto d = makeDecoder(sub, what))
                parts.push_back(std::move(d));
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    throw Error(what + ": unsupported decoder type '" + type +
                "' (supported: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, WordPiece, BPEDecoder, "
                "Sequence)");
}

} // namespace ps::tok
