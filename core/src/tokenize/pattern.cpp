#include "tokenize/pattern.h"

#include "ps/error.h"

namespace ps::tok {

Pattern::Pattern(const Json& j, const std::string& what) {
    if (j.is_object() && j.contains("String") && j["String"].is_string()) {
        literal_ = j["String"].get<std::string>();
        isLiteral_ = true;
    } else if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
        regex_ = std::make_unique<Regex>(j["Regex"].get<std::string>(), what);
    } else {
        throw Error(what + ": pattern must be {\"String\": ...} or {\"Regex\": ...}, found " + j.dump().substr(0, 200));
    }
}

void Pattern::find(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
    if (isLiteral_) {
        if (literal_.empty())
            return;
        for (std::size_t pos = text.find(literal_); pos != std::string_view::npos;
             pos = text.find(literal_, pos + literal_.size()))
            out.emplace_back(pos, pos + literal_.size());
    } else {
        regex_->findAll(text, out);
    }
}

} // namespace ps::tok
