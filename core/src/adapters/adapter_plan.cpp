#include "adapters/adapter_plan.h"

#include "adapters/ia3.h"
#include "adapters/loha.h"
#include "adapters/lokr.h"
#include "adapters/lora.h"
#include "adapters/target_match.h"
#include "ps/error.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

namespace ps::adapters {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string parentOf(const std::string& name) {
    const auto dot = name.rfind('.');
    return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

std::string lastComponent(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string joinList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

bool usesLayers(PeftMethod m) {
    return m == PeftMethod::Lora || m == PeftMethod::Ia3 || m == PeftMethod::Loha || m == PeftMethod::Lokr;
}

// Every module path of the model that is not a projection (ancestors of parameters), in order.
std::vector<std::string> otherModulePaths(const ModelSkeleton& m) {
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (const auto& p : m.params)
        for (std::string parent = parentOf(p.name); !parent.empty(); parent = parentOf(parent))
            if (!m.findLinear(parent) && seen.insert(parent).second)
                out.push_back(parent);
    return out;
}

void checkSpecValues(const AdapterSpec& s) {
    if (usesLayers(s.method) && s.method != PeftMethod::Ia3 && s.r < 1)
        throw Error("adapter: r must be >= 1, got " + std::to_string(s.r));
    for (const auto& [key, r] : s.rankPattern)
        if (r < 1)
            throw Error("adapter: rank_pattern '" + key + "' must be >= 1, got " + std::to_string(r));
    if (s.dropout < 0.0 || s.dropout >= 1.0)
        throw Error("adapter: lora_dropout must be in [0, 1), got " + std::to_string(s.dropout));
    if (s.rankDropout < 0.0 || s.rankDropout >= 1.0 || s.moduleDropout < 0.0 || s.moduleDropout >= 1.0)
        throw Error("adapter: rank_dropout and module_dropout must be in [0, 1)");
    if (s.bias != "none" && s.bias != "all" && s.bias != "lora_only")
        throw Error("adapter: bias must be none, all or lora_only, got '" + s.bias + "'");
    if (s.method != PeftMethod::Lora && s.bias != "none")
        throw Error(std::string("adapter: bias='") + s.bias + "' is a LoRA option (method " + peftMethodName(s.method) +
                    ")");
    if (s.method != PeftMethod::Lora && (s.useDora || s.useRslora))
        throw Error("adapter: use_dora / use_rslora are LoRA options");
    if ((s.method == PeftMethod::PromptTuning || s.method == PeftMethod::PrefixTuning) && s.numVirtualTokens < 1)
        throw Error("adapter: num_virtual_tokens must be >= 1, got " + std::to_string(s.numVirtualTokens));
    if (s.method == PeftMethod::PromptTuning && s.promptTuningInit != "RANDOM" && s.promptTuningInit != "TEXT")
        throw Error("adapter: prompt_tuning_init must be RANDOM or TEXT, got '" + s.promptTuningInit + "'");
    if (!usesLayers(s.method) && !s.modulesToSave.empty())
        throw Error(std::string("adapter: modules_to_save is not available for ") + peftMethodName(s.method));
    if (!s.targetRegex.empty() && s.targetRegex != "all-linear" && !s.layersToTransform.empty())
        throw Error("adapter: layers_to_transform needs target_modules as a list, not a regex");
}

void addTensor(AdapterPlan& plan, const std::string& key, std::vector<std::int64_t> shape, bool baseParameter = false) {
    PlannedTensor t;
    t.key = key;
    t.shape = std::move(shape);
    t.baseParameter = baseParameter;
    plan.tensors.push_back(std::move(t));
}

void planLayers(AdapterPlan& plan, const ModelSkeleton& m) {
    AdapterSpec& spec = plan.spec;
    const std::string method = peftMethodName(spec.method);
    TargetRule rule;
    rule.layersToTransform = spec.layersToTransform;
    rule.layersPattern = spec.layersPattern;
    const bool allLinear =
        spec.targetRegex == "all-linear" ||
        (spec.targetRegex.empty() && spec.targetModules.size() == 1 && spec.targetModules[0] == "all-linear");
    bool defaulted = false;
    if (allLinear) {
        // peft expands "all-linear" to the distinct names of every projection but the head.
        std::set<std::string> names;
        for (const auto& l : m.linears)
            if (!l.isHead)
                names.insert(lastComponent(l.path));
        spec.targetRegex.clear();
        spec.targetModules.assign(names.begin(), names.end());
    } else if (spec.targetRegex.empty() && spec.targetModules.empty()) {
        spec.targetModules = defaultTargetModules(m.modelType, spec.method);
        defaulted = true;
    }
    rule.list = spec.targetModules;
    rule.regex = spec.targetRegex;

    if (spec.method == PeftMethod::Ia3) {
        // peft fills the model_type's feed-forward modules when it fills the targets; with
        // explicit targets the feed-forward list is explicit too (empty: none).
        if (defaulted && spec.feedforwardModules.empty())
            spec.feedforwardModules = defaultFeedforwardModules(m.modelType);
        if (rule.regex.empty())
            for (const auto& ff : spec.feedforwardModules)
                if (std::find(rule.list.begin(), rule.list.end(), ff) == rule.list.end())
                    throw Error("IA3: feedforward_modules must be a subset of target_modules; '" + ff +
                                "' is not a target");
    }

    // Non-projections that a target selects are an error in peft too ("Target module ... is not supported").
    for (const auto& path : otherModulePaths(m)) {
        if (!targetMatches(rule, path))
            continue;
        if (path == m.embeddingPath)
            throw Error(
                method + ": target module '" + path +
                "' is the token embedding; adapters apply to projections (train it in full with modules_to_save)");
        throw Error(method + ": target module '" + path +
                    "' is not a projection (Linear / Conv1D); adapters apply to projections such as '" +
                    (m.linears.empty() ? std::string() : m.linears.front().path) + "'");
    }
    std::set<std::string> matchedEntries;
    for (const auto& l : m.linears) {
        if (!targetMatches(rule, l.path))
            continue;
        for (const auto& entry : rule.list)
            if (listEntryMatches(entry, l.path))
                matchedEntries.insert(entry);
        LayerPlan layer;
        layer.linear = l;
        layer.r = patternValue(spec.rankPattern, l.path).value_or(spec.r);
        layer.alpha = patternValue(spec.alphaPattern, l.path).value_or(spec.alpha);
        const double r = static_cast<double>(layer.r);
        layer.scaling = spec.useRslora ? layer.alpha / std::sqrt(r) : layer.alpha / r;
        if (spec.method == PeftMethod::Lokr && spec.lokrUnscaled)
            layer.scaling = 1.0;
        if (spec.method == PeftMethod::Ia3)
            for (const auto& ff : spec.feedforwardModules)
                layer.feedforward = layer.feedforward || endsWith(l.path, ff);
        if (spec.method == PeftMethod::Lokr)
            planLokrLayer(layer, spec);
        if (l.conv1d)
            plan.fanInFanOut = true;
        if (l.conv1d && (spec.method == PeftMethod::Loha || spec.method == PeftMethod::Lokr))
            plan.warnings.push_back(method + " on the GPT-2 Conv1D layer '" + l.path +
                                    "': peft cannot load this adapter (it has no " + method + " for Conv1D)");
        plan.layers.push_back(std::move(layer));
    }
    if (plan.layers.empty())
        throw Error(method + ": target modules " +
                    (rule.regex.empty() ? "[" + joinList(rule.list) + "]" : "'" + rule.regex + "'") +
                    " not found in the base model (model_type " + m.modelType + "; its projections are named like " +
                    (m.linears.empty() ? std::string("-") : m.linears.front().path) + ")");
    for (const auto& entry : rule.list)
        if (!matchedEntries.count(entry))
            plan.warnings.push_back(method + ": target module '" + entry + "' matched nothing in this model");

    for (const auto& layer : plan.layers) {
        std::vector<std::pair<std::string, std::vector<std::int64_t>>> tensors;
        switch (spec.method) {
        case PeftMethod::Lora:
            tensors = loraLayerTensors(layer, spec.useDora);
            break;
        case PeftMethod::Ia3:
            tensors = ia3LayerTensors(layer);
            break;
        case PeftMethod::Loha:
            tensors = lohaLayerTensors(layer);
            break;
        case PeftMethod::Lokr:
            tensors = lokrLayerTensors(layer);
            break;
        default:
            break;
        }
        for (auto& [suffix, shape] : tensors)
            addTensor(plan, kPeftKeyPrefix + layer.linear.path + "." + suffix, shape);
    }
}

void planModulesToSave(AdapterPlan& plan, const ModelSkeleton& m) {
    const std::string method = peftMethodName(plan.spec.method);
    const auto others = otherModulePaths(m);
    for (const auto& entry : plan.spec.modulesToSave) {
        bool matched = false;
        // peft's _set_trainable: every module whose path ends with the entry.
        for (const auto& l : m.linears) {
            if (!endsWith(l.path, entry))
                continue;
            matched = true;
            for (const auto& layer : plan.layers)
                if (layer.linear.path == l.path)
                    throw Error(method + ": module '" + l.path + "' is both a target and in modules_to_save");
            if (std::none_of(plan.savedLinears.begin(), plan.savedLinears.end(),
                             [&](const LinearDesc& s) { return s.path == l.path; }))
                plan.savedLinears.push_back(l);
        }
        for (const auto& path : others) {
            if (!endsWith(path, entry))
                continue;
            matched = true;
            if (path != m.embeddingPath)
                throw Error(method + ": modules_to_save '" + entry + "' selects '" + path +
                            "'; only projections (e.g. lm_head) and the token embedding (" + m.embeddingPath +
                            ") can be trained in full");
            plan.saveEmbedding = true;
        }
        if (!matched)
            plan.warnings.push_back(method + ": modules_to_save '" + entry + "' matched nothing in this model");
    }
    for (const auto& l : plan.savedLinears) {
        addTensor(plan, kPeftKeyPrefix + l.path + ".weight",
                  l.conv1d ? std::vector<std::int64_t>{l.in, l.out} : std::vector<std::int64_t>{l.out, l.in});
        if (l.hasBias)
            addTensor(plan, kPeftKeyPrefix + l.path + ".bias", {l.out});
    }
    if (plan.saveEmbedding)
        addTensor(plan, kPeftKeyPrefix + m.embeddingPath + ".weight", {m.vocabSize, m.hiddenSize});
}

void planBiases(AdapterPlan& plan, const ModelSkeleton& m) {
    const std::string& bias = plan.spec.bias;
    if (bias == "none")
        return;
    std::set<std::string> targets;
    for (const auto& layer : plan.layers)
        targets.insert(layer.linear.path);
    std::set<std::string> saved;
    for (const auto& l : plan.savedLinears)
        saved.insert(l.path);
    for (const auto& p : m.params) {
        const std::string module = parentOf(p.name);
        const bool isTarget = targets.count(module) != 0;
        if (bias == "all" ? p.name.find("bias") == std::string::npos || saved.count(module)
                          : !(isTarget && lastComponent(p.name) == "bias"))
            continue;
        // Biases of adapted layers live at <module>.base_layer.bias in peft's model.
        const std::string key = isTarget ? module + ".base_layer." + lastComponent(p.name) : p.name;
        addTensor(plan, kPeftKeyPrefix + key, p.shape, true);
        plan.trainableBiases.emplace_back(kPeftKeyPrefix + key, p.name);
    }
}

} // namespace

std::int64_t PlannedTensor::numel() const {
    std::int64_t n = 1;
    for (const auto d : shape)
        n *= d;
    return n;
}

const PlannedTensor* AdapterPlan::findTensor(const std::string& key) const {
    const auto it = std::lower_bound(tensors.begin(), tensors.end(), key,
                                     [](const PlannedTensor& t, const std::string& k) { return t.key < k; });
    return it != tensors.end() && it->key == key ? &*it : nullptr;
}

std::string shapeString(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

AdapterPlan planAdapter(const ModelSkeleton& m, const AdapterSpec& specIn) {
    AdapterPlan plan;
    plan.spec = specIn;
    checkSpecValues(plan.spec);
    const std::int64_t base = m.totalParameters();
    switch (plan.spec.method) {
    case PeftMethod::Full:
        for (const auto& p : m.params)
            addTensor(plan, p.name, p.shape, true);
        break;
    case PeftMethod::PromptTuning:
        plan.tokenDim = m.hiddenSize;
        plan.numAttentionHeads = m.numHeads;
        plan.numLayers = m.numLayers;
        addTensor(plan, "prompt_embeddings", {plan.spec.numVirtualTokens, m.hiddenSize});
        break;
    case PeftMethod::PrefixTuning:
        // Newer peft (#1901) sizes the prefixes for grouped-query attention: kv heads x head_dim.
        plan.tokenDim = m.numKvHeads * m.headDim;
        plan.numAttentionHeads = m.numKvHeads;
        plan.numLayers = m.numLayers;
        addTensor(plan, "prompt_embeddings", {plan.spec.numVirtualTokens, m.numLayers * 2 * plan.tokenDim});
        break;
    default:
        planLayers(plan, m);
        planModulesToSave(plan, m);
        planBiases(plan, m);
        break;
    }
    std::sort(plan.tensors.begin(), plan.tensors.end(),
              [](const PlannedTensor& a, const PlannedTensor& b) { return a.key < b.key; });
    for (std::size_t i = 1; i < plan.tensors.size(); ++i)
        if (plan.tensors[i].key == plan.tensors[i - 1].key)
            throw Error("adapter: two tensors would be saved as '" + plan.tensors[i].key + "'");
    plan.total = base;
    for (const auto& t : plan.tensors) {
        plan.trainable += t.numel();
        if (!t.baseParameter)
            plan.total += t.numel();
    }
    return plan;
}

void validateAgainstPlan(const AdapterPlan& plan, const ModelSkeleton& m,
                         const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& tensors,
                         const std::string& what) {
    std::vector<std::string> problems;
    std::set<std::string> present;
    const std::string method = peftMethodName(plan.spec.method);
    static const std::vector<std::string> suffixes{".lora_A.weight",     ".lora_B.weight",    ".lora_magnitude_vector",
                                                   ".lora_embedding_A",  ".lora_embedding_B", ".ia3_l",
                                                   ".hada_w1_a",         ".hada_w1_b",        ".hada_w2_a",
                                                   ".hada_w2_b",         ".lokr_w1",          ".lokr_w1_a",
                                                   ".lokr_w1_b",         ".lokr_w2",          ".lokr_w2_a",
                                                   ".lokr_w2_b",         ".lokr_t2",          ".base_layer.bias",
                                                   ".base_layer.weight", ".weight",           ".bias"};
    const std::string prefix = kPeftKeyPrefix;
    for (const auto& [name, shape] : tensors) {
        present.insert(name);
        if (const PlannedTensor* expected = plan.findTensor(name)) {
            if (expected->shape != shape)
                problems.push_back("tensor '" + name + "' has shape " + shapeString(shape) + ", expected " +
                                   shapeString(expected->shape));
            continue;
        }
        std::string module;
        if (name.compare(0, prefix.size(), prefix) == 0)
            for (const auto& suffix : suffixes)
                if (endsWith(name, suffix)) {
                    module = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
                    break;
                }
        if (!module.empty() && !m.hasModule(module))
            problems.push_back("tensor '" + name + "' is for module '" + module +
                               "', which does not exist in the base model (model_type " + m.modelType + ")");
        else if (!module.empty())
            problems.push_back("unknown tensor '" + name + "': module '" + module +
                               "' is not adapted that way by this " + method +
                               " config (check target_modules / modules_to_save / bias)");
        else
            problems.push_back("unknown tensor '" + name + "' (not part of a " + method + " adapter)");
    }
    for (const auto& t : plan.tensors)
        if (!present.count(t.key))
            problems.push_back("missing tensor '" + t.key + "' (expected shape " + shapeString(t.shape) + ")");
    if (problems.empty())
        return;
    std::string message = what + ": " + problems.front();
    if (problems.size() > 1) {
        message += " (and " + std::to_string(problems.size() - 1) + " more:";
        for (std::size_t i = 1; i < problems.size() && i < 4; ++i)
            message += " " + problems[i] + (i + 1 < problems.size() && i < 3 ? ";" : "");
        message += problems.size() > 4 ? " ...)" : ")";
    }
    throw Error(message);
}

} // namespace ps::adapters
