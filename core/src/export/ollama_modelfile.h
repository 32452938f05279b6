#pragma once
// The Ollama Modelfile written next to a GGUF LoRA: FROM the base, ADAPTER the .gguf, and the
// TEMPLATE + stop parameters of the chat-template family the adapter was trained with (the same
// text our renderers in tokenize/chat_families.cpp produce, in Ollama's Go-template syntax).
#include "ps/chat_template.h"

#include <optional>
#include <string>
#include <vector>

namespace ps::exporting {

struct ChatChoice {
    std::optional<ChatFamily> family; // nullopt: no template (plain prompt in, text out)
    std::string eosToken;             // the base tokenizer's EOS ("" when unknown)
    std::string reason;               // "run setting", "detected from tokenizer_config.json", ...
};

// `requested` (a family name, or "" for automatic) wins; then the run's `template` setting when
// it names a family; then detection from BASE_DIR's tokenizer_config.json chat_template.
// Throws ps::Error for an unknown requested name, listing the known ones.
ChatChoice chooseChatFamily(const std::string& requested, const std::string& runDir, const std::string& baseDir);

struct ModelfileContent {
    std::string from;        // Ollama model name or base GGUF path; "" = placeholder
    std::string baseName;    // for the placeholder and the comment
    std::string adapterFile; // file name of the .gguf, next to the Modelfile
    ChatChoice chat;
};

std::string ollamaModelfile(const ModelfileContent& content);

} // namespace ps::exporting
