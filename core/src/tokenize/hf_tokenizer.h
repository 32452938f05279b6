#pragma once
// The tokenizer.json pipeline of the `tokenizers` library: added tokens -> normalizer ->
// normalized added tokens -> pre-tokenizer -> BPE model; decode through the decoder.
#include "tokenize/added_vocabulary.h"
#include "tokenize/backend.h"
#include "tokenize/bpe_model.h"
#include "tokenize/decoder.h"
#include "tokenize/normalizer.h"
#include "tokenize/pre_tokenizer.h"

#include <memory>

namespace ps::tok {

class HfTokenizer final : public TokenizerBackend {
public:
    // j: the parsed tokenizer.json; `what` (the path) prefixes every error.
    HfTokenizer(const Json& j, const std::string& what);

    void encodeText(std::string_view text, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const override;
    std::string decode(const std::vector<std::int32_t>& ids, bool skipSpecial) const override;
    std::optional<std::int32_t> tokenToId(std::string_view token) const override;
    std::optional<std::string> idToToken(std::int32_t id) const override;
    std::int32_t vocabSize() const override;
    bool isSpecial(std::int32_t id) const override;
    SpecialWrap specialWrap() const override { return wrap_; }

private:
    void encodeNormalizedPiece(Piece&& piece, std::vector<std::int32_t>& ids, std::vector<Span>* spans) const;

    std::unique_ptr<Normalizer> normalizer_;
    std::unique_ptr<PreTokenizer> preTokenizer_;
    std::unique_ptr<BpeModel> model_;
    std::unique_ptr<Decoder> decoder_;
    AddedVocabulary added_;
    SpecialWrap wrap_;
};

} // namespace ps::tok
