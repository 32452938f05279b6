#pragma once
// tokenizer_config.json (transformers): special tokens as strings or AddedToken objects,
// add_bos_token / add_eos_token, chat_template (string or [{name, template}]),
// model_max_length, tokenizer_class, legacy, added_tokens_decoder.
#include "tokenize/added_vocabulary.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ps::tok {

struct TokenizerConfig {
    bool present = false;
    std::optional<std::string> bos, eos, pad, unk;
    std::optional<bool> addBos, addEos;
    std::optional<bool> legacy;
    std::string chatTemplate;
    std::int64_t modelMaxLength = 0;
    std::string tokenizerClass;
    std::vector<AddedToken> addedTokensDecoder;
};

// Reads DIR/tokenizer_config.json (absent: present = false, defaults) and, when the config
// has no chat_template, DIR/chat_template.jinja or DIR/chat_template.json.
TokenizerConfig readTokenizerConfig(const std::string& dir);

} // namespace ps::tok
