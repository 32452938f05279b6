#pragma once
// tokenizer.json patterns: {"String": "literal"} or {"Regex": "..."}.
#include "tokenize/regex.h"
#include "util/json_util.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ps::tok {

class Pattern final {
public:
    Pattern(const Json& j, const std::string& what);
    // Non-overlapping matches left to right (literal: plain find; regex: Regex::findAll).
    void find(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;

private:
    bool isLiteral_ = false;
    std::string literal_;
    std::unique_ptr<Regex> regex_;
};

} // namespace ps::tok
