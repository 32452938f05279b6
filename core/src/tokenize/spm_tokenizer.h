#pragma once
// tokenizer.model (SentencePiece BPE, see spm_model.h), used when a repo ships no tokenizer.json. Behaves
// like transformers' slow LlamaTokenizer: added/special tokens are split out of the text
// first, every other piece goes to SentencePiece (legacy = true: each piece gets the dummy
// prefix; legacy = false: only the piece at the start of the text does). Decoding maps pieces
// the way the converted tokenizer.json decoder does (▁ -> space, byte pieces, strip one
// leading space).
#include "tokenize/added_vocabulary.h"
#include "tokenize/backend.h"
#include "tokenize/spm_model.h"
#include "tokenize/tokenizer_config.h"

#include <memory>

namespace ps::tok {

class SpmTokenizer final : public TokenizerBackend {
public:
    SpmTokenizer(const std::string& modelPath, const TokenizerConfig& config);

    void encodeText(std::string_view text, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const override;
    std::string decode(const std::vector<std::int32_t>& ids, bool skipSpecial) const override;
    std::optional<std::int32_t> tokenToId(std::string_view token) const override;
    std::optional<std::string> idToToken(std::int32_t id) const override;
    std::int32_t vocabSize() const override;
    bool isSpecial(std::int32_t id) const override;
    SpecialWrap specialWrap() const override { return {}; }

    // The model's own <s> / </s> / <unk> pieces (by name), for folders without a config.
    std::optional<std::int32_t> pieceId(const std::string& piece) const;

private:
    SpmModel sp_;
    AddedVocabulary added_;
    bool legacy_ = true;
    std::string path_;
};

} // namespace ps::tok
