// Gradient checkpointing of decoder layers: the forward runs without recording a graph, the
// backward runs the layer again with grad enabled and backpropagates through it (what
// torch.utils.checkpoint's reentrant variant does). Parameter gradients (adapters) accumulate
// in the nested backward; the layer input's gradient is returned.
#include "model/decoder.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

namespace ps::model {
namespace {

using LayerFn = std::function<torch::Tensor(const torch::Tensor&)>;

struct CheckpointState final : torch::CustomClassHolder {
    LayerFn fn;
    torch::Tensor rngState; // CPU generator state before the forward, so dropout masks repeat
};

class CheckpointFunction final : public torch::autograd::Function<CheckpointFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const c10::intrusive_ptr<CheckpointState>& state) {
        {
            at::Generator gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            state->rngState = gen.get_state();
        }
        ctx->save_for_backward({x});
        ctx->saved_data["state"] = c10::IValue::make_capsule(state);
        torch::NoGradGuard noGrad;
        return state->fn(x);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto x = ctx->get_saved_variables()[0];
        auto state = c10::static_intrusive_pointer_cast<CheckpointState>(ctx->saved_data["state"].toCapsule());
        const auto input = x.detach().requires_grad_(true);
        torch::Tensor out;
        {
            at::Generator gen = at::detail::getDefaultCPUGenerator();
            torch::Tensor now;
            {
                std::lock_guard<std::mutex> lock(gen.mutex());
                now = gen.get_state();
                gen.set_state(state->rngState);
            }
            torch::AutoGradMode enable(true);
            out = state->fn(input);
            std::lock_guard<std::mutex> lock(gen.mutex());
            gen.set_state(now);
        }
        torch::autograd::backward({out}, {grads[0]});
        return {input.grad(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor runLayer(const LayerFn& layer, const torch::Tensor& x, bool checkpoint) {
    if (!checkpoint || !torch::GradMode::is_enabled())
        return layer(x);
    auto state = c10::make_intrusive<CheckpointState>();
    state->fn = layer;
    // The output only gets a backward when an input needs grad; with frozen embeddings the
    // hidden states do not, so make them (transformers' enable_input_require_grads).
    const auto input = x.requires_grad() ? x : x.detach().requires_grad_(true);
    return CheckpointFunction::apply(input, state);
}

} // namespace ps::model
