#include "adapters/peft_model.h"

#include "adapters/full_finetune.h"
#include "adapters/ia3.h"
#include "adapters/loha.h"
#include "adapters/lokr.h"
#include "adapters/lora.h"
#include "adapters/modules_to_save.h"
#include "ps/error.h"

#include <algorithm>
#include <map>

namespace ps::adapters {

PeftModel::PeftModel(model::CausalLM model, const AdapterSpec& spec, std::uint64_t seed)
    : PeftModel(std::move(model), spec, seed, true) {}

PeftModel::PeftModel(model::CausalLM model, const AdapterSpec& spec, std::uint64_t seed, bool initText)
    : model_(std::move(model)) {
    for (auto& [path, linear] : model_->linearModules(true))
        if (linear->adapter())
            throw Error("adapter: module '" + path + "' already has an adapter; load the base model again");
    skeleton_ = skeletonFromModel(*model_);
    plan_ = planAdapter(skeleton_, spec);
    inject(seed, initText);
}

void PeftModel::inject(std::uint64_t seed, bool initText) {
    torch::manual_seed(seed);
    for (auto& p : model_->parameters())
        p.requires_grad_(false);
    const AdapterSpec& spec = plan_.spec;
    const torch::Device device = model_->embeddingWeight().device();
    std::map<std::string, model::Linear> linears;
    for (auto& [path, linear] : model_->linearModules(true))
        linears.emplace(path, linear);
    auto findLinear = [&](const std::string& path) {
        const auto it = linears.find(path);
        if (it == linears.end())
            throw Error("adapter: the model has no projection '" + path + "'");
        return it->second;
    };

    switch (spec.method) {
    case PeftMethod::Full:
        makeFullyTrainable(*model_);
        break;
    case PeftMethod::PromptTuning:
        prompt_ = PromptEmbedding(spec.numVirtualTokens, skeleton_.hiddenSize, device);
        if (spec.promptTuningInit == "TEXT" && initText) {
            if (spec.promptTuningInitIds.empty())
                throw Error("prompt tuning TEXT init: the init text's token ids are needed (promptTuningInitIds)");
            prompt_->initFromText(*model_, spec.promptTuningInitIds);
        }
        break;
    case PeftMethod::PrefixTuning:
        prefix_ =
            PrefixEncoder(spec.numVirtualTokens, skeleton_.numLayers, skeleton_.numKvHeads, skeleton_.headDim, device);
        break;
    default:
        for (const auto& layer : plan_.layers) {
            model::Linear linear = findLinear(layer.linear.path);
            std::shared_ptr<LayerAdapterImpl> adapter;
            std::string name;
            switch (spec.method) {
            case PeftMethod::Lora:
                adapter = std::make_shared<LoraLinearImpl>(layer, spec, *linear);
                name = "lora";
                break;
            case PeftMethod::Ia3:
                adapter = std::make_shared<Ia3LinearImpl>(layer, *linear);
                name = "ia3";
                break;
            case PeftMethod::Loha:
                adapter = std::make_shared<LohaLinearImpl>(layer, spec, *linear);
                name = "loha";
                break;
            case PeftMethod::Lokr:
                adapter = std::make_shared<LokrLinearImpl>(layer, spec, *linear);
                name = "lokr";
                break;
            default:
                break;
            }
            linear->setAdapter(name, adapter);
            layerAdapters_.emplace_back(linear, adapter);
        }
        for (const auto& saved : plan_.savedLinears) {
            model::Linear linear = findLinear(saved.path);
            auto copy = std::make_shared<SavedLinearCopyImpl>(*linear);
            linear->setAdapter("modules_to_save", copy);
            layerAdapters_.emplace_back(linear, copy);
        }
        if (plan_.saveEmbedding) {
            torch::NoGradGuard noGrad;
            embeddingCopy_ = model_->embeddingWeight().detach().clone();
        }
        if (!plan_.trainableBiases.empty()) {
            auto params = model_->named_parameters(true);
            for (const auto& [key, name] : plan_.trainableBiases) {
                torch::Tensor* p = params.find(name);
                if (!p)
                    throw Error("adapter: the model has no parameter '" + name + "'");
                makeOwnedTrainable(*p);
            }
        }
        break;
    }
    collectTensors();
    for (auto& [key, t] : tensors_)
        t.requires_grad_(true);
    // New modules start in training mode; follow the model's mode (dropout only when training).
    train(model_->is_training());
}

void PeftModel::collectTensors() {
    tensors_.clear();
    if (plan_.spec.method == PeftMethod::Full) {
        for (const auto& item : model_->named_parameters(true))
            tensors_.emplace_back(item.key(), item.value());
    }
    for (auto& [linear, adapter] : layerAdapters_)
        for (auto& [suffix, t] : adapter->namedTensors())
            tensors_.emplace_back(kPeftKeyPrefix + linear->path + "." + suffix, t);
    if (embeddingCopy_.defined())
        tensors_.emplace_back(kPeftKeyPrefix + skeleton_.embeddingPath + ".weight", embeddingCopy_);
    if (!plan_.trainableBiases.empty()) {
        auto params = model_->named_parameters(true);
        for (const auto& [key, name] : plan_.trainableBiases)
            tensors_.emplace_back(key, *params.find(name));
    }
    if (prompt_)
        tensors_.emplace_back("prompt_embeddings", prompt_->embeddings);
    if (prefix_)
        tensors_.emplace_back("prompt_embeddings", prefix_->embeddings);
    std::sort(tensors_.begin(), tensors_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    // The modules built must be exactly the plan (which validation and counting rely on).
    bool same = tensors_.size() == plan_.tensors.size();
    for (std::size_t i = 0; same && i < tensors_.size(); ++i)
        same = tensors_[i].first == plan_.tensors[i].key && tensors_[i].second.sizes().vec() == plan_.tensors[i].shape;
    if (!same)
        throw Error("adapter: internal error: injected tensors differ from the plan for " +
                    std::string(peftMethodName(plan_.spec.method)));
}

std::vector<torch::Tensor> PeftModel::trainableParameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& [key, t] : tensors_)
        out.push_back(t);
    return out;
}

void PeftModel::train(bool on) {
    model_->train(on);
    if (prompt_)
        prompt_->train(on);
    if (prefix_)
        prefix_->train(on);
}

std::int64_t PeftModel::numPrependedRows() const {
    return prompt_ && !merged_ ? plan_.spec.numVirtualTokens : 0;
}

model::KVCache PeftModel::prefixCache(std::int64_t batch) {
    if (!prefix_)
        return {};
    return prefix_->makeCache(batch, model_->embeddingWeight().scalar_type());
}

torch::Tensor PeftModel::forward(const model::ForwardInput& input) {
    if (merged_)
        return model_->forward(input);
    model::ForwardInput in = input;
    if (embeddingCopy_.defined() || prompt_) {
        torch::Tensor embeds = in.inputsEmbeds;
        if (!embeds.defined()) {
            if (!in.inputIds.defined())
                throw Error("adapter forward: neither input ids nor input embeddings were given");
            embeds =
                embeddingCopy_.defined() ? torch::embedding(embeddingCopy_, in.inputIds) : model_->embed(in.inputIds);
        }
        // During incremental decoding the virtual tokens are already in the cache.
        if (prompt_ && (in.cache == nullptr || in.cache->length() == 0)) {
            prompt_->prepend(in, embeds);
        } else {
            in.inputsEmbeds = embeds;
            in.inputIds = torch::Tensor();
        }
    }
    model::KVCache localCache;
    if (prefix_) {
        const auto batch = in.inputIds.defined() ? in.inputIds.size(0) : in.inputsEmbeds.size(0);
        prefix_->prepare(in, in.cache ? *in.cache : localCache, batch, model_->embeddingWeight().scalar_type());
    }
    return model_->forward(in);
}

torch::Tensor PeftModel::logits(const torch::Tensor& hidden) {
    return model_->logits(hidden);
}

void PeftModel::merge() {
    if (merged_)
        return;
    if (!canMerge())
        throw Error(std::string("adapter: ") + peftMethodName(plan_.spec.method) +
                    " cannot be merged into the weights (it adds virtual tokens, not weight changes)");
    train(false);
    torch::NoGradGuard noGrad;
    for (auto& [linear, adapter] : layerAdapters_) {
        const bool wasTied = linear->tied;
        adapter->mergeInto(*linear);
        linear->clearAdapter();
        untied_ = untied_ || (wasTied && !linear->tied);
    }
    if (embeddingCopy_.defined()) {
        model::Linear head = model_->lmHead();
        if (head->tied) {
            // Give the head its own handle first, so that replacing the embedding's data
            // leaves the head on the original matrix (as peft's separate copy does).
            head->weight = head->weight.detach();
            head->tied = false;
            untied_ = true;
        }
        replaceData(model_->embeddingWeight(), embeddingCopy_);
    }
    merged_ = true;
}

} // namespace ps::adapters
