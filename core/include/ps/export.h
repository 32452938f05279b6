#pragma once
// Exporting a trained adapter for other runtimes (torch-free, public). The merged export
// (base + adapter folded into one HF model folder) is exportMerged in ps/adapter.h; this header
// adds the two adapter-only formats:
//
//  - peft: a clean Hugging Face PEFT folder (adapter_config.json with only the keys the method
//    needs, adapter_model.safetensors, README.md model card) that `PeftModel.from_pretrained`
//    loads; base_model_name_or_path is a hub id or a folder name, never an absolute path.
//  - gguf: a GGUF v3 LoRA adapter that llama.cpp (`--lora`) and Ollama (`ADAPTER`) load, plus an
//    Ollama Modelfile next to it. LoRA only; what llama.cpp cannot express is refused with an
//    error that names the method or option and suggests --format merged.
//
// docs/EXPORT.md describes both formats, the tensor transforms and how to use the results.
// Everything runs synchronously in the caller's thread; every file is written atomically.
#include "ps/safetensors.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ps {

// What an export reads from: a run folder (its adapter/ plus config.yaml and summary.json for the
// model card), the adapter/ folder inside a run, or any HF PEFT adapter folder.
struct ExportSource {
    std::string adapterDir;
    std::string runDir;   // "" when the adapter is not part of a run folder
    std::string name;     // the run name or the adapter folder's name
    std::string baseHint; // the run's model_name_or_path ("" when unknown)
};
// Throws ps::Error when PATH is neither.
ExportSource resolveExportSource(const std::string& path);

struct PeftExportOptions {
    bool overwrite = false; // replace an existing non-empty output folder
};

struct PeftExportReport {
    std::string outDir;
    std::vector<std::string> files; // relative to outDir, sorted
    std::string method;             // peft_type, "LORA"
    std::string baseModelName;      // base_model_name_or_path as written
    std::int64_t numTensors = 0;
    std::int64_t numParameters = 0;
};

// Writes SOURCE's adapter as a clean PEFT folder OUT_DIR (staged next to it, renamed into place
// only after the written folder was loaded back onto the base model in BASE_DIR with core's
// adapter loader and its tensors compared with the source). Tensors keep their dtype. Throws
// ps::Error for a full fine-tune (use exportMerged), a bad adapter or an existing OUT_DIR
// without `overwrite`.
PeftExportReport exportPeftAdapter(const std::string& source, const std::string& baseDir, const std::string& outDir,
                                   const PeftExportOptions& options = {});

// The README.md model card text for an adapter (HF model-card YAML header + sections).
std::string adapterModelCard(const ExportSource& source, const std::string& baseModelName);

struct GgufExportOptions {
    DType dtype = DType::F32; // payload: F32 or F16
    bool overwrite = false;   // replace an existing .gguf / Modelfile
    bool writeModelfile = true;
    // The Modelfile's FROM: an Ollama model name or a base GGUF path. Empty: a placeholder
    // "./<base folder name>.gguf" with a comment saying what to put there.
    std::string ollamaFrom;
    // Chat-template family for the Modelfile TEMPLATE ("chatml", "llama3", ... or "plain").
    // Empty: the run's `template` setting, else detected from the base's tokenizer_config.json.
    std::string chatFamily;
};

struct GgufExportReport {
    std::string ggufPath;
    std::string modelfilePath; // "" when not written
    std::string architecture;  // general.architecture
    double alpha = 0.0;        // adapter.lora.alpha as written
    std::int64_t numTensors = 0;
    std::string chatFamily;         // used for the Modelfile TEMPLATE
    std::vector<std::string> notes; // transforms applied (q/k row permutation, scaling folded)
};

// Writes SOURCE's LoRA adapter as a GGUF LoRA file. OUT is a path ending in ".gguf", or a folder
// that receives "<name>.gguf"; the Modelfile goes next to the .gguf. The written file is parsed
// back (GgufFile) before the export is reported done. Throws ps::Error naming the method or
// option llama.cpp cannot load (IA3, LoHa, LoKr, prompt/prefix tuning, full fine-tuning, DoRA,
// trained biases, modules_to_save, a head LoRA on a tied model) or an unsupported model_type.
GgufExportReport exportGgufLora(const std::string& source, const std::string& baseDir, const std::string& out,
                                const GgufExportOptions& options = {});

} // namespace ps
