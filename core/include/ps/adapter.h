#pragma once
// PEFT adapters — the public, torch-free side: what a method is (AdapterSpec), what an adapter
// folder holds (inspectAdapter), how many parameters a method trains on a model without
// building it (countTrainableParameters), and the merged export of base + adapter as a
// standalone Hugging Face model folder (exportMerged).
//
// Adapter folders are in the Hugging Face PEFT layout (adapter_config.json +
// adapter_model.safetensors with peft's tensor names), so `peft.PeftModel.from_pretrained`
// loads what we write and we load what peft writes. The method math and file format are
// described in docs/PEFT-FORMAT.md; src/adapters/ has one file per method.
#include "ps/safetensors.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ps {

// The PEFT methods. peft_type spelling in adapter_config.json: LORA (also DoRA and rsLoRA,
// which are LoRA options), IA3, LOHA, LOKR, PROMPT_TUNING, PREFIX_TUNING. Full fine-tuning
// writes a whole model folder instead of an adapter.
enum class PeftMethod { Lora, Ia3, Loha, Lokr, PromptTuning, PrefixTuning, Full };

// "LORA", "IA3", "LOHA", "LOKR", "PROMPT_TUNING", "PREFIX_TUNING", "FULL".
const char* peftMethodName(PeftMethod method);
// Accepts the peft_type spelling or lower case ("lora", "prompt_tuning", "prefix", "full", ...).
// Throws ps::Error listing the known names.
PeftMethod parsePeftMethod(const std::string& name);
// Whether the method's weights can be folded into the base model (not prompt/prefix tuning).
bool peftMethodCanMerge(PeftMethod method);

// Everything that defines a PEFT method on a model; the field names follow peft's config keys.
// Usable from YAML / the GUI: plain data with peft's defaults.
struct AdapterSpec {
    PeftMethod method = PeftMethod::Lora;

    // --- LoRA, LoHa, LoKr
    std::int64_t r = 8;
    double alpha = 8.0;   // lora_alpha (LoRA) / alpha (LoHa, LoKr); scaling = alpha / r
    double dropout = 0.0; // lora_dropout (LoRA), applied in training only
    // Which projections to adapt. A list entry matches a module path equal to it or ending in
    // "." + entry (e.g. "q_proj", "mlp.c_proj"); `targetRegex` (used when non-empty instead of
    // the list) must match the whole module path; "all-linear" (in either) means every
    // projection but the output head. Both empty: the model_type's defaults (defaultTargetModules).
    std::vector<std::string> targetModules;
    std::string targetRegex;
    // Only these decoder layers (empty: all). `layersPattern` names the layer list in the module
    // path ("layers", "h"); empty: peft's common names. Only applies to a list of targets.
    std::vector<std::int64_t> layersToTransform;
    std::string layersPattern;
    // Per-module rank / alpha overrides: regex key matched against the module path as
    // "(.*\.)?(key)$", first key (in sorted order) wins.
    std::map<std::string, std::int64_t> rankPattern;
    std::map<std::string, double> alphaPattern;
    // Modules trained in full and saved in the adapter: "lm_head", "embed_tokens", "wte", or
    // any projection (a path suffix, as peft matches them).
    std::vector<std::string> modulesToSave;

    // --- LoRA only
    std::string bias = "none"; // "none", "all" (every bias of the model), "lora_only"
    bool useRslora = false;    // scaling = alpha / sqrt(r)
    bool useDora = false;      // weight-decomposed LoRA (magnitude vector per output)
    bool gaussianInit = false; // A ~ N(0, 1/r) instead of kaiming-uniform (saved config says true)

    // --- IA3: targets whose INPUT is scaled (a subset of the targets); others scale the output.
    // Empty with default targets: the model_type's default.
    std::vector<std::string> feedforwardModules;

    // --- LoHa / LoKr
    double rankDropout = 0.0;
    double moduleDropout = 0.0;
    bool decomposeBoth = false;        // LoKr: factor w1 low-rank too
    std::int64_t decomposeFactor = -1; // LoKr: -1 = factors as close to sqrt(dim) as possible
    // LoKr before peft 0.14 (configs without "rank_dropout_scale") computed kron(w1, w2)
    // without alpha / r and always rescaled rank dropout; such adapters are reproduced that way.
    bool lokrUnscaled = false;
    bool rankDropoutScale = false; // LoKr: divide kept rows by their mean in rank dropout

    // --- prompt tuning / prefix tuning
    std::int64_t numVirtualTokens = 20;
    std::string promptTuningInit = "RANDOM"; // "RANDOM" or "TEXT"
    std::string promptTuningInitText;        // saved in the config for TEXT init
    // TEXT init: the init text's token ids (the caller tokenizes, so adapters need no tokenizer);
    // repeated / truncated to numVirtualTokens as peft does.
    std::vector<std::int64_t> promptTuningInitIds;

    // --- common
    // Written as base_model_name_or_path: a hub id ("HuggingFaceTB/SmolLM2-135M") or a folder
    // name; an absolute path is reduced to its folder name (or org/name for a HF cache path).
    std::string baseModelNameOrPath;
};

// peft's default targets for a model_type when the user picks none (docs/PEFT-FORMAT.md table).
// Throws ps::Error for a model_type without defaults.
std::vector<std::string> defaultTargetModules(const std::string& modelType, PeftMethod method);
std::vector<std::string> defaultFeedforwardModules(const std::string& modelType);

// Parses an adapter_config.json text (peft's keys; unknown keys are ignored as newer peft does).
// `what` names the file in errors.
AdapterSpec adapterSpecFromConfigJson(const std::string& json, const std::string& what);

struct AdapterTensorInfo {
    std::string name;
    std::string dtype; // safetensors spelling, "F32"
    std::vector<std::int64_t> shape;
};

struct AdapterInfo {
    std::string path;
    AdapterSpec spec;
    std::string peftType;                   // as written ("LORA", ...)
    std::string baseModel;                  // base_model_name_or_path as written
    std::vector<AdapterTensorInfo> tensors; // sorted by name
    std::int64_t numParameters = 0;
    bool canMerge = false;
};

// Reads DIR/adapter_config.json and the safetensors header (no weights). A full fine-tuning
// output (a model folder with config.json) is reported as method Full.
AdapterInfo inspectAdapter(const std::string& dir);

struct ParameterCount {
    std::int64_t trainable = 0;           // what peft's print_trainable_parameters() calls trainable
    std::int64_t total = 0;               // all parameters of the adapted model, as peft counts them
                                          // (modules_to_save copies and prompt encoders included)
    std::vector<std::string> targetPaths; // adapted module paths, in model order
    std::vector<std::string> warnings;    // e.g. a target list entry that matched nothing
};

// Counts what `spec` would train on the model in MODEL_DIR, from config.json and the
// safetensors headers only (no weights are read, nothing is allocated). Throws ps::Error for a
// spec that cannot apply (a target that matches nothing, ...).
ParameterCount countTrainableParameters(const std::string& modelDir, const AdapterSpec& spec);

// Checks ADAPTER_DIR against the base model in MODEL_DIR from headers only: every tensor must
// belong to an adapted module that exists, have the expected shape, and none may be missing.
// Throws ps::Error naming the tensor.
void validateAdapter(const std::string& adapterDir, const std::string& modelDir);

struct MergedExportOptions {
    // Shard the weights (model-0000i-of-0000n.safetensors + model.safetensors.index.json) when
    // their total size exceeds this many bytes; transformers' max_shard_size semantics.
    std::uint64_t maxShardBytes = 2'000'000'000ull;
    bool overwrite = false; // replace an existing, non-empty output folder
};

struct MergedExportReport {
    std::vector<std::string> files; // written, relative to the output folder, sorted
    std::uint64_t weightBytes = 0;
    std::int64_t numShards = 1;
};

// Loads BASE_DIR, applies ADAPTER_DIR, folds it into the weights and writes a standalone HF
// model folder OUT_DIR: config.json (torch_dtype updated; untied when the adapter trained the
// embedding or the head of a tied model), safetensors weights in `dtype` (F32, F16 or BF16),
// tokenizer files and generation_config.json copied (the adapter folder's tokenizer files win).
// The folder is written next to OUT_DIR and renamed into place at the end. Throws ps::Error for
// methods that cannot merge (prompt/prefix tuning), bad adapters, or an existing OUT_DIR
// without `overwrite`.
MergedExportReport exportMerged(const std::string& adapterDir, const std::string& baseDir, const std::string& outDir,
                                DType dtype, const MergedExportOptions& options = {});

} // namespace ps
