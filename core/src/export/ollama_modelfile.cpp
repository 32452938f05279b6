#include "export/ollama_modelfile.h"

#include "ps/error.h"
#include "ps/run_config.h"
#include "ps/runs.h"
#include "tokenize/tokenizer_config.h"
#include "util/file_util.h"

#include <sstream>

namespace ps::exporting {
namespace {

const char* kAlpacaPreamble =
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

struct FamilyTemplate {
    std::string text;
    std::vector<std::string> stops;
};

FamilyTemplate templateFor(ChatFamily family, const std::string& eos) {
    const std::string end = eos.empty() ? "</s>" : eos;
    switch (family) {
    case ChatFamily::ChatML:
        return {"{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
                "{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}"
                "<|im_start|>assistant\n{{ .Response }}<|im_end|>\n",
                {"<|im_start|>", "<|im_end|>"}};
    case ChatFamily::Llama3:
        return {"{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
                "{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}"
                "<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>",
                {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}};
    case ChatFamily::Llama2:
        return {"[INST] {{ if .System }}<<SYS>>\n{{ .System }}\n<</SYS>>\n\n{{ end }}{{ .Prompt }} [/INST] "
                "{{ .Response }}",
                {"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"}};
    case ChatFamily::Mistral:
        return {"[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }} [/INST]{{ .Response }}",
                {"[INST]", "[/INST]"}};
    case ChatFamily::Zephyr:
        return {"{{ if .System }}<|system|>\n{{ .System }}" + end +
                    "\n{{ end }}{{ if .Prompt }}<|user|>\n{{ .Prompt }}" + end +
                    "\n{{ end }}<|assistant|>\n{{ .Response }}" + end,
                {"<|system|>", "<|user|>", "<|assistant|>", end}};
    case ChatFamily::Gemma:
        return {"<start_of_turn>user\n{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}<end_of_turn>\n"
                "<start_of_turn>model\n{{ .Response }}<end_of_turn>\n",
                {"<start_of_turn>", "<end_of_turn>"}};
    case ChatFamily::Phi3:
        return {"{{ if .System }}<|system|>\n{{ .System }}<|end|>\n{{ end }}{{ if .Prompt }}<|user|>\n{{ .Prompt }}"
                "<|end|>\n{{ end }}<|assistant|>\n{{ .Response }}<|end|>",
                {"<|end|>", "<|user|>", "<|assistant|>"}};
    case ChatFamily::Alpaca: {
        FamilyTemplate t{"{{ if .System }}{{ .System }}{{ else }}" + std::string(kAlpacaPreamble) +
                             "{{ end }}\n\n### Instruction:\n{{ .Prompt }}\n\n### Response:\n{{ .Response }}",
                         {"### Instruction:"}};
        if (!eos.empty())
            t.stops.push_back(eos);
        return t;
    }
    case ChatFamily::Plain:
        break;
    }
    FamilyTemplate t{"{{ .Prompt }}", {}};
    if (!eos.empty())
        t.stops.push_back(eos);
    return t;
}

// A stop string that would break the Modelfile's quoting is left out rather than mangled.
bool quotable(const std::string& s) {
    return !s.empty() && s.find_first_of("\"\n\r\\") == std::string::npos;
}

} // namespace

ChatChoice chooseChatFamily(const std::string& requested, const std::string& runDir, const std::string& baseDir) {
    ChatChoice choice;
    tok::TokenizerConfig tc;
    try {
        tc = tok::readTokenizerConfig(baseDir);
    } catch (const Error&) {
        // A broken tokenizer_config.json only costs the automatic choice.
    }
    if (tc.eos)
        choice.eosToken = *tc.eos;
    if (!requested.empty()) {
        const auto f = chatFamilyFromName(requested);
        if (!f) {
            std::string known;
            for (const auto& n : chatFamilyNames())
                known += (known.empty() ? "" : ", ") + n;
            throw Error("unknown chat template family '" + requested + "' (known: " + known + ")");
        }
        choice.family = *f;
        choice.reason = "as requested";
        return choice;
    }
    if (!runDir.empty()) {
        try {
            const RunConfig c = parseRunConfigYaml(readFile(runConfigPath(runDir)), runConfigPath(runDir));
            if (const auto f = chatFamilyFromName(c.template_)) {
                choice.family = *f;
                choice.reason = "the run's template setting";
                return choice;
            }
        } catch (const Error&) {
            // fall through to detection
        }
    }
    const TemplateDetection d = detectTemplateFamily(tc.chatTemplate);
    if (d.recognised) {
        choice.family = d.family;
        choice.reason = "detected from the base model's chat template";
    } else {
        choice.family = ChatFamily::Plain;
        choice.reason = tc.chatTemplate.empty() ? "the base model has no chat template"
                                                : "the base model's chat template was not recognised";
    }
    return choice;
}

std::string ollamaModelfile(const ModelfileContent& c) {
    std::ostringstream out;
    out << "# Ollama Modelfile written by PEFT Studio: `ollama create NAME -f Modelfile`, then `ollama run NAME`.\n";
    if (c.from.empty()) {
        out << "# FROM must be the base model the adapter was trained on (" << c.baseName << "): a GGUF of it\n"
            << "# (llama.cpp's convert_hf_to_gguf.py) or an Ollama model with exactly those weights. Replace the\n"
            << "# placeholder below with its path or name.\n"
            << "FROM ./" << c.baseName << ".gguf\n";
    } else {
        out << "FROM " << c.from << "\n";
    }
    out << "ADAPTER ./" << c.adapterFile << "\n";
    const ChatFamily family = c.chat.family.value_or(ChatFamily::Plain);
    const FamilyTemplate t = templateFor(family, c.chat.eosToken);
    out << "\n# Chat template: " << chatFamilyName(family) << " (" << c.chat.reason << ").\n";
    out << "TEMPLATE \"\"\"" << t.text << "\"\"\"\n";
    for (const auto& s : t.stops)
        if (quotable(s))
            out << "PARAMETER stop \"" << s << "\"\n";
    return out.str();
}

} // namespace ps::exporting
