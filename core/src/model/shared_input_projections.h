#pragma once
// Projections that read one input — q/k/v of an attention block, gate/up of a gated MLP — run as
// one autograd node while training (internal header: includes torch).
//
// Each layer of the group must be a frozen projection (no weight or bias gradient; GPT-2's Conv1D
// layers too), optionally with a low-rank adapter (LinearAdapterImpl::lowRankDelta: LoRA without
// DoRA or dropout). Then:
//   forward   y_j = x W_j^T (+ b_j);  Z = x [A_1; A_2; ...]^T  (one GEMM for every adapter's A);
//             y_j += s_j Z_j B_j^T    (accumulated by the GEMM into y_j, no scaled copy)
//   backward  dZ_j = s_j dy_j B_j;  dB_j = s_j dy_j^T Z_j;  dA = dZ^T x  (one GEMM);
//             dx = sum_j dy_j W_j + dZ [A_1; A_2; ...]  (every term accumulated by the GEMMs
//             into one buffer: no per-layer input gradients and no sums of them)
// The numbers are those of calling each layer on x (up to the order of float additions).
// Anything else — an adapter of another kind, trainable base weights, mixed dtypes, no
// gradient recording — falls back to calling the layers one by one.
#include "model/linear.h"

#include <optional>
#include <vector>

namespace ps::model {

// layers[j]->forward(x) for every j, grouped when the layers allow it (see above).
std::vector<torch::Tensor> projectSharedInput(const std::vector<LinearImpl*>& layers, const torch::Tensor& x);

// One layer with a low-rank adapter as the same node (a group of one), or nothing when it does not
// qualify (or is not on the CPU): LoRA's forward uses it while training, so that its rank-r products, backward included,
// run in this node's code (one BLAS thread for them, system::SingleThreadedBlas) rather than in
// autograd's generic matmul nodes.
std::optional<torch::Tensor> projectWithLowRank(LinearImpl& layer, const torch::Tensor& x);

// Whether the grouped path is used (default on; PS_FUSED_PROJECTIONS=0 in the environment turns
// it off). For comparisons in tests and benchmarks.
void setSharedInputFusion(bool enabled);
bool sharedInputFusionEnabled();

} // namespace ps::model
