#pragma once
// PeftModel — a CausalLM with one PEFT method injected (internal: includes torch).
//
//   PeftModel pm(loadCausalLM(base), spec, seed);   // fresh adapter, peft's init
//   auto pm = PeftModel::load(adapterDir, loadCausalLM(base));   // an HF PEFT folder
//   auto hidden = pm->forward(input); auto logits = pm->logits(hidden);
//   pm->save(dir, baseDir);  pm->merge();
//
// The base model is modified in place: its parameters are frozen, projections get adapter
// hooks (model::Linear::setAdapter), trainable base parameters (bias="all", full fine-tuning)
// are copied out of the read-only checkpoint mapping first. forward() adds what lives outside
// the projections: prompt-tuning embeddings, prefix key/values, a trained embedding copy.
#include "adapters/adapter_plan.h"
#include "adapters/layer_adapter.h"
#include "adapters/prefix_tuning.h"
#include "adapters/prompt_tuning.h"
#include "model/causal_lm.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ps::adapters {

using NamedTensorList = std::vector<std::pair<std::string, torch::Tensor>>;

class PeftModel final {
public:
    // Injects `spec` (planned on this model) with peft's initialisation, seeded by `seed`.
    PeftModel(model::CausalLM model, const AdapterSpec& spec, std::uint64_t seed = 0);
    PeftModel(const PeftModel&) = delete;
    PeftModel& operator=(const PeftModel&) = delete;

    // Loads an HF PEFT adapter folder (or, for full fine-tuning, a model folder) onto `model`,
    // validating every tensor against the plan first (ps::Error names the tensor).
    static std::unique_ptr<PeftModel> load(const std::string& adapterDir, model::CausalLM model);

    model::CausalLM& model() { return model_; }
    const AdapterPlan& plan() const { return plan_; }
    const AdapterSpec& spec() const { return plan_.spec; }

    // Final hidden states. Prompt tuning prepends numPrependedRows() rows (its virtual tokens);
    // prefix tuning returns T rows whose positions start at num_virtual_tokens.
    torch::Tensor forward(const model::ForwardInput& input);
    torch::Tensor logits(const torch::Tensor& hidden);
    std::int64_t numPrependedRows() const;
    // Prefix tuning: a cache pre-filled with the prefixes, for incremental decoding.
    model::KVCache prefixCache(std::int64_t batch);

    // peft key -> live tensor, sorted by key: exactly what save() writes and load() fills.
    const NamedTensorList& tensors() const { return tensors_; }
    std::vector<torch::Tensor> trainableParameters() const;
    std::int64_t numTrainable() const { return plan_.trainable; }
    std::int64_t numTotal() const { return plan_.total; }

    // Dropout / rank and module dropout are active in training mode only.
    void train(bool on = true);

    // Writes adapter_config.json + adapter_model.safetensors (full fine-tuning: a model folder,
    // config and tokenizer files taken from `baseModelDir`). `baseModelDir` also names the base
    // in the config (spec.baseModelNameOrPath wins when set).
    void save(const std::string& dir, const std::string& baseModelDir = "") const;
    // Copies tensors (peft keys) into the adapter after validating names and shapes.
    void loadTensors(const NamedTensorList& tensors, const std::string& what);

    bool canMerge() const { return peftMethodCanMerge(plan_.spec.method); }
    // Folds the adapter into the base weights and removes the hooks; the model alone then gives
    // the adapted outputs. Throws for prompt / prefix tuning.
    void merge();
    bool merged() const { return merged_; }
    // After merge(): the tied head or embedding got its own matrix (export must untie).
    bool untied() const { return untied_; }

private:
    PeftModel(model::CausalLM model, const AdapterSpec& spec, std::uint64_t seed, bool initText);
    void inject(std::uint64_t seed, bool initText);
    void collectTensors();

    model::CausalLM model_;
    AdapterPlan plan_;
    ModelSkeleton skeleton_;
    std::vector<std::pair<model::Linear, std::shared_ptr<LayerAdapterImpl>>> layerAdapters_;
    torch::Tensor embeddingCopy_; // modules_to_save on the token embedding
    PromptEmbedding prompt_{nullptr};
    PrefixEncoder prefix_{nullptr};
    NamedTensorList tensors_;
    bool merged_ = false;
    bool untied_ = false;
};

} // namespace ps::adapters
