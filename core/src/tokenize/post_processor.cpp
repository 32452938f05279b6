#include "tokenize/post_processor.h"

#include "ps/error.h"

namespace ps::tok {
namespace {

void applyTemplate(const Json& j, const std::string& what, SpecialWrap& wrap) {
    if (!j.contains("single"))
        throw Error(what + ": TemplateProcessing needs 'single'");
    const Json& single = j["single"];
    const Json specials = j.contains("special_tokens") ? j["special_tokens"] : Json::object();
    std::vector<const Json*> items;
    if (single.is_array()) {
        for (const auto& it : single)
            items.push_back(&it);
    } else {
        throw Error(what + ": TemplateProcessing 'single' must be an array of pieces");
    }
    // The template replaces the sequence: anything accumulated so far wraps the inner sequence.
    SpecialWrap inner;
    bool seenSequence = false;
    for (const Json* it : items) {
        if (it->contains("Sequence")) {
            seenSequence = true;
            continue;
        }
        if (!it->contains("SpecialToken"))
            throw Error(what + ": TemplateProcessing piece must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        const std::string id = jsonRequireString((*it)["SpecialToken"], "id", what);
        if (!specials.contains(id))
            throw Error(what + ": TemplateProcessing uses special token '" + id + "' missing from special_tokens");
        const Json& st = specials[id];
        if (!st.contains("ids") || !st["ids"].is_array())
            throw Error(what + ": TemplateProcessing special_tokens['" + id + "'].ids must be an array");
        auto& ids = seenSequence ? inner.suffix : inner.prefix;
        auto& toks = seenSequence ? inner.suffixTokens : inner.prefixTokens;
        for (const auto& v : st["ids"]) {
            if (!v.is_number_integer())
                throw Error(what + ": special_tokens['" + id + "'].ids must be integers");
            ids.push_back(v.get<std::int32_t>());
        }
        if (st.contains("tokens") && st["tokens"].is_array())
            for (const auto& v : st["tokens"])
                toks.push_back(v.is_string() ? v.get<std::string>() : std::string());
    }
    wrap.prefix.insert(wrap.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
    wrap.prefixTokens.insert(wrap.prefixTokens.begin(), inner.prefixTokens.begin(), inner.prefixTokens.end());
    wrap.suffix.insert(wrap.suffix.end(), inner.suffix.begin(), inner.suffix.end());
    wrap.suffixTokens.insert(wrap.suffixTokens.end(), inner.suffixTokens.begin(), inner.suffixTokens.end());
}

void applyClsSep(const Json& j, const std::string& what, SpecialWrap& wrap) {
    auto pairOf = [&](const char* key) -> std::pair<std::string, std::int32_t> {
        if (!j.contains(key) || !j[key].is_array() || j[key].size() != 2 || !j[key][0].is_string() ||
            !j[key][1].is_number_integer())
            throw Error(what + ": post_processor." + key + " must be [\"token\", id]");
        return {j[key][0].get<std::string>(), j[key][1].get<std::int32_t>()};
    };
    const auto cls = pairOf("cls"), sep = pairOf("sep");
    wrap.prefix.insert(wrap.prefix.begin(), cls.second);
    wrap.prefixTokens.insert(wrap.prefixTokens.begin(), cls.first);
    wrap.suffix.push_back(sep.second);
    wrap.suffixTokens.push_back(sep.first);
}

void apply(const Json& j, const std::string& what, SpecialWrap& wrap) {
    if (j.is_null())
        return;
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
        throw Error(what + ": post_processor must be an object with a string 'type'");
    const std::string type = j["type"].get<std::string>();
    if (type == "ByteLevel")
        return;
    if (type == "TemplateProcessing")
        return applyTemplate(j, what, wrap);
    if (type == "RobertaProcessing" || type == "BertProcessing")
        return applyClsSep(j, what, wrap);
    if (type == "Sequence") {
        if (!j.contains("processors") || !j["processors"].is_array())
            throw Error(what + ": Sequence post_processor needs an array 'processors'");
        for (const auto& p : j["processors"])
            apply(p, what, wrap);
        return;
    }
    throw Error(what + ": unsupported post_processor type '" + type +
                "' (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
}

} // namespace

SpecialWrap makeSpecialWrap(const Json& j, const std::string& what) {
    SpecialWrap wrap;
    apply(j, what, wrap);
    return wrap;
}

} // namespace ps::tok
