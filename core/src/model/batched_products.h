#pragma once
// Batched matrix products for the training attention's small blocks, straight to the BLAS
// (internal header: includes torch).
//
// Why: LibTorch 1.13's CPU bmm / baddbmm_ (without MKL) loop over the batch and dispatch one
// select() per operand and one addmm per matrix: for the attention's [64 x 64] x [64 x keys]
// blocks (GPT-2: 48 of them per call, ~3 000 calls per micro-batch) the dispatching cost a
// fifth of the attention's time in the profile (session 10, benchmarks/RESULTS.md). These call
// the Fortran BLAS `sgemm_` that LibTorch itself links (looked up at run time) once per matrix,
// with the strides as leading dimensions. Other dtypes and devices, strides a BLAS cannot take,
// or a process without `sgemm_` go through LibTorch's bmm_out / baddbmm_.
#include <torch/torch.h>

namespace ps::model {

// out[i] = a[i] b[i] for 3-D a [n, m, k], b [n, k, p], out [n, m, p] (out may be a strided view).
void bmmInto(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b);

// out[i] += a[i] b[i].
void bmmAddInto(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b);

// Whether the direct BLAS path is available in this process (for tests and benchmarks; on unless
// PS_DIRECT_BLAS=0).
bool directBlasProducts();
void setDirectBlasProducts(bool on);

} // namespace ps::model
