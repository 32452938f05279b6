#include "model/shared_input_projections.h"

#include "system/dense_products.h"

#include "system/blas_threads.h"
#include "system/parallel_parts.h"
#include "util/env_switch.h"

#include <torch/autograd.h>

#include <atomic>
#include <optional>

namespace ps::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::atomic<bool>& fusionSwitch() {
    static std::atomic<bool> on{[] { return !envIs("PS_FUSED_PROJECTIONS", "0"); }()};
    return on;
}

// Parts for the rank-r products over the rows of x2 [N, in]: the free cores (on the CPU, inside
// a SingleThreadedBlas scope), fewer when a part would get under 64 rows.
int rowParts(const torch::Tensor& x2) {
    if (!x2.device().is_cpu())
        return 1;
    return static_cast<int>(
        std::max<std::int64_t>(1, std::min<std::int64_t>(system::smallProductParts(), x2.size(0) / 64)));
}

// bias + x2 w^T. LibTorch's addmm first copies the broadcast bias into the output on its one
// intra-op thread (a serial pass over [N, out] while the other core waits: 190 ms in 4 GPT-2
// micro-batches of instruction data, ~1.4 % of the time); on the CPU the rows are filled on the
// free cores instead, and the GEMM accumulates onto them (beta = 1), as addmm's own does.
torch::Tensor biasedProduct(const torch::Tensor& bias, const torch::Tensor& x2, const torch::Tensor& w) {
    if (!x2.device().is_cpu())
        return torch::addmm(bias, x2, w.t());
    auto y = torch::empty({x2.size(0), w.size(0)}, x2.options());
    system::runRangeParts(true, y.size(0), 64, 1, [&](long long first, long long count) {
        y.narrow(0, first, count).copy_(bias.expand({count, y.size(1)}));
    });
    system::productInto(y, x2, w.t(), 1.0);
    return y;
}

// Inputs, flattened by autograd in this order: x, weights (n), biases (n or 0), adapter A's (m),
// adapter B's (m). `layerOfAdapter[k]` is the layer adapter k belongs to.
class SharedInputProjection final : public torch::autograd::Function<SharedInputProjection> {
public:
    static variable_list forward(AutogradContext* ctx, const torch::Tensor& x, torch::TensorList weights,
                                 torch::TensorList biases, torch::TensorList as, torch::TensorList bs,
                                 std::vector<double> scalings, std::vector<std::int64_t> layerOfAdapter) {
        const auto in = x.size(-1);
        const auto x2 = x.reshape({-1, in});
        variable_list ys;
        ys.reserve(weights.size());
        for (std::size_t j = 0; j < weights.size(); ++j)
            ys.push_back(biases.empty() ? system::product(x2, weights[j].t())
                                        : biasedProduct(biases[j], x2, weights[j]));
        torch::Tensor aCat, z;
        if (!as.empty()) {
            system::SingleThreadedBlas oneThread(x.device().is_cpu());  // the rank-r products x A^T, z B^T
            aCat = as.size() == 1 ? as[0] : torch::cat(as, 0);          // [R, in]
            z = torch::empty({x2.size(0), aCat.size(0)}, x2.options()); // [N, R]
            // By rows of x, the parts on the free cores (rowParts).
            const int parts = rowParts(x2);
            system::runParts(parts, [&](int p) {
                const auto rows = system::partRange(x2.size(0), parts, p);
                auto zP = z.narrow(0, rows.first, rows.count);
                system::productInto(zP, x2.narrow(0, rows.first, rows.count), aCat.t());
                std::int64_t offset = 0;
                for (std::size_t k = 0; k < as.size(); ++k) {
                    const auto r = as[k].size(0);
                    system::productInto(
                        ys[static_cast<std::size_t>(layerOfAdapter[k])].narrow(0, rows.first, rows.count),
                        zP.narrow(1, offset, r), bs[k].t(), 1.0, scalings[k]);
                    offset += r;
                }
            });
        }
        variable_list saved{x2, aCat, z};
        saved.insert(saved.end(), weights.begin(), weights.end());
        saved.insert(saved.end(), bs.begin(), bs.end());
        ctx->save_for_backward(saved);
        ctx->saved_data["x_sizes"] = x.sizes();
        ctx->saved_data["x_grad"] = x.requires_grad();
        ctx->saved_data["layers"] = static_cast<std::int64_t>(weights.size());
        ctx->saved_data["biases"] = static_cast<std::int64_t>(biases.size());
        ctx->saved_data["scalings"] = scalings;
        ctx->saved_data["layer_of_adapter"] = layerOfAdapter;
        auto outSizes = x.sizes().vec();
        for (auto& y : ys) {
            outSizes.back() = y.size(1);
            y = y.view(outSizes);
        }
        return ys;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x2 = saved[0];
        const auto& aCat = saved[1];
        const auto& z = saved[2];
        const auto n = static_cast<std::size_t>(ctx->saved_data["layers"].toInt());
        const auto nBiases = static_cast<std::size_t>(ctx->saved_data["biases"].toInt());
        const auto scalings = ctx->saved_data["scalings"].toDoubleVector();
        const auto layerOfAdapter = ctx->saved_data["layer_of_adapter"].toIntVector();
        const std::size_t m = scalings.size();
        std::vector<torch::Tensor> g(n); // dy_j as [N, out_j]; undefined when y_j got no gradient
        for (std::size_t j = 0; j < n; ++j)
            if (grads[j].defined())
                g[j] = grads[j].reshape({-1, grads[j].size(-1)});

        // The input gradient of the frozen weights first (large products: on every core) ...
        torch::Tensor dX;
        const bool xGrad = ctx->saved_data["x_grad"].toBool();
        if (xGrad)
            for (std::size_t j = 0; j < n; ++j) {
                if (!g[j].defined())
                    continue;
                const auto& w = saved[3 + j];
                if (dX.defined())
                    system::productInto(dX, g[j], w, 1.0);
                else
                    dX = system::product(g[j], w);
            }
        // ... then the rank-r products, one thread each, by rows on the free cores (each element
        // is the product it would be unsplit, so the numbers do not depend on the split):
        // dZ = s dy B and dX += dZ A by rows of dy, dB = s dy^T z by rows of dB.
        variable_list dBs(m);
        torch::Tensor dZ, dACat;
        if (m > 0) {
            dZ = torch::empty_like(z);
            for (std::size_t k = 0; k < m; ++k) {
                const auto& b = saved[3 + n + k];
                if (g[static_cast<std::size_t>(layerOfAdapter[k])].defined())
                    dBs[k] = torch::empty_like(b);
            }
            if (xGrad && !dX.defined())
                dX = torch::zeros_like(x2);
            system::SingleThreadedBlas oneThread(x2.device().is_cpu());
            const int parts = rowParts(x2);
            system::runParts(parts, [&](int p) {
                const auto rows = system::partRange(z.size(0), parts, p);
                std::int64_t offset = 0;
                for (std::size_t k = 0; k < m; ++k) {
                    const auto& b = saved[3 + n + k];
                    const auto r = b.size(1);
                    auto dZk = dZ.narrow(0, rows.first, rows.count).narrow(1, offset, r);
                    const auto& gj = g[static_cast<std::size_t>(layerOfAdapter[k])];
                    if (gj.defined()) {
                        system::productInto(dZk, gj.narrow(0, rows.first, rows.count), b, 0.0, scalings[k]);
                        const auto outRows = system::partRange(b.size(0), parts, p);
                        auto dBk = dBs[k].narrow(0, outRows.first, outRows.count);
                        system::productInto(dBk, gj.narrow(1, outRows.first, outRows.count).t(), z.narrow(1, offset, r),
                                            0.0, scalings[k]);
                    } else {
                        dZk.zero_();
                    }
                    offset += r;
                }
                if (xGrad)
                    system::productInto(dX.narrow(0, rows.first, rows.count), dZ.narrow(0, rows.first, rows.count),
                                        aCat, 1.0);
            });
            oneThread.restore();
            dACat = system::product(dZ.t(), x2); // a reduction over all rows: split by columns on the cores
        }
        if (dX.defined())
            dX = dX.view(ctx->saved_data["x_sizes"].toIntVector());
        // One gradient per input of forward (autograd flattens the lists), then the two non-tensor ones.
        variable_list out{dX};
        out.resize(1 + n + nBiases); // frozen weights and biases: none
        std::int64_t offset = 0;
        for (std::size_t k = 0; k < m; ++k) {
            const auto r = saved[3 + n + k].size(1);
            out.push_back(dACat.defined() ? dACat.narrow(0, offset, r) : torch::Tensor());
            offset += r;
        }
        out.insert(out.end(), dBs.begin(), dBs.end());
        out.emplace_back();
        out.emplace_back();
        return out;
    }
};

bool frozen(const torch::Tensor& t) {
    return !t.defined() || !t.requires_grad();
}

} // namespace

void setSharedInputFusion(bool enabled) {
    fusionSwitch() = enabled;
}

bool sharedInputFusionEnabled() {
    return fusionSwitch();
}

namespace {

// The node's outputs for `layers` on x, or nothing when a layer does not qualify (see the header).
std::optional<std::vector<torch::Tensor>> grouped(const std::vector<LinearImpl*>& layers, const torch::Tensor& x) {
    if (!sharedInputFusionEnabled() || !torch::GradMode::is_enabled() || layers.empty() || x.dim() < 1)
        return std::nullopt;
    const bool withBias = layers.front()->bias.defined();
    std::vector<torch::Tensor> weights, biases, as, bs;
    std::vector<double> scalings;
    std::vector<std::int64_t> layerOfAdapter;
    bool needsGrad = x.requires_grad();
    for (auto* layer : layers) {
        if (layer->inFeatures != x.size(-1) || layer->bias.defined() != withBias || !frozen(layer->weight) ||
            !frozen(layer->bias) || layer->weight.scalar_type() != x.scalar_type() ||
            layer->weight.device() != x.device())
            return std::nullopt;
        weights.push_back(layer->weightOutIn()); // [out, in]; a transposed view for GPT-2's Conv1D
        if (withBias)
            biases.push_back(layer->bias);
        if (!layer->adapter())
            continue;
        const auto delta = layer->adapter()->lowRankDelta();
        if (!delta || delta->a.device() != x.device())
            return std::nullopt;
        // Adapter weights in another dtype take part only where the adapter itself would cast
        // them to the input's (autocast on CUDA): the cast's backward carries their gradients.
        const auto dtype = lowRankComputeDtype(x, delta->a.scalar_type());
        if (dtype != x.scalar_type() || delta->b.scalar_type() != delta->a.scalar_type())
            return std::nullopt;
        needsGrad = needsGrad || delta->a.requires_grad() || delta->b.requires_grad();
        layerOfAdapter.push_back(static_cast<std::int64_t>(weights.size() - 1));
        as.push_back(delta->a.to(dtype));
        bs.push_back(delta->b.to(dtype));
        scalings.push_back(delta->scaling);
    }
    if (!needsGrad)
        return std::nullopt;
    return SharedInputProjection::apply(x, torch::TensorList(weights), torch::TensorList(biases), torch::TensorList(as),
                                        torch::TensorList(bs), scalings, layerOfAdapter);
}

} // namespace

std::vector<torch::Tensor> projectSharedInput(const std::vector<LinearImpl*>& layers, const torch::Tensor& x) {
    if (layers.size() >= 2)
        if (auto ys = grouped(layers, x))
            return std::move(*ys);
    std::vector<torch::Tensor> ys;
    ys.reserve(layers.size());
    for (auto* layer : layers)
        ys.push_back(layer->forward(x));
    return ys;
}

std::optional<torch::Tensor> projectWithLowRank(LinearImpl& layer, const torch::Tensor& x) {
    // CPU only: what it is for is the BLAS threading of the rank-r products; on CUDA the plain
    // LoRA forward stays (the path measured on the GPU, benchmarks/RESULTS.md).
    if (!layer.adapter() || !x.device().is_cpu())
        return std::nullopt;
    auto ys = grouped({&layer}, x);
    if (!ys)
        return std::nullopt;
    return std::move(ys->front());
}

} // namespace ps::model
