#pragma once
// What the public ps::Tokenizer needs from a tokenizer implementation: tokenizer.json
// (HfTokenizer) or tokenizer.model (SpmTokenizer).
#include "tokenize/post_processor.h"
#include "tokenize/text_piece.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ps::tok {

class TokenizerBackend {
public:
    virtual ~TokenizerBackend() = default;
    // Encodes valid UTF-8 text without special tokens around it. With `spans`, appends each
    // token's byte range in `text`.
    virtual void encodeText(std::string_view text, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const = 0;
    virtual std::string decode(const std::vector<std::int32_t>& ids, bool skipSpecial) const = 0;
    virtual std::optional<std::int32_t> tokenToId(std::string_view token) const = 0;
    virtual std::optional<std::string> idToToken(std::int32_t id) const = 0;
    virtual std::int32_t vocabSize() const = 0; // max id + 1
    virtual bool isSpecial(std::int32_t id) const = 0;
    // What add_special_tokens puts around a sequence according to the tokenizer file itself.
    virtual SpecialWrap specialWrap() const = 0;
};

} // namespace ps::tok
