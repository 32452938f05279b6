#pragma once
// Helpers shared by the model suites: fixture folders, their reference tensors, comparisons.
#include "io/torch_tensors.h"
#include "model/causal_lm.h"

#include <QDir>
#include <QString>
#include <QStringList>

#include <string>

namespace ps::test {

inline std::string modelFixture(const std::string& name) {
    return std::string(PS_FIXTURES) + "/models/" + name;
}

// Every model fixture folder (each has config.json, model.safetensors, reference.safetensors).
inline QStringList modelFixtureNames() {
    QDir dir(QString::fromUtf8(PS_FIXTURES) + QStringLiteral("/models"));
    return dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
}

struct Reference {
    torch::Tensor inputIds; // int64 [2, T]
    torch::Tensor logits;   // float32 [2, T, V]
};

inline Reference loadReference(const std::string& name) {
    Reference ref;
    for (auto& [key, t] : loadAllTensors(modelFixture(name) + "/reference.safetensors")) {
        if (key == "input_ids")
            ref.inputIds = t;
        else if (key == "logits")
            ref.logits = t;
    }
    return ref;
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

inline torch::Tensor logitsOf(model::CausalLM& m, const model::ForwardInput& in) {
    torch::NoGradGuard noGrad;
    return m->logits(m->forward(in));
}

inline torch::Tensor logitsOf(model::CausalLM& m, const torch::Tensor& ids) {
    model::ForwardInput in;
    in.inputIds = ids;
    return logitsOf(m, in);
}

} // namespace ps::test
