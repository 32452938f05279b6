#include "train/param_groups.h"

#include <algorithm>
#include <cctype>

namespace ps::train {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// transformers' get_parameter_names(model, [LayerNorm...], forbidden_name_patterns).
void collect(const torch::nn::Module& module, const std::string& prefix, std::vector<std::string>* out) {
    for (const auto& child : module.named_children()) {
        if (isNormModule(*child.value()))
            continue;
        collect(*child.value(), prefix + child.key() + ".", out);
    }
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        out->push_back(prefix + p.key());
}

} // namespace

bool isNormModule(const torch::nn::Module& module) {
    const std::string name = lower(module.name());
    return name.find("layernorm") != std::string::npos || name.find("rmsnorm") != std::string::npos;
}

bool isNoDecayName(const std::string& fullName) {
    const std::string n = lower(fullName);
    if (n.find("bias") != std::string::npos || n.find("layernorm") != std::string::npos ||
        n.find("rmsnorm") != std::string::npos)
        return true;
    std::size_t start = 0;
    while (start <= n.size()) {
        const std::size_t end = std::min(n.find('.', start), n.size());
        const std::string part = n.substr(start, end - start);
        if (part == "norm" || (part.size() >= 5 && part.compare(part.size() - 5, 5, "_norm") == 0))
            return true;
        start = end + 1;
    }
    return false;
}

std::set<std::string> decayParameterNames(const torch::nn::Module& model) {
    std::vector<std::string> names;
    collect(model, "", &names);
    std::set<std::string> out;
    for (auto& n : names)
        if (!isNoDecayName(n))
            out.insert(std::move(n));
    return out;
}

std::vector<ParamGroup> makeParamGroups(const NamedParams& trainable, const std::set<std::string>& decayNames,
                                        double weightDecay) {
    ParamGroup decay{"decay", {}, weightDecay};
    ParamGroup noDecay{"no_decay", {}, 0.0};
    for (const auto& [name, p] : trainable) {
        if (!p.requires_grad())
            continue;
        (decayNames.count(name) ? decay : noDecay).params.emplace_back(name, p);
    }
    std::vector<ParamGroup> groups;
    if (!decay.params.empty())
        groups.push_back(std::move(decay));
    if (!noDecay.params.empty())
        groups.push_back(std::move(noDecay));
    return groups;
}

std::vector<ParamGroup> makeParamGroups(const torch::nn::Module& model, double weightDecay) {
    NamedParams all;
    for (const auto& p : model.named_parameters(/*recurse=*/true))
        all.emplace_back(p.key(), p.value());
    return makeParamGroups(all, decayParameterNames(model), weightDecay);
}

} // namespace ps::train
