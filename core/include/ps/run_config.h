#pragma once
// RunConfig — everything that defines a training run, as one plain struct (torch-free).
//
// Key names are the ones users know from LLaMA-Factory and transformers' TrainingArguments, so a
// LLaMA-Factory style YAML file mostly works unchanged. The same names are used in config.yaml,
// in `peft-studio-cli train --set key=value`, in the run folder's config.yaml (fully resolved:
// every key written) and in the GUI. Defaults follow LLaMA-Factory's example configs.
//
// A few keys use a sentinel for "automatic", as transformers does, and keep it in the saved file
// so that a resumed run resolves it the same way; the effective*() helpers resolve them.
//
// Errors are ps::Error with a message naming the source and the key:
//   "config.yaml line 4: unknown key 'learning_rat' (did you mean 'learning_rate'?)"
//   "config.yaml line 7: lora_rank must be an integer, got '8.5'"
//   "--set learning_rate=-1: learning_rate must be > 0, got -1"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ps {

struct RunConfig {
    // --- model and data
    std::string model_name_or_path;      // HF-format model folder (required)
    std::string dataset;                 // dataset file path (required)
    std::string dataset_format = "auto"; // auto|alpaca|sharegpt|messages|prompt_completion|text
    std::string dataset_columns;         // column mapping "instruction=question,output=answer"; empty = usual names
    std::string template_ = "auto";      // key "template"; auto = the tokenizer's chat template, else plain

    // --- method
    std::string finetuning_type = "lora"; // lora|dora|rslora|ia3|loha|lokr|prompt|prefix|full
    std::int64_t lora_rank = 8;
    double lora_alpha = 0.0; // 0 = 2 x lora_rank (LLaMA-Factory's default)
    double lora_dropout = 0.0;
    std::string lora_target = "all";      // "all" linear layers, a comma list of module names, or a regex
    std::int64_t num_virtual_tokens = 20; // prompt / prefix tuning

    // --- optimisation
    std::string optimizer = "adamw"; // adamw|sgd
    double learning_rate = 1.0e-4;
    double adam_beta1 = 0.9;
    double adam_beta2 = 0.999;
    double adam_epsilon = 1.0e-8;
    double sgd_momentum = 0.0;
    double weight_decay = 0.0;  // decoupled for adamw (biases and norms excluded), L2 for sgd
    double max_grad_norm = 1.0; // 0 = no clipping (the norm is still reported)
    double num_train_epochs = 3.0;
    std::int64_t max_steps = -1; // > 0 overrides num_train_epochs (optimizer steps)
    std::int64_t per_device_train_batch_size = 1;
    std::int64_t gradient_accumulation_steps = 8;
    std::string lr_scheduler_type = "cosine"; // constant|constant_with_warmup|linear|cosine
    double warmup_ratio = 0.1;
    std::int64_t warmup_steps = 0; // > 0 overrides warmup_ratio (as transformers)

    // --- data shaping
    std::int64_t cutoff_len = 1024; // tokens per example (or per packed sequence)
    bool packing = false;
    bool packing_shared_prefix = true; // with packing: examples of a row share their common untrained prefix
    bool train_on_prompt = false; // false: prompt tokens are masked out of the loss
    double val_size = 0.0;        // fraction (< 1) or number of examples (>= 1) held out

    // --- evaluation, checkpoints, logging
    std::int64_t eval_steps = 0;   // 0 = same as logging_steps (as transformers); only with val_size > 0
    std::int64_t save_steps = 500; // checkpoint every N optimizer steps (and at the end)
    std::int64_t logging_steps = 10;
    std::int64_t early_stopping_patience = 0; // evaluations without improvement; 0 = off
    double early_stopping_min_delta = 0.0;    // smallest eval-loss decrease that counts

    // --- runtime
    std::int64_t seed = 42;
    bool bf16 = false;
    bool fp16 = false;
    bool gradient_checkpointing = false;
    // One BLAS configuration for the whole run instead of the trainer's tuning by speed: reruns and
    // resumes with the same seed give the same bits on the same machine (docs/TRAINING.md).
    bool full_determinism = false;
    std::string output_dir; // runs root; empty = defaultRunsRoot() (ps/runs.h)
    std::string run_name;   // display name; empty = the run folder's name

    // --- resolved values
    double effectiveLoraAlpha() const { return lora_alpha > 0 ? lora_alpha : 2.0 * static_cast<double>(lora_rank); }
    std::int64_t effectiveEvalSteps() const { return eval_steps > 0 ? eval_steps : logging_steps; }
    // transformers' get_warmup_steps: warmup_steps if > 0, else ceil(total * warmup_ratio).
    std::int64_t effectiveWarmupSteps(std::int64_t totalSteps) const;
    bool usesLora() const; // lora, dora, rslora
};

bool operator==(const RunConfig& a, const RunConfig& b);
inline bool operator!=(const RunConfig& a, const RunConfig& b) {
    return !(a == b);
}

// --- key table (drives YAML, --set, validation, the CLI command line and GUI tooltips)

enum class ConfigValueType { String, Int, Float, Bool };

struct RunConfigKey {
    std::string name; // "learning_rate"
    ConfigValueType type = ConfigValueType::String;
    std::string section;              // "model", "method", "optimisation", ...
    std::string help;                 // one sentence, with the default's meaning
    std::vector<std::string> choices; // allowed values of a string key (empty = free text)
};

// Every key, in file order.
const std::vector<RunConfigKey>& runConfigKeys();
const RunConfigKey* findRunConfigKey(const std::string& name);
// The known key closest to `name` (Damerau-Levenshtein), or "" when nothing is close.
std::string closestRunConfigKey(const std::string& name);

// The value of `key` as text ("1.0e-04", "true", "lora"); throws for an unknown key.
std::string runConfigValue(const RunConfig& config, const std::string& key);
// Parses `text` into `key`. `where` prefixes errors ("config.yaml line 4", "--set lr=1").
void setRunConfigValue(RunConfig& config, const std::string& key, const std::string& text, const std::string& where);

// --- validation

struct ConfigProblem {
    std::string key;     // the key at fault ("" for whole-config problems)
    std::string message; // "learning_rate must be > 0, got -1"
};

// Range and consistency checks (lr > 0, lora_rank >= 1, not both bf16 and fp16, ...).
// `requireInputs`: model_name_or_path and dataset must be set (a run needs them; a GUI form
// being filled in does not).
std::vector<ConfigProblem> runConfigProblems(const RunConfig& config, bool requireInputs = true);
// Throws ps::Error "<what>: <first problem>" when there is any.
void validateRunConfig(const RunConfig& config, const std::string& what = "config", bool requireInputs = true);

// --- YAML

// Parses YAML text (a flat mapping of known keys). Keys not present keep their defaults; a
// null value (`key:` or `key: ~`) means the default. Types are checked, ranges are not.
// Errors name `what` (the file) and the line.
RunConfig parseRunConfigYaml(const std::string& yaml, const std::string& what,
                             std::map<std::string, int>* keyLines = nullptr);
// Every key, grouped by section with comments; parseRunConfigYaml(toYaml(c)) == c exactly.
std::string runConfigToYaml(const RunConfig& config);

// Loads CONFIG.yaml (may be empty: all defaults), applies `overrides` ("key=value", as given to
// --set) and validates; problems name the file line or the --set argument they come from.
RunConfig loadRunConfig(const std::string& path, const std::vector<std::string>& overrides = {},
                        bool requireInputs = true);
// Applies one "key=value" override (the --set syntax) with errors naming it.
void applyRunConfigOverride(RunConfig& config, const std::string& assignment);
// Writes runConfigToYaml() atomically.
void saveRunConfig(const RunConfig& config, const std::string& path);

// --- "Copy as CLI command"

// A shell command that trains with `config`: `peft-studio-cli train --set key=value ...` with
// every key that differs from the defaults (all keys with `allKeys`), values quoted for a POSIX
// shell (or cmd.exe with `windowsQuoting`).
std::string runConfigCommandLine(const RunConfig& config, bool allKeys = false, bool windowsQuoting = false,
                                 const std::string& program = "peft-studio-cli");

} // namespace ps
