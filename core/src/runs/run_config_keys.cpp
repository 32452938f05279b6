// The table of config keys: names, types, sections, help, allowed values and the member each one
// binds to. Everything that handles keys by name (YAML, --set, validation, the CLI command line,
// the GUI's tooltips) goes through this table, so a new key is one line here.
#include "runs/run_config_keys.h"

#include "ps/error.h"
#include "runs/edit_distance.h"
#include "runs/value_text.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ps {
namespace runs {
namespace {

using T = ConfigValueType;

KeyBinding bind(const char* name, std::string RunConfig::*m, const char* section, const char* help,
                std::vector<std::string> choices = {}) {
    return {{name, T::String, section, help, std::move(choices)}, m};
}
KeyBinding bind(const char* name, std::int64_t RunConfig::*m, const char* section, const char* help) {
    return {{name, T::Int, section, help, {}}, m};
}
KeyBinding bind(const char* name, double RunConfig::*m, const char* section, const char* help) {
    return {{name, T::Float, section, help, {}}, m};
}
KeyBinding bind(const char* name, bool RunConfig::*m, const char* section, const char* help) {
    return {{name, T::Bool, section, help, {}}, m};
}

std::vector<KeyBinding> makeBindings() {
    using R = RunConfig;
    return {
        bind("model_name_or_path", &R::model_name_or_path, "model and data",
             "Hugging Face format model folder (config.json + safetensors)."),
        bind("dataset", &R::dataset, "model and data", "Training data file (.jsonl, .json, .parquet, .txt)."),
        // The names of ps/dataset.h's DataFormat (dataFormatName()).
        bind("dataset_format", &R::dataset_format, "model and data", "Layout of the records; auto = detected.",
             {"auto", "alpaca", "sharegpt", "messages", "prompt_completion", "text"}),
        bind("dataset_columns", &R::dataset_columns, "model and data",
             "Column mapping, field=column in the file (instruction=question,output=answer); empty = usual names."),
        bind("template", &R::template_, "model and data",
             "Prompt template; auto = the tokenizer's chat template, else a plain one."),
        bind("finetuning_type", &R::finetuning_type, "method", "PEFT method.",
             {"lora", "dora", "rslora", "ia3", "loha", "lokr", "prompt", "prefix", "full"}),
        bind("lora_rank", &R::lora_rank, "method", "Rank r of LoRA / DoRA / rsLoRA / LoHa / LoKr."),
        bind("lora_alpha", &R::lora_alpha, "method",
             "LoRA scaling numerator (alpha / r, or alpha / sqrt(r) for rsLoRA); 0 = 2 x lora_rank."),
        bind("lora_dropout", &R::lora_dropout, "method", "Dropout on the adapter input, in [0, 1)."),
        bind("lora_target", &R::lora_target, "method",
             "Modules to adapt: all (every linear layer), a comma list (q_proj,v_proj) or a regex."),
        bind("num_virtual_tokens", &R::num_virtual_tokens, "method", "Virtual tokens of prompt / prefix tuning."),
        bind("optimizer", &R::optimizer, "optimisation", "adamw (decoupled weight decay, as torch.optim.AdamW) or sgd.",
             {"adamw", "sgd"}),
        bind("learning_rate", &R::learning_rate, "optimisation", "Peak learning rate."),
        bind("adam_beta1", &R::adam_beta1, "optimisation", "AdamW beta1."),
        bind("adam_beta2", &R::adam_beta2, "optimisation", "AdamW beta2."),
        bind("adam_epsilon", &R::adam_epsilon, "optimisation", "AdamW epsilon (added outside the square root)."),
        bind("sgd_momentum", &R::sgd_momentum, "optimisation", "SGD momentum, in [0, 1); 0 = plain SGD."),
        bind("weight_decay", &R::weight_decay, "optimisation",
             "Weight decay; biases and norm weights are never decayed."),
        bind("max_grad_norm", &R::max_grad_norm, "optimisation",
             "Clip gradients to this global L2 norm; 0 = no clipping."),
        bind("num_train_epochs", &R::num_train_epochs, "optimisation",
             "Passes over the training data (may be fractional)."),
        bind("max_steps", &R::max_steps, "optimisation", "Optimizer steps to run; -1 = from num_train_epochs."),
        bind("per_device_train_batch_size", &R::per_device_train_batch_size, "optimisation",
             "Sequences per micro-batch."),
        bind("gradient_accumulation_steps", &R::gradient_accumulation_steps, "optimisation",
             "Micro-batches per optimizer step."),
        bind("lr_scheduler_type", &R::lr_scheduler_type, "optimisation",
             "Learning-rate schedule (transformers' formulas).",
             {"constant", "constant_with_warmup", "linear", "cosine"}),
        bind("warmup_ratio", &R::warmup_ratio, "optimisation", "Fraction of the steps spent warming up (rounded up)."),
        bind("warmup_steps", &R::warmup_steps, "optimisation", "Warm-up steps; > 0 overrides warmup_ratio."),
        bind("cutoff_len", &R::cutoff_len, "data", "Maximum tokens per example (per packed sequence with packing)."),
        bind("packing", &R::packing, "data",
             "Concatenate examples into full cutoff_len sequences (attention kept per example)."),
        bind("packing_shared_prefix", &R::packing_shared_prefix, "data",
             "With packing, examples in a row that start with the same prompt tokens (a template's system "
             "prompt) keep one copy of them: same loss, fewer tokens."),
        bind("train_on_prompt", &R::train_on_prompt, "data",
             "Also train on prompt tokens (default: only on responses)."),
        bind("val_size", &R::val_size, "data",
             "Validation split: a fraction in (0, 1) or a number of examples; 0 = none."),
        bind("eval_steps", &R::eval_steps, "evaluation and checkpoints",
             "Evaluate every N steps (with val_size > 0); 0 = same as logging_steps."),
        bind("save_steps", &R::save_steps, "evaluation and checkpoints",
             "Checkpoint every N steps; 0 = only at the end."),
        bind("logging_steps", &R::logging_steps, "evaluation and checkpoints", "Report metrics every N steps."),
        bind("early_stopping_patience", &R::early_stopping_patience, "evaluation and checkpoints",
             "Stop after N evaluations without improvement; 0 = never."),
        bind("early_stopping_min_delta", &R::early_stopping_min_delta, "evaluation and checkpoints",
             "Smallest eval-loss decrease that counts as an improvement."),
        bind("seed", &R::seed, "runtime", "Random seed: same config + seed = same loss curve on the same machine."),
        bind("bf16", &R::bf16, "runtime", "bfloat16 frozen weights (trainable weights stay float32)."),
        bind("fp16", &R::fp16, "runtime", "float16 with loss scaling (CUDA only)."),
        bind("gradient_checkpointing", &R::gradient_checkpointing, "runtime",
             "Recompute each decoder layer in backward to save memory."),
        bind("full_determinism", &R::full_determinism, "runtime",
             "Keep one BLAS configuration for the whole run: reruns and resumes with the same seed give "
             "the same losses bit for bit on the same machine. Off, the trainer picks the faster "
             "configuration as the machine's load changes, and such runs agree to float rounding."),
        bind("output_dir", &R::output_dir, "runtime",
             "Folder that holds the run folders; empty = the default runs folder."),
        bind("run_name", &R::run_name, "runtime", "Display name; empty = the run folder's name."),
    };
}

// Names other tools use for our keys: suggested, never accepted silently.
const std::vector<std::pair<std::string, std::string>>& aliases() {
    static const std::vector<std::pair<std::string, std::string>> table = {
        {"lr", "learning_rate"},
        {"r", "lora_rank"},
        {"lora_r", "lora_rank"},
        {"rank", "lora_rank"},
        {"target_modules", "lora_target"},
        {"lora_target_modules", "lora_target"},
        {"epochs", "num_train_epochs"},
        {"num_epochs", "num_train_epochs"},
        {"batch_size", "per_device_train_batch_size"},
        {"micro_batch_size", "per_device_train_batch_size"},
        {"max_seq_length", "cutoff_len"},
        {"max_length", "cutoff_len"},
        {"sequence_len", "cutoff_len"},
        {"model", "model_name_or_path"},
        {"base_model", "model_name_or_path"},
        {"data", "dataset"},
        {"data_path", "dataset"},
        {"train_file", "dataset"},
        {"scheduler", "lr_scheduler_type"},
        {"lr_scheduler", "lr_scheduler_type"},
        {"optim", "optimizer"},
        {"method", "finetuning_type"},
    };
    return table;
}

} // namespace

const std::vector<KeyBinding>& keyBindings() {
    static const std::vector<KeyBinding> bindings = makeBindings();
    return bindings;
}

const KeyBinding* findKeyBinding(const std::string& name) {
    for (const auto& b : keyBindings())
        if (b.key.name == name)
            return &b;
    return nullptr;
}

std::string unknownKeyMessage(const std::string& name) {
    const std::string suggestion = closestRunConfigKey(name);
    return "unknown key '" + name + "'" +
           (suggestion.empty() ? std::string() : " (did you mean '" + suggestion + "'?)");
}

} // namespace runs

const std::vector<RunConfigKey>& runConfigKeys() {
    static const std::vector<RunConfigKey> keys = [] {
        std::vector<RunConfigKey> out;
        for (const auto& b : runs::keyBindings())
            out.push_back(b.key);
        return out;
    }();
    return keys;
}

const RunConfigKey* findRunConfigKey(const std::string& name) {
    const auto* b = runs::findKeyBinding(name);
    return b ? &b->key : nullptr;
}

std::string closestRunConfigKey(const std::string& name) {
    for (const auto& [alias, key] : runs::aliases())
        if (alias == name)
            return key;
    std::vector<std::string> names;
    for (const auto& b : runs::keyBindings())
        names.push_back(b.key.name);
    return runs::closestName(name, names);
}

std::string runConfigValue(const RunConfig& config, const std::string& key) {
    const auto* b = runs::findKeyBinding(key);
    if (!b)
        throw Error(runs::unknownKeyMessage(key));
    return std::visit(
        [&config](auto member) -> std::string {
            const auto& v = config.*member;
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>)
                return v;
            else if constexpr (std::is_same_v<V, bool>)
                return v ? "true" : "false";
            else if constexpr (std::is_same_v<V, double>)
                return runs::formatDouble(v);
            else
                return std::to_string(v);
        },
        b->member);
}

void setRunConfigValue(RunConfig& config, const std::string& key, const std::string& text, const std::string& where) {
    const auto* b = runs::findKeyBinding(key);
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    if (!b)
        throw Error(prefix + runs::unknownKeyMessage(key));
    auto fail = [&](const std::string& expected) {
        throw Error(prefix + key + " must be " + expected + ", got '" + text + "'");
    };
    std::visit(
        [&](auto member) {
            auto& v = config.*member;
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
                // config.yaml is UTF-8 text: other bytes could not be written back (yaml-cpp's
                // emitter turns them into U+FFFD), so a saved config would differ from the one
                // used. Found by tests/fuzz/fuzz_run_config.
                if (!runs::isValidUtf8(text))
                    throw Error(prefix + key + " is not valid UTF-8 text");
                const auto& choices = b->key.choices;
                if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
                    std::string list;
                    for (const auto& c : choices)
                        list += (list.empty() ? "" : ", ") + c;
                    const std::string close = runs::closestName(text, choices);
                    throw Error(prefix + key + " must be one of " + list + ", got '" + text + "'" +
                                (close.empty() ? std::string() : " (did you mean '" + close + "'?)"));
                }
                v = text;
            } else if constexpr (std::is_same_v<V, bool>) {
                if (!runs::parseBool(text, &v))
                    fail("true or false");
            } else if constexpr (std::is_same_v<V, double>) {
                if (!runs::parseDouble(text, &v))
                    fail("a number");
            } else {
                if (!runs::parseInt64(text, &v))
                    fail("an integer");
            }
        },
        b->member);
}

std::int64_t RunConfig::effectiveWarmupSteps(std::int64_t totalSteps) const {
    if (warmup_steps > 0)
        return warmup_steps;
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(totalSteps) * warmup_ratio));
}

bool RunConfig::usesLora() const {
    return finetuning_type == "lora" || finetuning_type == "dora" || finetuning_type == "rslora";
}

bool operator==(const RunConfig& a, const RunConfig& b) {
    for (const auto& binding : runs::keyBindings()) {
        const bool same = std::visit(
            [&](auto member) {
                using V = std::decay_t<decltype(a.*member)>;
                if constexpr (std::is_same_v<V, double>) // bitwise, so NaN == NaN for round-trip checks
                    return std::memcmp(&(a.*member), &(b.*member), sizeof(double)) == 0;
                else
                    return a.*member == b.*member;
            },
            binding.member);
        if (!same)
            return false;
    }
    return true;
}

} // namespace ps
