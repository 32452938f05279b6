// template: render a conversation with the model's chat template and show which tokens are
// the assistant's (the ones a fine-tuning run trains on).
#include "cli_args.h"
#include "commands.h"

#include "ps/chat_template.h"
#include "ps/error.h"
#include "ps/tokenizer.h"

#include "ps/json_nesting.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace ps::cli {
namespace {

std::vector<ChatMessage> readMessages(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open for reading");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    checkJsonNesting(text, path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not valid JSON (" + e.what() + ")");
    }
    if (j.is_object() && j.contains("messages"))
        j = j["messages"];
    if (!j.is_array())
        throw Error(path + ": expected an array of {\"role\", \"content\"} (or {\"messages\": [...]})");
    std::vector<ChatMessage> out;
    for (std::size_t k = 0; k < j.size(); ++k) {
        const auto& m = j[k];
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
            !m["content"].is_string())
            throw Error(path + ": message " + std::to_string(k) + " needs string fields 'role' and 'content'");
        out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    return out;
}

int runTemplate(const Args& args) {
    CliArgs a(args, {"model", "messages", "template"}, {"json", "add-generation-prompt"});
    const auto tok = Tokenizer::load(a.require("model"));
    const auto messages = readMessages(a.require("messages"));
    std::optional<ChatFamily> family;
    if (auto name = a.value("template")) {
        family = chatFamilyFromName(*name);
        if (!family) {
            std::string names;
            for (const auto& n : chatFamilyNames())
                names += (names.empty() ? "" : ", ") + n;
            throw Error("--template '" + *name + "' is not a known template (known: " + names + ")");
        }
    }
    const RenderedChat r = renderChat(*tok, messages, family, a.flag("add-generation-prompt"));
    for (const auto& w : r.warnings)
        std::cerr << "warning: " << w << "\n";
    if (a.flag("json")) {
        nlohmann::json j;
        j["template"] = chatFamilyName(r.family);
        j["text"] = r.text;
        j["ids"] = r.ids;
        j["assistant_mask"] = r.assistantMask;
        j["warnings"] = r.warnings;
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return 0;
    }
    std::string ids, mask;
    for (std::size_t k = 0; k < r.ids.size(); ++k) {
        if (k) {
            ids.push_back(' ');
            mask.push_back(' ');
        }
        ids += std::to_string(r.ids[k]);
        mask.push_back(r.assistantMask[k] ? '1' : '0');
    }
    std::cout << r.text << (r.text.empty() || r.text.back() != '\n' ? "\n" : "") << "\n"
              << "template: " << chatFamilyName(r.family) << "\n"
              << "ids: " << ids << "\n"
              << "mask: " << mask << "\n";
    return 0;
}

const CommandRegistration reg{
    {"template", "template --model DIR --messages FILE.json [--template NAME] [--add-generation-prompt] [--json]",
     "Render a conversation (FILE.json: [{\"role\": \"system|user|assistant\", \"content\": ...}, ...]) with the "
     "model's chat template (NAME overrides: chatml, llama2, llama3, mistral, zephyr, gemma, phi3, alpaca, plain; "
     "unrecognised templates fall back to chatml with a warning on stderr). Output: the rendered text, an empty "
     "line, then 'template: NAME', 'ids: <token ids>' and 'mask: <one 0/1 per id>' where 1 marks an assistant "
     "token (content and end-of-turn token: the tokens trained on). --json prints {template, text, ids, "
     "assistant_mask, warnings} instead.",
     &runTemplate}};

} // namespace
} // namespace ps::cli
