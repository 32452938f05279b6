#include "model/linear.h"

#include "ps/error.h"

namespace ps::model {

LinearImpl::LinearImpl(std::int64_t in, std::int64_t out, bool withBias, bool isConv1d)
    : inFeatures(in), outFeatures(out), conv1d(isConv1d) {
    // Uninitialised on purpose: loading replaces the storage with (mmap) checkpoint tensors,
    // so filling it first would only cost time and resident memory.
    weight = register_parameter("weight", conv1d ? torch::empty({in, out}) : torch::empty({out, in}));
    if (withBias)
        bias = register_parameter("bias", torch::empty({out}));
}

LinearImpl::LinearImpl(const torch::Tensor& sharedWeight)
    : inFeatures(sharedWeight.size(1)), outFeatures(sharedWeight.size(0)), weight(sharedWeight), tied(true) {}

torch::Tensor LinearImpl::baseForward(const torch::Tensor& x) const {
    if (x.size(-1) != inFeatures)
        throw Error((path.empty() ? std::string("linear layer") : path) + ": input has " + std::to_string(x.size(-1)) +
                    " features, expected " + std::to_string(inFeatures));
    if (!conv1d)
        return torch::linear(x, weight, bias);
    // GPT-2 Conv1D: y = x @ W + b with W stored [in, out] (transformers uses addmm too).
    auto sizes = x.sizes().vec();
    sizes.back() = outFeatures;
    const auto x2 = x.reshape({-1, inFeatures});
    auto y = bias.defined() ? torch::addmm(bias, x2, weight) : torch::mm(x2, weight);
    return y.view(sizes);
}

torch::Tensor LinearImpl::weightOutIn() const {
    return conv1d ? weight.t() : weight;
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
    if (adapter_)
        return adapter_->forward(x, *this);
    return baseForward(x);
}

void LinearImpl::setAdapter(const std::string& name, std::shared_ptr<LinearAdapterImpl> adapter) {
    clearAdapter();
    if (!adapter)
        return;
    register_module(name, adapter);
    adapter_ = std::move(adapter);
    adapterName_ = name;
}

void LinearImpl::clearAdapter() {
    if (!adapter_)
        return;
    unregister_module(adapterName_);
    adapter_.reset();
    adapterName_.clear();
}

} // namespace ps::model
