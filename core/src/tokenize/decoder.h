#pragma once
// tokenizer.json "decoder": ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace,
// WordPiece, BPEDecoder and Sequence. A decoder turns the list of token strings into a list
// of strings whose concatenation is the decoded text (the `tokenizers` decode_chain).
#include "util/json_util.h"

#include <memory>
#include <string>
#include <vector>

namespace ps::tok {

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decodeChain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Decoder> makeDecoder(const Json& j, const std::string& what);

} // namespace ps::tok
