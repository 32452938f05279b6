#pragma once
// Dropout for training on the CPU without LibTorch's per-element Bernoulli draws (internal:
// includes torch).
//
// torch::dropout on the CPU calls the Mersenne-Twister generator once per element
// (bernoulli_), which took 6 % of a GPT-2 LoRA step (37 calls, 40 M elements, 360 ms) on the
// 2-core reference machine: more than all of the step's layer norms and softmaxes together.
// Here each call draws one 64-bit seed from LibTorch's default generator (so torch::manual_seed
// and the RNG state saved in checkpoints still decide every mask) and expands it with a
// counter-based generator (SplitMix64 of seed + word index; two 32-bit lanes per word), so
// the mask does not depend on how the work is split across threads. An element is dropped
// when its lane is below round(p * 2^32): the drop probability is p to within 2^-32.
// Masks are bool (one byte per element); forward and backward apply mask and 1 / (1 - p) in
// one pass over float32 data. CUDA tensors keep torch::dropout (fused kernels there).
#include <torch/torch.h>

#include <cstdint>

namespace ps::model {

// A keep mask (true = kept) of `sizes` on the CPU, each element kept with probability 1 - p.
torch::Tensor dropoutKeepMask(at::IntArrayRef sizes, double p);

// The draw behind dropoutKeepMask, for callers that generate parts of a mask themselves: the seed
// (taken from LibTorch's generator exactly as dropoutKeepMask takes it) and the threshold. Element
// e of the mask is a function of (seed, e) alone, so keepFlags(drawKeep(p), 0, n, out) after the
// same generator state gives dropoutKeepMask({n}, p)'s flags, and any range of them on its own.
struct KeepDraw {
    std::uint64_t seed = 0;
    std::uint64_t threshold = 0; // dropped when the 32-bit lane < threshold (2^32: all dropped)
};
KeepDraw drawKeep(double p);

// out[j] = the keep flag of element first + j of the mask, j in [0, n).
void keepFlags(const KeepDraw& draw, std::int64_t first, std::int64_t n, bool* out);

// x * keep * scale, elementwise, in place. keep: bool, x's shape. One pass when x is float32 and
// both are contiguous on the CPU; otherwise through LibTorch ops.
void applyKeepMask_(torch::Tensor& x, const torch::Tensor& keep, double scale);

// x * keep * scale as a new tensor (one pass under the same conditions; otherwise LibTorch ops).
torch::Tensor maskScaled(const torch::Tensor& x, const torch::Tensor& keep, double scale);

// Inverted dropout with autograd: in training, zeroes each element with probability p and
// scales the others by 1 / (1 - p); the backward applies the same mask. Identity when
// !training or p == 0. CUDA inputs go through torch::dropout.
torch::Tensor dropout(const torch::Tensor& x, double p, bool training);

} // namespace ps::model
