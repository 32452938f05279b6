#pragma once
// Optimizers: AdamW exactly as torch.optim.AdamW and SGD as torch.optim.SGD (single-tensor
// paths, amsgrad / nesterov / maximize off), written here rather than taken from torch::optim
// because torch::optim's API differs between LibTorch 1.13 and 2.x and its state is awkward to
// checkpoint. State is plain named tensors that go straight into a safetensors file.
// Internal header: includes torch.
//
// AdamW, per parameter with a gradient (step t counted per parameter, as torch):
//   p       *= 1 - lr * weight_decay                       (decoupled decay)
//   m        = lerp(m, g, 1 - beta1)                       (= beta1 m + (1 - beta1) g)
//   v        = beta2 v + (1 - beta2) g^2
//   p       -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)   (eps outside sqrt)
// SGD:  d = g + weight_decay p (L2); with momentum: b = momentum b + d (b = d at first); p -= lr d|b
#include "io/torch_tensors.h"
#include "train/param_groups.h"

#include <memory>
#include <string>
#include <vector>

namespace ps {
struct RunConfig;
}

namespace ps::train {

class Optimizer {
public:
    explicit Optimizer(std::vector<ParamGroup> groups);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // One update of every parameter that has a gradient, at learning rate `lr`.
    virtual void step(double lr) = 0;
    // Drops the gradients (set_to_none, as torch 2.x's default).
    void zeroGrad();

    virtual const char* kind() const = 0; // "adamw" / "sgd"
    // State as named tensors ("<param>.exp_avg", "<param>.exp_avg_sq", "<param>.step";
    // "<param>.momentum_buffer") and metadata (kind, hyper-parameters) for the checkpoint.
    virtual NamedTensors stateTensors() const = 0;
    std::map<std::string, std::string> stateMetadata() const;
    // Restores stateTensors(); validates names, shapes and dtypes against the parameters;
    // `what` (the file) prefixes errors.
    virtual void loadStateTensors(const NamedTensors& state, const std::map<std::string, std::string>& metadata,
                                  const std::string& what) = 0;

    const std::vector<ParamGroup>& groups() const { return groups_; }
    // Every parameter of every group, in group order.
    std::vector<torch::Tensor> parameters() const;

protected:
    virtual std::map<std::string, std::string> hyperParameters() const = 0;
    // Finds a parameter by name; nullptr when unknown.
    const torch::Tensor* findParam(const std::string& name) const;

    std::vector<ParamGroup> groups_;
};

struct AdamWOptions {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
};

class AdamW final : public Optimizer {
public:
    AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options = {});
    void step(double lr) override;
    const char* kind() const override { return "adamw"; }
    NamedTensors stateTensors() const override;
    void loadStateTensors(const NamedTensors& state, const std::map<std::string, std::string>& metadata,
                          const std::string& what) override;

    struct ParamState {
        std::int64_t step = 0;
        torch::Tensor expAvg; // undefined until the first update
        torch::Tensor expAvgSq;
    };
    // State of one parameter, by name (nullptr when unknown).
    const ParamState* state(const std::string& name) const;

private:
    std::map<std::string, std::string> hyperParameters() const override;
    AdamWOptions options_;
    std::map<std::string, ParamState> state_;
};

struct SgdOptions {
    double momentum = 0.0;
};

class Sgd final : public Optimizer {
public:
    Sgd(std::vector<ParamGroup> groups, const SgdOptions& options = {});
    void step(double lr) override;
    const char* kind() const override { return "sgd"; }
    NamedTensors stateTensors() const override;
    void loadStateTensors(const NamedTensors& state, const std::map<std::string, std::string>& metadata,
                          const std::string& what) override;

private:
    std::map<std::string, std::string> hyperParameters() const override;
    SgdOptions options_;
    std::map<std::string, torch::Tensor> momentum_; // name -> buffer
};

// The optimizer named by config.optimizer with its hyper-parameters (weight decay per group).
std::unique_ptr<Optimizer> makeOptimizer(const RunConfig& config, std::vector<ParamGroup> groups);

} // namespace ps::train
