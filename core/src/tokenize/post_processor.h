#pragma once
// tokenizer.json "post_processor" for add_special_tokens on a single sequence:
// TemplateProcessing ($A with special tokens around it), ByteLevel (ids unchanged),
// RobertaProcessing / BertProcessing (cls $A sep) and Sequence.
#include "util/json_util.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps::tok {

// What add_special_tokens puts before and after the tokens of one sequence.
struct SpecialWrap {
    std::vector<std::int32_t> prefix;
    std::vector<std::int32_t> suffix;
    std::vector<std::string> prefixTokens; // their strings, for reporting
    std::vector<std::string> suffixTokens;
};

// Null JSON: nothing added. `what` names the file.
SpecialWrap makeSpecialWrap(const Json& j, const std::string& what);

} // namespace ps::tok
