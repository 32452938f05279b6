#pragma once
// Helpers shared by the adapter suites: fixture paths, reference tensors, forward passes.
#include "adapters/peft_model.h"
#include "io/torch_tensors.h"
#include "model/causal_lm.h"
#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include <string>

namespace ps::testing {

inline std::string modelFixture(const std::string& name) {
    return std::string(PS_FIXTURES) + "/models/" + name;
}
inline std::string adapterFixture(const std::string& name) {
    return std::string(PS_FIXTURES) + "/adapters/" + name;
}

// The base model fixture an adapter fixture was made on (its base_model_name_or_path).
inline std::string baseOfAdapterFixture(const std::string& name) {
    return modelFixture(
        parseJsonFile(adapterFixture(name) + "/adapter_config.json")["base_model_name_or_path"].get<std::string>());
}

inline torch::Tensor referenceTensor(const std::string& dir, const std::string& name) {
    for (auto& [key, t] : loadAllTensors(dir + "/reference.safetensors"))
        if (key == name)
            return t;
    return {};
}

inline model::CausalLM loadFloatModel(const std::string& dir) {
    model::LoadOptions options;
    options.dtype = torch::kFloat32;
    auto m = model::loadCausalLM(dir, options);
    m->eval();
    return m;
}

inline torch::Tensor logitsOf(adapters::PeftModel& pm, const torch::Tensor& ids) {
    torch::NoGradGuard noGrad;
    model::ForwardInput in;
    in.inputIds = ids;
    return pm.logits(pm.forward(in));
}

inline torch::Tensor logitsOf(model::CausalLM& m, const torch::Tensor& ids) {
    torch::NoGradGuard noGrad;
    model::ForwardInput in;
    in.inputIds = ids;
    return m->logits(m->forward(in));
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// The message of the ps::Error that `f` throws ("" when it does not throw).
template <typename F> std::string errorOf(F&& f) {
    try {
        f();
    } catch (const ps::Error& e) {
        return e.what();
    }
    return {};
}

// A fresh temporary folder removed at scope exit.
class TempDir final {
public:
    TempDir() : path_(dir_.path().toStdString()) {}
    const std::string& path() const { return path_; }
    std::string sub(const std::string& name) const { return path_ + "/" + name; }

private:
    QTemporaryDir dir_;
    std::string path_;
};

} // namespace ps::testing
