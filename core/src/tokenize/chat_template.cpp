// Chat-template family names, detection from the Jinja source, and rendering to ids with the
// assistant mask.
#include "ps/chat_template.h"

#include "ps/error.h"
#include "ps/tokenizer.h"
#include "tokenize/chat_families.h"

#include <algorithm>
#include <cctype>

namespace ps {

namespace {

struct FamilyName {
    ChatFamily family;
    const char* name;
};

constexpr FamilyName kNames[] = {
    {ChatFamily::ChatML, "chatml"},   {ChatFamily::Llama2, "llama2"}, {ChatFamily::Llama3, "llama3"},
    {ChatFamily::Mistral, "mistral"}, {ChatFamily::Zephyr, "zephyr"}, {ChatFamily::Gemma, "gemma"},
    {ChatFamily::Phi3, "phi3"},       {ChatFamily::Alpaca, "alpaca"}, {ChatFamily::Plain, "plain"}};

bool has(const std::string& s, const char* needle) {
    return s.find(needle) != std::string::npos;
}

} // namespace

std::string chatFamilyName(ChatFamily family) {
    for (const auto& n : kNames)
        if (n.family == family)
            return n.name;
    return "chatml";
}

std::optional<ChatFamily> chatFamilyFromName(const std::string& name) {
    std::string s;
    for (char c : name)
        s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (s == "qwen" || s == "qwen2")
        s = "chatml";
    if (s == "llama-2")
        s = "llama2";
    if (s == "llama-3")
        s = "llama3";
    if (s == "phi-3")
        s = "phi3";
    for (const auto& n : kNames)
        if (s == n.name)
            return n.family;
    return std::nullopt;
}

std::vector<std::string> chatFamilyNames() {
    std::vector<std::string> out;
    for (const auto& n : kNames)
        out.emplace_back(n.name);
    return out;
}

TemplateDetection detectTemplateFamily(const std::string& j) {
    TemplateDetection d;
    auto hit = [&](ChatFamily f, const std::string& why) {
        d.family = f;
        d.recognised = true;
        d.reason = why;
        return d;
    };
    if (j.empty()) {
        d.reason = "the tokenizer has no chat_template";
        return d;
    }
    if (has(j, "<|im_start|>"))
        return hit(ChatFamily::ChatML, "uses <|im_start|> / <|im_end|> (ChatML)");
    if (has(j, "<|start_header_id|>") && has(j, "<|eot_id|>"))
        return hit(ChatFamily::Llama3, "uses <|start_header_id|> and <|eot_id|> (Llama-3)");
    if (has(j, "<start_of_turn>"))
        return hit(ChatFamily::Gemma, "uses <start_of_turn> (Gemma)");
    if (has(j, "<|assistant|>") && has(j, "<|end|>"))
        return hit(ChatFamily::Phi3, "uses <|assistant|> with <|end|> (Phi-3)");
    if (has(j, "<|assistant|>") && has(j, "<|user|>"))
        return hit(ChatFamily::Zephyr, "uses <|user|> / <|assistant|> with the EOS token (Zephyr)");
    if (has(j, "[INST]") && has(j, "<<SYS>>"))
        return hit(ChatFamily::Llama2, "uses [INST] with <<SYS>> (Llama-2)");
    if (has(j, "[INST]"))
        return hit(ChatFamily::Mistral, "uses [INST] without <<SYS>> (Mistral)");
    if (has(j, "### Instruction") || has(j, "### Response"))
        return hit(ChatFamily::Alpaca, "uses ### Instruction / ### Response (Alpaca)");
    d.reason = "no known family's markers (<|im_start|>, <|start_header_id|>, <start_of_turn>, <|assistant|>, [INST], "
               "### Instruction) found in the chat_template";
    return d;
}

RenderedChat renderChat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                        std::optional<ChatFamily> family, bool addGenerationPrompt) {
    RenderedChat out;
    if (family) {
        out.family = *family;
    } else {
        const TemplateDetection d = detectTemplateFamily(tokenizer.chatTemplate());
        out.family = d.family;
        if (!d.recognised)
            out.warnings.push_back("chat template not recognised (" + d.reason +
                                   "); falling back to chatml — pass a template name to override");
    }
    std::vector<std::string> missing;
    for (const std::string& m : tok::familyMarkers(out.family))
        if (!tokenizer.tokenToId(m))
            missing.push_back(m);
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing)
            list += (list.empty() ? "" : ", ") + m;
        out.warnings.push_back("the tokenizer has no token(s) " + list + " that the " + chatFamilyName(out.family) +
                               " template needs: they are tokenized as plain text (wrong template for this model?)");
    }
    tok::FamilyRendering r = tok::renderFamily(out.family, tokenizer, messages, addGenerationPrompt);
    for (auto& w : r.warnings)
        if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end())
            out.warnings.push_back(std::move(w));

    std::vector<std::pair<std::uint32_t, std::uint32_t>> assistantRanges;
    for (const auto& s : r.segments) {
        if (s.assistant)
            assistantRanges.emplace_back(static_cast<std::uint32_t>(out.text.size()),
                                         static_cast<std::uint32_t>(out.text.size() + s.text.size()));
        out.text += s.text;
    }
    const std::vector<TokenSpan> spans = tokenizer.encodeWithOffsets(out.text, false);
    out.ids.reserve(spans.size());
    out.assistantMask.reserve(spans.size());
    for (const TokenSpan& t : spans) {
        out.ids.push_back(t.id);
        // A token belongs to the assistant when any of its characters does (as transformers'
        // return_assistant_tokens_mask, which maps each assistant character to its token).
        bool inside = false;
        for (const auto& [b, e] : assistantRanges)
            if (t.begin < e && t.end > b)
                inside = true;
        out.assistantMask.push_back(inside ? 1 : 0);
    }
    return out;
}

} // namespace ps
