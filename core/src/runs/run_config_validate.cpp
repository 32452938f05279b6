// Range and consistency checks of a RunConfig. Comparisons are written as !(x > 0) so that NaN
// fails them too.
#include "ps/error.h"
#include "ps/run_config.h"
#include "runs/run_config_keys.h"
#include "runs/value_text.h"

#include <algorithm>
#include <cmath>

namespace ps {
namespace {

class Checker final {
public:
    explicit Checker(const RunConfig& c) : c_(c) {}
    std::vector<ConfigProblem> problems;

    void add(const std::string& key, const std::string& message) { problems.push_back({key, message}); }

    void positive(const std::string& key, double v) {
        if (!(v > 0) || !std::isfinite(v))
            add(key, key + " must be > 0, got " + runs::formatDouble(v));
    }
    void nonNegative(const std::string& key, double v) {
        if (!(v >= 0) || !std::isfinite(v))
            add(key, key + " must be >= 0, got " + runs::formatDouble(v));
    }
    void unitOpen(const std::string& key, double v) { // [0, 1)
        if (!(v >= 0 && v < 1))
            add(key, key + " must be in [0, 1), got " + runs::formatDouble(v));
    }
    void atLeast(const std::string& key, std::int64_t v, std::int64_t min) {
        if (v < min)
            add(key, key + " must be >= " + std::to_string(min) + ", got " + std::to_string(v));
    }
    void choice(const std::string& key) {
        const auto* k = findRunConfigKey(key);
        const std::string v = runConfigValue(c_, key);
        if (k->choices.empty() || std::find(k->choices.begin(), k->choices.end(), v) != k->choices.end())
            return;
        std::string list;
        for (const auto& c : k->choices)
            list += (list.empty() ? "" : ", ") + c;
        add(key, key + " must be one of " + list + ", got '" + v + "'");
    }
    void required(const std::string& key) {
        if (runs::trim(runConfigValue(c_, key)).empty())
            add(key, key + " is required (" + findRunConfigKey(key)->help + ")");
    }

private:
    const RunConfig& c_;
};

} // namespace

std::vector<ConfigProblem> runConfigProblems(const RunConfig& c, bool requireInputs) {
    Checker k(c);
    if (requireInputs) {
        k.required("model_name_or_path");
        k.required("dataset");
    }
    if (runs::trim(c.template_).empty())
        k.add("template", "template must not be empty (use auto for the tokenizer's chat template)");
    k.choice("dataset_format");
    k.choice("finetuning_type");
    k.choice("optimizer");
    k.choice("lr_scheduler_type");

    k.atLeast("lora_rank", c.lora_rank, 1);
    if (!(c.lora_alpha >= 0) || !std::isfinite(c.lora_alpha))
        k.add("lora_alpha", "lora_alpha must be >= 0 (0 = 2 x lora_rank), got " + runs::formatDouble(c.lora_alpha));
    k.unitOpen("lora_dropout", c.lora_dropout);
    if (runs::trim(c.lora_target).empty())
        k.add("lora_target", "lora_target must not be empty (use all for every linear layer)");
    k.atLeast("num_virtual_tokens", c.num_virtual_tokens, 1);

    k.positive("learning_rate", c.learning_rate);
    k.unitOpen("adam_beta1", c.adam_beta1);
    k.unitOpen("adam_beta2", c.adam_beta2);
    k.nonNegative("adam_epsilon", c.adam_epsilon);
    k.unitOpen("sgd_momentum", c.sgd_momentum);
    k.nonNegative("weight_decay", c.weight_decay);
    k.nonNegative("max_grad_norm", c.max_grad_norm);
    if (c.max_steps != -1 && c.max_steps < 1)
        k.add("max_steps", "max_steps must be -1 (use num_train_epochs) or >= 1, got " + std::to_string(c.max_steps));
    if (c.max_steps == -1)
        k.positive("num_train_epochs", c.num_train_epochs);
    else if (!(c.num_train_epochs >= 0) || !std::isfinite(c.num_train_epochs))
        k.nonNegative("num_train_epochs", c.num_train_epochs);
    k.atLeast("per_device_train_batch_size", c.per_device_train_batch_size, 1);
    k.atLeast("gradient_accumulation_steps", c.gradient_accumulation_steps, 1);
    if (!(c.warmup_ratio >= 0 && c.warmup_ratio <= 1))
        k.add("warmup_ratio", "warmup_ratio must be in [0, 1], got " + runs::formatDouble(c.warmup_ratio));
    k.atLeast("warmup_steps", c.warmup_steps, 0);

    k.atLeast("cutoff_len", c.cutoff_len, 2);
    if (!(c.val_size >= 0) || !std::isfinite(c.val_size))
        k.add("val_size", "val_size must be >= 0, got " + runs::formatDouble(c.val_size));
    else if (c.val_size >= 1 && c.val_size != std::floor(c.val_size))
        k.add("val_size", "val_size must be a fraction below 1 or a whole number of examples, got " +
                              runs::formatDouble(c.val_size));

    k.atLeast("eval_steps", c.eval_steps, 0);
    k.atLeast("save_steps", c.save_steps, 0);
    k.atLeast("logging_steps", c.logging_steps, 1);
    k.atLeast("early_stopping_patience", c.early_stopping_patience, 0);
    k.nonNegative("early_stopping_min_delta", c.early_stopping_min_delta);
    if (c.early_stopping_patience > 0 && c.val_size == 0)
        k.add("early_stopping_patience", "early_stopping_patience needs a validation split (set val_size > 0)");

    k.atLeast("seed", c.seed, 0);
    if (c.bf16 && c.fp16)
        k.add("fp16", "bf16 and fp16 cannot both be true");
    return k.problems;
}

void validateRunConfig(const RunConfig& config, const std::string& what, bool requireInputs) {
    const auto problems = runConfigProblems(config, requireInputs);
    if (problems.empty())
        return;
    std::string more;
    if (problems.size() > 1)
        more =
            " (and " + std::to_string(problems.size() - 1) + " more problem" + (problems.size() > 2 ? "s" : "") + ")";
    throw Error((what.empty() ? std::string() : what + ": ") + problems.front().message + more);
}

} // namespace ps
