#pragma once
// The export compatibility report: before anything is written, which runtimes will load an
// adapter and why not (torch-free, public). One entry per target runtime — Hugging Face peft,
// transformers, vLLM, llama.cpp / Ollama — with a verdict and its reasons in plain words.
//
// The facts come from the adapter itself (adapter_config.json and the safetensors tensor names
// and shapes: a DoRA magnitude vector, an embedding LoRA or a saved lm_head are seen in the
// tensors even when the config does not say so) and, when the base model folder is known, from
// its config.json (model_type, tied embeddings). Nothing is inferred from folder names.
// docs/EXPORT.md ("Compatibility report") lists the rules and where each comes from.
#include <string>
#include <vector>

namespace ps {

enum class ExportRuntime { Peft, Transformers, Vllm, LlamaCpp };
enum class CompatVerdict { Ok, Warning, Unsupported };

// "peft", "transformers", "vLLM", "llama.cpp / Ollama".
const char* exportRuntimeName(ExportRuntime runtime);
// "ok", "warning", "unsupported".
const char* compatVerdictName(CompatVerdict verdict);

struct RuntimeCompat {
    ExportRuntime runtime = ExportRuntime::Peft;
    CompatVerdict verdict = CompatVerdict::Ok;
    std::vector<std::string> reasons; // plain sentences; empty when there is nothing to say
};

struct CompatReport {
    std::string adapterDir;
    std::string baseDir;                 // the base model folder checked ("" when none was available)
    std::string method;                  // what the adapter is, in words: "LoRA r=8", "DoRA r=4", "IA3", ...
    std::vector<RuntimeCompat> runtimes; // peft, transformers, vLLM, llama.cpp / Ollama, in that order

    const RuntimeCompat& at(ExportRuntime runtime) const;
    // The worst verdict over all runtimes.
    CompatVerdict worst() const;
};

// SOURCE: a run folder, its adapter/ folder or a PEFT adapter folder (as resolveExportSource).
// BASE_DIR: the base model folder; empty: the run's model when it is a folder, else unchecked
// (the rules that need the base then give a warning saying so). Throws ps::Error for a source
// that is not an adapter.
CompatReport exportCompatibility(const std::string& source, const std::string& baseDir = "");

// The report as the CLI prints it: one block per runtime, "  [ok] peft", reasons indented.
std::string formatCompatReport(const CompatReport& report);

} // namespace ps
