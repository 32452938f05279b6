#include "adapters/adapter_config.h"

#include "ps/error.h"

#include <cmath>
#include <filesystem>

namespace ps::adapters {
namespace {

Json number(double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15)
        return Json(static_cast<std::int64_t>(v));
    return Json(v);
}

Json stringList(const std::vector<std::string>& items) {
    Json out = Json::array();
    for (const auto& s : items)
        out.push_back(s);
    return out;
}

std::vector<std::string> readStringList(const Json& obj, const std::string& key, const std::string& what) {
    std::vector<std::string> out;
    if (!obj.contains(key) || obj[key].is_null())
        return out;
    const Json& v = obj[key];
    if (!v.is_array())
        throw Error(what + ": key '" + key + "' must be a list of strings, found " + jsonTypeName(v));
    for (const auto& item : v) {
        if (!item.is_string())
            throw Error(what + ": key '" + key + "' must be a list of strings, found an item of type " +
                        jsonTypeName(item));
        out.push_back(item.get<std::string>());
    }
    return out;
}

void rejectIfSet(const Json& obj, const std::string& key, const std::string& what, const std::string& feature) {
    if (!obj.contains(key))
        return;
    const Json& v = obj[key];
    const bool set = !(v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_array() && v.empty()) ||
                       (v.is_object() && v.empty()));
    if (set)
        throw Error(what + ": '" + key + "' (" + feature + ") is not supported");
}

} // namespace

std::string portableBaseModelName(const std::string& nameOrPath) {
    namespace fs = std::filesystem;
    if (nameOrPath.empty())
        return nameOrPath;
    const fs::path p(nameOrPath);
    const bool looksLikePath =
        p.is_absolute() || nameOrPath.rfind("./", 0) == 0 || nameOrPath.rfind("../", 0) == 0 || fs::exists(p);
    if (!looksLikePath)
        return nameOrPath; // a hub id such as "HuggingFaceTB/SmolLM2-135M"
    fs::path norm = p.lexically_normal();
    if (norm.filename().empty())
        norm = norm.parent_path();
    // <cache>/models--org--name/snapshots/<revision>
    const fs::path parent = norm.parent_path();
    if (parent.filename() == "snapshots") {
        std::string repo = parent.parent_path().filename().string();
        if (repo.rfind("models--", 0) == 0) {
            repo = repo.substr(8);
            const auto sep = repo.find("--");
            if (sep != std::string::npos)
                repo = repo.substr(0, sep) + "/" + repo.substr(sep + 2);
            return repo;
        }
    }
    return norm.filename().string();
}

std::string adapterConfigJson(const AdapterPlan& plan, const std::string& baseModelName) {
    const AdapterSpec& s = plan.spec;
    Json j = Json::object();
    const std::string base = portableBaseModelName(baseModelName.empty() ? s.baseModelNameOrPath : baseModelName);
    j["base_model_name_or_path"] = base.empty() ? Json(nullptr) : Json(base);
    j["inference_mode"] = true;
    j["peft_type"] = peftMethodName(s.method);
    j["revision"] = nullptr;
    j["task_type"] = "CAUSAL_LM";
    const bool layered = s.method == PeftMethod::Lora || s.method == PeftMethod::Ia3 || s.method == PeftMethod::Loha ||
                         s.method == PeftMethod::Lokr;
    if (layered) {
        j["target_modules"] = s.targetRegex.empty() ? stringList(s.targetModules) : Json(s.targetRegex);
        if (!s.modulesToSave.empty())
            j["modules_to_save"] = stringList(s.modulesToSave);
        if (!s.layersToTransform.empty())
            j["layers_to_transform"] = s.layersToTransform;
        if (!s.layersPattern.empty())
            j["layers_pattern"] = s.layersPattern;
    }
    if (s.method == PeftMethod::Lora || s.method == PeftMethod::Loha || s.method == PeftMethod::Lokr) {
        j["r"] = s.r;
        if (!s.rankPattern.empty())
            j["rank_pattern"] = Json(s.rankPattern);
        if (!s.alphaPattern.empty()) {
            Json a = Json::object();
            for (const auto& [k, v] : s.alphaPattern)
                a[k] = number(v);
            j["alpha_pattern"] = a;
        }
    }
    switch (s.method) {
    case PeftMethod::Lora:
        j["lora_alpha"] = number(s.alpha);
        j["lora_dropout"] = s.dropout;
        j["bias"] = s.bias;
        j["fan_in_fan_out"] = plan.fanInFanOut;
        // Always true: other values make peft re-run a special init when it loads the adapter.
        j["init_lora_weights"] = true;
        if (s.useRslora)
            j["use_rslora"] = true;
        if (s.useDora)
            j["use_dora"] = true;
        break;
    case PeftMethod::Ia3:
        j["feedforward_modules"] = stringList(s.feedforwardModules);
        j["fan_in_fan_out"] = plan.fanInFanOut;
        j["init_ia3_weights"] = true;
        break;
    case PeftMethod::Loha:
    case PeftMethod::Lokr:
        j["alpha"] = number(s.alpha);
        j["rank_dropout"] = s.rankDropout;
        j["module_dropout"] = s.moduleDropout;
        j["init_weights"] = true;
        if (s.method == PeftMethod::Lokr) {
            j["decompose_both"] = s.decomposeBoth;
            j["decompose_factor"] = s.decomposeFactor;
            // The key exists since peft 0.14, which applies alpha / r: writing it makes older
            // peft refuse the config instead of silently computing an unscaled delta.
            bool scaled = false;
            for (const auto& layer : plan.layers)
                scaled = scaled || layer.scaling != 1.0;
            if (!s.lokrUnscaled && (scaled || s.rankDropout > 0.0))
                j["rank_dropout_scale"] = s.rankDropoutScale;
        }
        break;
    case PeftMethod::PromptTuning:
    case PeftMethod::PrefixTuning:
        j["num_virtual_tokens"] = s.numVirtualTokens;
        j["num_transformer_submodules"] = 1;
        j["token_dim"] = plan.tokenDim;
        j["num_attention_heads"] = plan.numAttentionHeads;
        j["num_layers"] = plan.numLayers;
        if (s.method == PeftMethod::PromptTuning) {
            j["prompt_tuning_init"] = s.promptTuningInit;
            if (s.promptTuningInit == "TEXT") {
                j["prompt_tuning_init_text"] = s.promptTuningInitText;
                // peft requires a tokenizer for TEXT configs even when it only loads them.
                j["tokenizer_name_or_path"] = j["base_model_name_or_path"];
            }
        } else {
            j["encoder_hidden_size"] = plan.tokenDim;
            j["prefix_projection"] = false;
        }
        break;
    case PeftMethod::Full:
        throw Error("full fine-tuning has no adapter_config.json");
    }
    return j.dump(2, ' ', true);
}

AdapterSpec adapterSpecFromJson(const Json& c, const std::string& what) {
    if (!c.is_object())
        throw Error(what + ": expected a JSON object, found " + jsonTypeName(c));
    AdapterSpec s;
    const std::string peftType = jsonRequireString(c, "peft_type", what);
    try {
        s.method = parsePeftMethod(peftType);
    } catch (const Error& e) {
        throw Error(what + ": " + e.what());
    }
    if (s.method == PeftMethod::Full)
        throw Error(what + ": peft_type FULL is not a peft adapter type");
    if (c.contains("task_type") && !c["task_type"].is_null() && c["task_type"] != "CAUSAL_LM")
        throw Error(what + ": task_type " + c["task_type"].dump() + " is not supported (only CAUSAL_LM)");
    if (c.contains("base_model_name_or_path") && c["base_model_name_or_path"].is_string())
        s.baseModelNameOrPath = c["base_model_name_or_path"].get<std::string>();

    if (c.contains("target_modules")) {
        const Json& t = c["target_modules"];
        if (t.is_string())
            s.targetRegex = t.get<std::string>();
        else
            s.targetModules = readStringList(c, "target_modules", what);
    }
    s.modulesToSave = readStringList(c, "modules_to_save", what);
    if (c.contains("layers_to_transform") && !c["layers_to_transform"].is_null()) {
        const Json& l = c["layers_to_transform"];
        if (l.is_number_integer())
            s.layersToTransform.push_back(l.get<std::int64_t>());
        else if (l.is_array())
            for (const auto& v : l) {
                if (!v.is_number_integer())
                    throw Error(what + ": layers_to_transform must hold integers");
                s.layersToTransform.push_back(v.get<std::int64_t>());
            }
        else
            throw Error(what + ": layers_to_transform must be an integer or a list, found " + jsonTypeName(l));
    }
    if (c.contains("layers_pattern") && !c["layers_pattern"].is_null()) {
        const Json& l = c["layers_pattern"];
        if (l.is_string())
            s.layersPattern = l.get<std::string>();
        else if (l.is_array() && l.size() == 1 && l[0].is_string())
            s.layersPattern = l[0].get<std::string>();
        else
            throw Error(what + ": layers_pattern must be a string (or a list of one)");
    }
    auto readPatterns = [&](const std::string& key, auto& out) {
        if (!c.contains(key) || c[key].is_null())
            return;
        if (!c[key].is_object())
            throw Error(what + ": " + key + " must be an object, found " + jsonTypeName(c[key]));
        for (const auto& [k, v] : c[key].items()) {
            if (!v.is_number())
                throw Error(what + ": " + key + " '" + k + "' must be a number");
            out[k] = v.template get<typename std::decay_t<decltype(out)>::mapped_type>();
        }
    };
    readPatterns("rank_pattern", s.rankPattern);
    readPatterns("alpha_pattern", s.alphaPattern);

    switch (s.method) {
    case PeftMethod::Lora:
        s.r = jsonInt(c, "r", 8, what);
        s.alpha = jsonNumber(c, "lora_alpha", 8.0, what);
        s.dropout = jsonNumber(c, "lora_dropout", 0.0, what);
        s.bias = jsonString(c, "bias", "none", what);
        s.useRslora = jsonBool(c, "use_rslora", false, what);
        s.useDora = jsonBool(c, "use_dora", false, what);
        rejectIfSet(c, "lora_bias", what, "a bias on lora_B");
        rejectIfSet(c, "layer_replication", what, "layer replication");
        rejectIfSet(c, "target_parameters", what, "LoRA on parameters");
        rejectIfSet(c, "exclude_modules", what, "excluded modules");
        rejectIfSet(c, "trainable_token_indices", what, "trainable tokens");
        rejectIfSet(c, "alora_invocation_tokens", what, "activated LoRA");
        break;
    case PeftMethod::Ia3:
        if (c.contains("feedforward_modules") && c["feedforward_modules"].is_string())
            throw Error(what + ": feedforward_modules as a regex is not supported (use a list)");
        s.feedforwardModules = readStringList(c, "feedforward_modules", what);
        break;
    case PeftMethod::Loha:
    case PeftMethod::Lokr:
        s.r = jsonInt(c, "r", 8, what);
        s.alpha = jsonNumber(c, "alpha", 8.0, what);
        s.rankDropout = jsonNumber(c, "rank_dropout", 0.0, what);
        s.moduleDropout = jsonNumber(c, "module_dropout", 0.0, what);
        s.decomposeBoth = jsonBool(c, "decompose_both", false, what);
        s.decomposeFactor = jsonInt(c, "decompose_factor", -1, what);
        if (s.method == PeftMethod::Lokr) {
            s.lokrUnscaled = !c.contains("rank_dropout_scale");
            s.rankDropoutScale = s.lokrUnscaled || jsonBool(c, "rank_dropout_scale", false, what);
        }
        if (c.contains("r2") && !c["r2"].is_null() && c["r2"] != c["r"])
            throw Error(what + ": 'r2' (a second LoHa rank) is not supported");
        if (c.contains("use_khatri_rao") && c["use_khatri_rao"].is_boolean() && c["use_khatri_rao"].get<bool>())
            throw Error(what + ": 'use_khatri_rao' (Khatri-Rao LoHa) is not supported");
        rejectIfSet(c, "use_effective_conv2d", what, "effective Conv2d");
        rejectIfSet(c, "exclude_modules", what, "excluded modules");
        break;
    case PeftMethod::PromptTuning:
        s.numVirtualTokens = jsonInt(c, "num_virtual_tokens", 20, what);
        s.promptTuningInit = jsonString(c, "prompt_tuning_init", "RANDOM", what);
        if (c.contains("prompt_tuning_init_text") && c["prompt_tuning_init_text"].is_string())
            s.promptTuningInitText = c["prompt_tuning_init_text"].get<std::string>();
        if (jsonInt(c, "num_transformer_submodules", 1, what) != 1)
            throw Error(what + ": num_transformer_submodules must be 1 for a causal LM");
        break;
    case PeftMethod::PrefixTuning:
        s.numVirtualTokens = jsonInt(c, "num_virtual_tokens", 20, what);
        if (jsonBool(c, "prefix_projection", false, what))
            throw Error(what + ": prefix_projection=true (an MLP reparameterisation) is not supported");
        if (jsonInt(c, "num_transformer_submodules", 1, what) != 1)
            throw Error(what + ": num_transformer_submodules must be 1 for a causal LM");
        break;
    case PeftMethod::Full:
        break;
    }
    return s;
}

} // namespace ps::adapters

namespace ps {
AdapterSpec adapterSpecFromConfigJson(const std::string& json, const std::string& what) {
    return adapters::adapterSpecFromJson(parseJson(json, what), what);
}
} // namespace ps
