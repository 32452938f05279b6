#pragma once
// Which trainable parameters get weight decay — transformers' Trainer.get_decay_parameter_names
// (internal header: includes torch).
//
// A parameter is NOT decayed when
//   - it is owned (at any depth) by a normalisation module: a module whose class name contains
//     "LayerNorm" or "RMSNorm" (case-insensitive; transformers: nn.LayerNorm and the RMSNorm
//     classes it registers in ALL_LAYERNORM_LAYERS), or
//   - its full name, lower-cased, contains "bias", "layernorm" or "rmsnorm", or has a component
//     "norm" or ending in "_norm" (transformers >= 4.46 forbidden_name_patterns).
// Everything else that requires grad is decayed.
#include <torch/torch.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ps::train {

using NamedParams = std::vector<std::pair<std::string, torch::Tensor>>;

struct ParamGroup {
    std::string name; // "decay" or "no_decay"
    NamedParams params;
    double weightDecay = 0.0;
};

// Full names of the parameters of `model` that are decayed (whether trainable or not).
std::set<std::string> decayParameterNames(const torch::nn::Module& model);
// The name-only part of the rule (for parameters that do not live in a module tree).
bool isNoDecayName(const std::string& fullName);
// The module-type part: LayerNorm / RMSNorm classes.
bool isNormModule(const torch::nn::Module& module);

// The parameters of `model` that require grad, as transformers' create_optimizer groups them:
// {"decay", weightDecay} and {"no_decay", 0}; empty groups are left out.
std::vector<ParamGroup> makeParamGroups(const torch::nn::Module& model, double weightDecay);
// The same for an explicit list; `decayNames` from decayParameterNames().
std::vector<ParamGroup> makeParamGroups(const NamedParams& trainable, const std::set<std::string>& decayNames,
                                        double weightDecay);

} // namespace ps::train
