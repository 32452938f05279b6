#include "ps/run_method.h"

#include "ps/error.h"

#include <sstream>

namespace ps {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

} // namespace

AdapterSpec adapterSpecForRun(const RunConfig& config) {
    AdapterSpec spec;
    const std::string& t = config.finetuning_type;
    if (t == "lora" || t == "dora" || t == "rslora") {
        spec.method = PeftMethod::Lora;
        spec.useDora = t == "dora";
        spec.useRslora = t == "rslora";
    } else if (t == "ia3") {
        spec.method = PeftMethod::Ia3;
    } else if (t == "loha") {
        spec.method = PeftMethod::Loha;
    } else if (t == "lokr") {
        spec.method = PeftMethod::Lokr;
    } else if (t == "prompt") {
        spec.method = PeftMethod::PromptTuning;
    } else if (t == "prefix") {
        spec.method = PeftMethod::PrefixTuning;
    } else if (t == "full") {
        spec.method = PeftMethod::Full;
    } else {
        throw Error("finetuning_type '" + t + "' is not one of lora, dora, rslora, ia3, loha, lokr, prompt, prefix, full");
    }
    spec.r = config.lora_rank;
    spec.alpha = config.effectiveLoraAlpha();
    spec.dropout = config.lora_dropout;
    spec.numVirtualTokens = config.num_virtual_tokens;
    spec.baseModelNameOrPath = config.model_name_or_path;
    const std::string target = trim(config.lora_target);
    if (target.empty() || target == "all" || target == "all-linear") {
        if (spec.method != PeftMethod::Ia3)
            spec.targetModules = {"all-linear"};
    } else if (target.find_first_of("*()[]^$|\\+?") != std::string::npos) {
        spec.targetRegex = target;
    } else {
        std::stringstream ss(target);
        std::string item;
        while (std::getline(ss, item, ','))
            if (!trim(item).empty())
                spec.targetModules.push_back(trim(item));
    }
    return spec;
}

} // namespace ps
