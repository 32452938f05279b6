// adapterModelCard: the README.md of an exported PEFT folder, in the Hugging Face model-card
// layout (YAML metadata block, then markdown). Paths are reduced to file names: a card is
// published, and the user's folder layout is nobody's business (nor portable).
#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/export.h"
#include "ps/run_config.h"
#include "ps/runs.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ps {
namespace {

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string grouped(std::int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

std::string duration(double seconds) {
    const auto s = static_cast<std::int64_t>(std::llround(seconds));
    char buf[64];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(s / 3600),
                      static_cast<long long>((s % 3600) / 60));
    else
        std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    return buf;
}

std::string methodTitle(const AdapterSpec& s) {
    switch (s.method) {
    case PeftMethod::Lora:
        return s.useDora ? "DoRA (weight-decomposed LoRA)" : s.useRslora ? "LoRA (rank-stabilised, rsLoRA)" : "LoRA";
    case PeftMethod::Ia3:
        return "IA3";
    case PeftMethod::Loha:
        return "LoHa";
    case PeftMethod::Lokr:
        return "LoKr";
    case PeftMethod::PromptTuning:
        return "Prompt tuning";
    case PeftMethod::PrefixTuning:
        return "Prefix tuning";
    case PeftMethod::Full:
        return "Full fine-tuning";
    }
    return peftMethodName(s.method);
}

std::string tag(const AdapterSpec& s) {
    std::string t = peftMethodName(s.method);
    for (auto& c : t)
        c = static_cast<char>(c == '_' ? '-' : std::tolower(static_cast<unsigned char>(c)));
    return s.method == PeftMethod::Lora && s.useDora ? "dora" : t;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

void row(std::ostringstream& out, const std::string& key, const std::string& value) {
    out << "| " << key << " | " << value << " |\n";
}

void adapterSection(std::ostringstream& out, const AdapterInfo& info) {
    const AdapterSpec& s = info.spec;
    out << "## Adapter\n\n| | |\n|---|---|\n";
    row(out, "Method", methodTitle(s) + " (`peft_type` " + info.peftType + ")");
    if (s.method == PeftMethod::Lora || s.method == PeftMethod::Loha || s.method == PeftMethod::Lokr) {
        const double scaling = s.useRslora ? s.alpha / std::sqrt(static_cast<double>(s.r)) : s.alpha / s.r;
        row(out, "Rank (r)", std::to_string(s.r));
        row(out, "Alpha", number(s.alpha) + " (scaling " + number(scaling) + ")");
    }
    if (s.method == PeftMethod::PromptTuning || s.method == PeftMethod::PrefixTuning)
        row(out, "Virtual tokens", std::to_string(s.numVirtualTokens));
    const std::string targets = !s.targetRegex.empty() ? "`" + s.targetRegex + "`" : joined(s.targetModules);
    if (!targets.empty())
        row(out, "Target modules", targets);
    if (!s.modulesToSave.empty())
        row(out, "Modules trained in full", joined(s.modulesToSave));
    if (s.method == PeftMethod::Lora && s.bias != "none")
        row(out, "Trained biases", s.bias);
    row(out, "Parameters in the adapter",
        grouped(info.numParameters) + " in " + std::to_string(info.tensors.size()) + " tensors (" +
            (info.tensors.empty() ? "-" : info.tensors[0].dtype) + ")");
    out << "\n";
}

void runSections(std::ostringstream& out, const std::string& runDir) {
    RunConfig c;
    try {
        c = parseRunConfigYaml(readFile(runConfigPath(runDir)), runConfigPath(runDir));
    } catch (const Error&) {
        return; // a card without the run's settings beats no export
    }
    out << "## Training data\n\n| | |\n|---|---|\n";
    row(out, "Dataset", "`" + fileName(c.dataset) + "` (format " + c.dataset_format + ")");
    row(out, "Chat template", c.template_);
    row(out, "Sequence length", std::to_string(c.cutoff_len) + " tokens" + (c.packing ? ", packed" : ""));
    row(out, "Loss on prompt tokens", c.train_on_prompt ? "yes" : "no (assistant / completion tokens only)");
    if (c.val_size > 0)
        row(out, "Held out for evaluation", number(c.val_size) + (c.val_size < 1 ? " of the examples" : " examples"));
    out << "\n## Hyperparameters\n\n| | |\n|---|---|\n";
    row(out, "Optimizer",
        c.optimizer + ", learning rate " + number(c.learning_rate) + ", weight decay " + number(c.weight_decay));
    row(out, "Schedule",
        c.lr_scheduler_type + ", warmup " +
            (c.warmup_steps > 0 ? std::to_string(c.warmup_steps) + " steps"
                                : number(c.warmup_ratio) + " of the steps"));
    row(out, "Batch",
        std::to_string(c.per_device_train_batch_size) + " x " + std::to_string(c.gradient_accumulation_steps) +
            " accumulation steps");
    row(out, "Length",
        c.max_steps > 0 ? std::to_string(c.max_steps) + " steps" : number(c.num_train_epochs) + " epochs");
    row(out, "Max gradient norm", number(c.max_grad_norm));
    row(out, "Precision", c.bf16 ? "bf16" : c.fp16 ? "fp16" : "fp32");
    row(out, "Seed", std::to_string(c.seed));
    out << "\n";

    RunSummary s;
    try {
        s = readRunSummary(runDir);
    } catch (const Error&) {
        return;
    }
    out << "## Results\n\n| | |\n|---|---|\n";
    row(out, "Status", runStatusName(s.status));
    row(out, "Steps",
        std::to_string(s.steps) + " of " + std::to_string(s.totalSteps) + " (" + number(s.epochs) + " epochs)");
    if (s.finalLoss)
        row(out, "Final training loss", number(*s.finalLoss));
    if (s.finalEvalLoss)
        row(out, "Final evaluation loss", number(*s.finalEvalLoss));
    if (s.bestEvalLoss)
        row(out, "Best evaluation loss", number(*s.bestEvalLoss) + " (step " + std::to_string(s.bestStep) + ")");
    row(out, "Trained tokens", grouped(static_cast<std::int64_t>(s.tokens)));
    row(out, "Throughput", number(s.tokensPerSec) + " tokens/s");
    row(out, "Training time", duration(s.durationSec));
    if (!s.finishedAt.empty())
        row(out, "Finished", s.finishedAt);
    out << "\n";
}

} // namespace

std::string adapterModelCard(const ExportSource& source, const std::string& baseModelName) {
    const AdapterInfo info = inspectAdapter(source.adapterDir);
    const std::string title = source.name.empty() ? "Adapter" : source.name;
    std::ostringstream out;
    // JSON strings are valid YAML scalars: quoting this way survives any name.
    out << "---\nbase_model: " << Json(baseModelName).dump() << "\nlibrary_name: peft\ntags:\n- peft-studio\n- "
        << tag(info.spec) << "\n---\n\n";
    out << "# " << title << "\n\n"
        << "A " << methodTitle(info.spec) << " adapter for `" << baseModelName << "`, "
        << (source.runDir.empty() ? "exported" : "trained") << " with PEFT Studio in the Hugging Face PEFT format.\n\n";
    adapterSection(out, info);
    if (!source.runDir.empty())
        runSections(out, source.runDir);
    out << "## Usage\n\n```python\nfrom peft import PeftModel\nfrom transformers import AutoModelForCausalLM\n\n"
        << "base = AutoModelForCausalLM.from_pretrained(" << Json(baseModelName).dump() << ")\n"
        << "model = PeftModel.from_pretrained(base, \"path/to/this/folder\")\n```\n\n"
        << "`base_model_name_or_path` in adapter_config.json is " << Json(baseModelName).dump()
        << "; if the base model lives elsewhere, pass it to `from_pretrained` as above.\n";
    return out.str();
}

} // namespace ps
