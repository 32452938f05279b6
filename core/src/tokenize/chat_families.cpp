#include "tokenize/chat_families.h"

#include "ps/error.h"
#include "ps/tokenizer.h"

namespace ps::tok {
namespace {

const char* const kAlpacaPreamble =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

// Jinja's `trim` / Python's str.strip(): leading and trailing whitespace.
std::string trim(const std::string& s) {
    const char* ws = " \t\n\r\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string::npos)
        return {};
    const auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

class Writer final {
public:
    void text(const std::string& s) {
        if (s.empty())
            return;
        if (!segs_.empty() && !segs_.back().assistant)
            segs_.back().text += s;
        else
            segs_.push_back({s, false});
    }
    void assistant(const std::string& s) {
        if (s.empty())
            return;
        if (!segs_.empty() && segs_.back().assistant)
            segs_.back().text += s;
        else
            segs_.push_back({s, true});
    }
    std::vector<ChatSegment> take() { return std::move(segs_); }

private:
    std::vector<ChatSegment> segs_;
};

void requireRoles(ChatFamily family, const std::vector<ChatMessage>& messages) {
    for (std::size_t k = 0; k < messages.size(); ++k) {
        const std::string& r = messages[k].role;
        if (r != "system" && r != "user" && r != "assistant")
            throw Error("chat template " + chatFamilyName(family) + ": message " + std::to_string(k) + " has role '" +
                        r + "' (expected system, user or assistant)");
    }
}

// Splits a leading system message off, as templates with `messages[0]['role'] == 'system'` do.
std::string takeSystem(const std::vector<ChatMessage>& messages, std::vector<ChatMessage>& rest) {
    std::string system;
    std::size_t start = 0;
    if (!messages.empty() && messages[0].role == "system") {
        system = messages[0].content;
        start = 1;
    }
    rest.assign(messages.begin() + static_cast<std::ptrdiff_t>(start), messages.end());
    for (std::size_t k = 0; k < rest.size(); ++k)
        if (rest[k].role == "system")
            throw Error("chat template: a system message is only supported as the first message (message " +
                        std::to_string(k + start) + ")");
    return system;
}

void requireAlternation(ChatFamily family, const std::vector<ChatMessage>& rest) {
    for (std::size_t k = 0; k < rest.size(); ++k)
        if ((rest[k].role == "user") != (k % 2 == 0))
            throw Error("chat template " + chatFamilyName(family) +
                        ": conversation roles must alternate user/assistant/user/... (message " + std::to_string(k) +
                        " is '" + rest[k].role + "')");
}

} // namespace

std::vector<std::string> familyMarkers(ChatFamily family) {
    switch (family) {
    case ChatFamily::ChatML:
        return {"<|im_start|>", "<|im_end|>"};
    case ChatFamily::Llama3:
        return {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
    case ChatFamily::Gemma:
        return {"<start_of_turn>", "<end_of_turn>"};
    case ChatFamily::Phi3:
        return {"<|user|>", "<|assistant|>", "<|end|>"};
    default:
        return {};
    }
}

FamilyRendering renderFamily(ChatFamily family, const Tokenizer& tok, const std::vector<ChatMessage>& messages,
                             bool gen) {
    FamilyRendering r;
    Writer w;
    const std::string bos = tok.bosToken();
    const std::string eos = tok.eosToken();
    auto needBos = [&] {
        if (bos.empty())
            r.warnings.push_back("the " + chatFamilyName(family) +
                                 " template starts with the BOS token but the tokenizer has none; rendered without it");
    };
    auto needEos = [&] {
        if (eos.empty())
            r.warnings.push_back("the " + chatFamilyName(family) +
                                 " template ends assistant turns with the EOS token but the tokenizer has none; "
                                 "assistant turns have no end token");
    };
    std::vector<ChatMessage> rest;
    switch (family) {
    case ChatFamily::ChatML:
        for (const auto& m : messages) {
            w.text("<|im_start|>" + m.role + "\n");
            if (m.role == "assistant") {
                w.assistant(m.content + "<|im_end|>");
                w.text("\n");
            } else {
                w.text(m.content + "<|im_end|>\n");
            }
        }
        if (gen)
            w.text("<|im_start|>assistant\n");
        break;
    case ChatFamily::Llama3:
        needBos();
        w.text(bos);
        for (const auto& m : messages) {
            w.text("<|start_header_id|>" + m.role + "<|end_header_id|>\n\n");
            if (m.role == "assistant")
                w.assistant(trim(m.content) + "<|eot_id|>");
            else
                w.text(trim(m.content) + "<|eot_id|>");
        }
        if (gen)
            w.text("<|start_header_id|>assistant<|end_header_id|>\n\n");
        break;
    case ChatFamily::Llama2: {
        requireRoles(family, messages);
        const std::string system = takeSystem(messages, rest);
        requireAlternation(family, rest);
        needBos();
        needEos();
        for (std::size_t k = 0; k < rest.size(); ++k) {
            const auto& m = rest[k];
            if (m.role == "user") {
                std::string content = m.content;
                if (k == 0 && !system.empty())
                    content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
                w.text(bos + "[INST] " + trim(content) + " [/INST]");
            } else {
                w.text(" ");
                w.assistant(trim(m.content) + " " + eos);
            }
        }
        break;
    }
    case ChatFamily::Mistral: {
        requireRoles(family, messages);
        const std::string system = takeSystem(messages, rest);
        requireAlternation(family, rest);
        needBos();
        needEos();
        w.text(bos);
        for (std::size_t k = 0; k < rest.size(); ++k) {
            const auto& m = rest[k];
            if (m.role == "user") {
                const std::string content = k == 0 && !system.empty() ? system + "\n\n" + m.content : m.content;
                w.text("[INST] " + content + " [/INST]");
            } else {
                w.assistant(m.content + eos);
            }
        }
        break;
    }
    case ChatFamily::Zephyr:
        requireRoles(family, messages);
        needEos();
        for (const auto& m : messages) {
            w.text("<|" + m.role + "|>\n");
            if (m.role == "assistant") {
                w.assistant(m.content + eos);
                w.text("\n");
            } else {
                w.text(m.content + eos + "\n");
            }
        }
        if (gen)
            w.text("<|assistant|>\n");
        break;
    case ChatFamily::Gemma: {
        requireRoles(family, messages);
        const std::string system = takeSystem(messages, rest);
        requireAlternation(family, rest);
        needBos();
        w.text(bos);
        for (std::size_t k = 0; k < rest.size(); ++k) {
            const auto& m = rest[k];
            if (m.role == "user") {
                const std::string content = k == 0 && !system.empty() ? system + "\n\n" + m.content : m.content;
                w.text("<start_of_turn>user\n" + trim(content) + "<end_of_turn>\n");
            } else {
                w.text("<start_of_turn>model\n");
                w.assistant(trim(m.content) + "<end_of_turn>");
                w.text("\n");
            }
        }
        if (gen)
            w.text("<start_of_turn>model\n");
        break;
    }
    case ChatFamily::Phi3:
        requireRoles(family, messages);
        for (const auto& m : messages) {
            w.text("<|" + m.role + "|>\n");
            if (m.role == "assistant") {
                w.assistant(m.content + "<|end|>");
                w.text("\n");
            } else {
                w.text(m.content + "<|end|>\n");
            }
        }
        if (gen) {
            w.text("<|assistant|>\n");
        } else {
            needEos();
            w.text(eos);
        }
        break;
    case ChatFamily::Alpaca: {
        requireRoles(family, messages);
        const std::string system = takeSystem(messages, rest);
        needEos();
        w.text((system.empty() ? std::string(kAlpacaPreamble) : system) + "\n\n");
        for (const auto& m : rest) {
            if (m.role == "user") {
                w.text("### Instruction:\n" + m.content + "\n\n");
            } else {
                w.text("### Response:\n");
                w.assistant(m.content + eos);
                w.text("\n\n");
            }
        }
        if (gen)
            w.text("### Response:\n");
        break;
    }
    case ChatFamily::Plain:
        requireRoles(family, messages);
        if (tok.addBosToken())
            w.text(bos);
        for (const auto& m : messages) {
            if (m.role == "assistant") {
                needEos();
                w.assistant(m.content + eos);
                w.text("\n");
            } else {
                w.text(m.content + "\n");
            }
        }
        break;
    }
    r.segments = w.take();
    return r;
}

} // namespace ps::tok
