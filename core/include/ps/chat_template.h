#pragma once
// Chat templates: we do not run Jinja. We recognise which family a model's chat_template
// belongs to and render conversations with a built-in implementation of that family, which
// also tells us exactly which tokens belong to assistant turns (for label masking).
// Torch-free, Qt-free.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ps {

class Tokenizer;

enum class ChatFamily { ChatML, Llama2, Llama3, Mistral, Zephyr, Gemma, Phi3, Alpaca, Plain };

// "chatml", "llama2", "llama3", "mistral", "zephyr", "gemma", "phi3", "alpaca", "plain".
std::string chatFamilyName(ChatFamily family);
// Accepts the names above (case-insensitive; also "qwen" -> chatml, "llama-2", "llama-3",
// "phi-3"). Returns nullopt for anything else.
std::optional<ChatFamily> chatFamilyFromName(const std::string& name);
std::vector<std::string> chatFamilyNames();

struct ChatMessage {
    std::string role; // "system", "user", "assistant"
    std::string content;
};

struct TemplateDetection {
    ChatFamily family = ChatFamily::ChatML;
    bool recognised = false; // false: family is the ChatML fallback
    std::string reason;      // which markers matched, or why none did
};

// Looks for each family's markers in the Jinja text. An empty template is not recognised.
TemplateDetection detectTemplateFamily(const std::string& jinja);

struct RenderedChat {
    ChatFamily family = ChatFamily::ChatML;
    std::string text;                        // the rendered prompt, as the Jinja template would give it
    std::vector<std::int32_t> ids;           // tokenization of `text` (special tokens recognised)
    std::vector<std::uint8_t> assistantMask; // same length as ids; 1 = token of an assistant turn
    std::vector<std::string> warnings;       // fallback to ChatML, missing special tokens, ...
};

// Renders `messages` with `family` (nullopt: detect from tokenizer.chatTemplate(), falling back
// to ChatML with a warning). The assistant mask covers each assistant turn's content and the
// turn's end-of-turn / EOS token(s): <|im_end|> (chatml), </s> (llama2, mistral, zephyr),
// <|eot_id|> (llama3), <end_of_turn> (gemma), <|end|> (phi3), the EOS token (alpaca, plain).
// BOS appears only when the family's template emits it.
//
// When the tokenizer lacks a token the family needs (e.g. <|im_start|> for ChatML) rendering
// still succeeds — the marker is tokenized as ordinary text, as Jinja + tokenizer would — and
// a warning names the missing tokens. Throws ps::Error for a role the family cannot express
// (e.g. a message role other than system/user/assistant, or llama2/mistral without
// alternating user/assistant turns).
RenderedChat renderChat(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                        std::optional<ChatFamily> family = std::nullopt, bool addGenerationPrompt = false);

} // namespace ps
