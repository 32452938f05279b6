#pragma once
// tokenizer.json "normalizer": NFC, NFD, NFKC, NFKD (ICU), Lowercase, Strip, StripAccents,
// Prepend, Replace, BertNormalizer, ByteLevel and Sequence.
#include "tokenize/text_piece.h"
#include "util/json_util.h"

#include <memory>
#include <string>

namespace ps::tok {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void normalize(Piece& piece) const = 0;
};

// `what` names the file for errors. A null JSON gives nullptr (no normalizer).
std::unique_ptr<Normalizer> makeNormalizer(const Json& j, const std::string& what);

// Normalizes a plain string (used for added tokens with normalized = true).
std::string normalizeString(const Normalizer& n, const std::string& text);

} // namespace ps::tok
