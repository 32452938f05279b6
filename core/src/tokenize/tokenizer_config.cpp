#include "tokenize/tokenizer_config.h"

#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <filesystem>

namespace ps::tok {
namespace {

std::optional<std::string> specialTokenField(const Json& c, const char* key, const std::string& what) {
    if (!c.contains(key) || c[key].is_null())
        return std::nullopt;
    const Json& v = c[key];
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string())
        return v["content"].get<std::string>();
    throw Error(what + ": key '" + key + "' must be a string, an AddedToken object {\"content\": ...} or null, found " +
                jsonTypeName(v));
}

std::optional<bool> optBool(const Json& c, const char* key, const std::string& what) {
    if (!c.contains(key) || c[key].is_null())
        return std::nullopt;
    if (!c[key].is_boolean())
        throw Error(what + ": key '" + key + "' must be boolean, found " + jsonTypeName(c[key]));
    return c[key].get<bool>();
}

std::string templateFromJson(const Json& v, const std::string& what) {
    if (v.is_null())
        return {};
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_array()) {
        std::string first;
        for (const auto& e : v) {
            if (!e.is_object() || !e.contains("template") || !e["template"].is_string())
                throw Error(what + ": chat_template list entries must be {\"name\": ..., \"template\": ...}");
            const std::string name = e.value("name", std::string());
            if (name == "default")
                return e["template"].get<std::string>();
            if (first.empty())
                first = e["template"].get<std::string>();
        }
        return first;
    }
    throw Error(what + ": chat_template must be a string or a list of {name, template}, found " + jsonTypeName(v));
}

} // namespace

TokenizerConfig readTokenizerConfig(const std::string& dir) {
    namespace fs = std::filesystem;
    TokenizerConfig cfg;
    const std::string path = (fs::path(dir) / "tokenizer_config.json").string();
    if (fs::exists(path)) {
        const Json c = parseJsonFile(path);
        if (!c.is_object())
            throw Error(path + ": expected a JSON object at the top level");
        cfg.present = true;
        cfg.bos = specialTokenField(c, "bos_token", path);
        cfg.eos = specialTokenField(c, "eos_token", path);
        cfg.pad = specialTokenField(c, "pad_token", path);
        cfg.unk = specialTokenField(c, "unk_token", path);
        cfg.addBos = optBool(c, "add_bos_token", path);
        cfg.addEos = optBool(c, "add_eos_token", path);
        cfg.legacy = optBool(c, "legacy", path);
        cfg.tokenizerClass = jsonString(c, "tokenizer_class", "", path);
        if (c.contains("chat_template"))
            cfg.chatTemplate = templateFromJson(c["chat_template"], path);
        if (c.contains("model_max_length") && c["model_max_length"].is_number()) {
            const double v = c["model_max_length"].get<double>();
            // transformers writes 1e30 (VERY_LARGE_INTEGER) for "no limit".
            cfg.modelMaxLength = v > 0 && v < 1e15 ? static_cast<std::int64_t>(v) : 0;
        }
        if (c.contains("added_tokens_decoder") && c["added_tokens_decoder"].is_object()) {
            for (auto it = c["added_tokens_decoder"].begin(); it != c["added_tokens_decoder"].end(); ++it) {
                const Json& t = it.value();
                AddedToken a;
                try {
                    a.id = std::stoi(it.key());
                } catch (const std::exception&) {
                    throw Error(path + ": added_tokens_decoder key '" + it.key() + "' is not an integer id");
                }
                if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
                    throw Error(path + ": added_tokens_decoder['" + it.key() + "'] needs a string 'content'");
                a.content = t["content"].get<std::string>();
                a.special = t.value("special", false);
                a.singleWord = t.value("single_word", false);
                a.lstrip = t.value("lstrip", false);
                a.rstrip = t.value("rstrip", false);
                a.normalized = t.value("normalized", !a.special);
                cfg.addedTokensDecoder.push_back(std::move(a));
            }
        }
    }
    if (cfg.chatTemplate.empty()) {
        const fs::path jinja = fs::path(dir) / "chat_template.jinja";
        const fs::path json = fs::path(dir) / "chat_template.json";
        if (fs::exists(jinja)) {
            cfg.chatTemplate = readFile(jinja.string());
        } else if (fs::exists(json)) {
            const Json c = parseJsonFile(json.string());
            if (c.is_object() && c.contains("chat_template"))
                cfg.chatTemplate = templateFromJson(c["chat_template"], json.string());
        }
    }
    return cfg;
}

} // namespace ps::tok
