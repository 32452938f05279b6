#pragma once
// Built-in renderers of the chat-template families: each writes the text the family's Jinja
// template produces, as segments marked assistant / not assistant.
#include "ps/chat_template.h"

#include <string>
#include <vector>

namespace ps {
class Tokenizer;
}

namespace ps::tok {

struct ChatSegment {
    std::string text;
    bool assistant = false;
};

struct FamilyRendering {
    std::vector<ChatSegment> segments;
    std::vector<std::string> warnings;
};

FamilyRendering renderFamily(ChatFamily family, const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                             bool addGenerationPrompt);

// The special tokens a family's markup needs (besides BOS/EOS).
std::vector<std::string> familyMarkers(ChatFamily family);

} // namespace ps::tok
