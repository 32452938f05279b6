// tokenize: text -> token ids with the model's own tokenizer (exactly Hugging Face's ids).
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/tokenizer.h"

#include "ps/json_nesting.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace ps::cli {
namespace {

void printIdsJsonLine(const std::vector<std::int32_t>& ids) {
    std::string line = "{\"ids\":[";
    for (std::size_t k = 0; k < ids.size(); ++k) {
        if (k)
            line.push_back(',');
        line += std::to_string(ids[k]);
    }
    line += "]}\n";
    std::cout << line;
}

// Reads {"text": ...} lines and writes {"ids": [...]} lines in order, a block at a time so
// that a large file is encoded on all cores without holding it all in memory.
void tokenizeJsonl(const Tokenizer& tok, const std::string& path, bool addSpecial) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open for reading");
    constexpr std::size_t kBlock = 4096;
    std::vector<std::string> texts;
    std::string line;
    std::size_t lineNo = 0;
    auto flush = [&] {
        for (const auto& ids : tok.encodeBatch(texts, addSpecial, 0))
            printIdsJsonLine(ids);
        texts.clear();
    };
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        checkJsonNesting(line, path + " line " + std::to_string(lineNo));
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw Error(path + " line " + std::to_string(lineNo) + ": not valid JSON (" + e.what() + ")");
        }
        if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
            throw Error(path + " line " + std::to_string(lineNo) + ": expected an object with a string field 'text'");
        texts.push_back(j["text"].get<std::string>());
        if (texts.size() == kBlock)
            flush();
    }
    flush();
}

int runTokenize(const Args& args) {
    CliArgs a(args, {"model", "text", "jsonl"}, {"add-special-tokens"});
    const std::string model = a.require("model");
    if (a.has("text") == a.has("jsonl"))
        throw Error("give exactly one of --text STRING or --jsonl FILE");
    const auto tok = Tokenizer::load(model);
    const bool addSpecial = a.flag("add-special-tokens");
    if (a.has("text")) {
        const auto ids = tok->encode(*a.value("text"), addSpecial);
        std::string out;
        for (std::size_t k = 0; k < ids.size(); ++k) {
            if (k)
                out.push_back(' ');
            out += std::to_string(ids[k]);
        }
        std::cout << out << "\n";
    } else {
        tokenizeJsonl(*tok, *a.value("jsonl"), addSpecial);
    }
    return 0;
}

const CommandRegistration reg{
    {"tokenize", "tokenize --model DIR (--text STRING | --jsonl FILE) [--add-special-tokens]",
     "Encode text with the model's tokenizer (tokenizer.json, else tokenizer.model): --text prints the ids separated "
     "by spaces; --jsonl reads lines {\"text\": ...} and writes one line {\"ids\": [...]} per input line, in order. "
     "Special tokens (BOS/EOS) are added only with --add-special-tokens.",
     &runTokenize}};

} // namespace
} // namespace ps::cli
