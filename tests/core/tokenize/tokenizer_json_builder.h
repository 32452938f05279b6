#pragma once
// Builds small tokenizer.json files for tests whose expected ids are derived by hand.
// ASCII vocabulary convention: character c has id c - 32 (' ' = 0, '-' = 13, '0' = 16,
// 'a' = 65); extra tokens get ids from 95 up (see each test).
#include "ps/tokenizer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace tokentest {

using nlohmann::json;

inline json asciiVocab() {
    json v = json::object();
    for (int c = 32; c < 127; ++c)
        v[std::string(1, static_cast<char>(c))] = c - 32;
    return v;
}

struct Spec {
    json vocab = asciiVocab();
    json merges = json::array();
    json normalizer = nullptr;
    json preTokenizer = nullptr;
    json postProcessor = nullptr;
    json decoder = nullptr;
    json addedTokens = json::array();
    json modelExtra = json::object(); // byte_fallback, unk_token, ...
    json config = nullptr;            // tokenizer_config.json, when not null
};

inline json addedToken(int id, const std::string& content, bool special, json extra = json::object()) {
    json t = {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", false},
              {"rstrip", false}, {"normalized", false}, {"special", special}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        t[it.key()] = it.value();
    return t;
}

inline json toJson(const Spec& s) {
    json model = {{"type", "BPE"},          {"dropout", nullptr}, {"unk_token", nullptr}, {"fuse_unk", false},
                  {"byte_fallback", false}, {"vocab", s.vocab},   {"merges", s.merges}};
    for (auto it = s.modelExtra.begin(); it != s.modelExtra.end(); ++it)
        model[it.key()] = it.value();
    return json{{"version", "1.0"},
                {"truncation", nullptr},
                {"padding", nullptr},
                {"added_tokens", s.addedTokens},
                {"normalizer", s.normalizer},
                {"pre_tokenizer", s.preTokenizer},
                {"post_processor", s.postProcessor},
                {"decoder", s.decoder},
                {"model", model}};
}

inline void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// Writes DIR/<name>/tokenizer.json (+ tokenizer_config.json) and returns the folder.
inline std::string writeTokenizer(const QTemporaryDir& tmp, const std::string& name, const json& tokenizerJson,
                                  const json& config = nullptr) {
    const std::string dir = tmp.path().toStdString() + "/" + name;
    std::filesystem::create_directories(dir);
    writeText(dir + "/tokenizer.json", tokenizerJson.dump(1));
    if (!config.is_null())
        writeText(dir + "/tokenizer_config.json", config.dump(1));
    return dir;
}

inline std::shared_ptr<ps::Tokenizer> build(const QTemporaryDir& tmp, const std::string& name, const Spec& s) {
    return ps::Tokenizer::load(writeTokenizer(tmp, name, toJson(s), s.config));
}

} // namespace tokentest
