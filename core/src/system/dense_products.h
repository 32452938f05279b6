#pragma once
// The training step's dense matrix products — the projections, the head and LoRA's rank-r
// factors — through oneDNN's sgemm when the process has it (internal header: includes torch).
//
// Why: Debian's LibTorch 1.13 sends float32 products to OpenBLAS 0.3.21, whose AVX-512 kernels
// reach 230-280 GFLOP/s on the projections' shapes on 2 cores and 70-85 on LoRA's rank-16 ones;
// oneDNN's sgemm (libdnnl, which that LibTorch already loads for its bf16 and convolution paths)
// reaches 290-320 and 120-140 on one core per part (benchmarks/RESULTS.md, session 13). Its
// threads are OpenMP's, which spin after each product and would take the cores from the studio's
// helpers (system/parallel_parts.h), so every call here runs oneDNN on one thread and the
// product is cut into parts — by columns of the output, or by rows when it has few columns — one
// per core, on the same helpers as the other split work. Each part is a whole product for its
// elements (the sums over k are not cut), so the split changes no sum's length.
//
// Used when: float32 on the CPU, oneDNN's `dnnl_sgemm` is in the process (looked up at run time,
// so that a LibTorch without it builds and runs the LibTorch path), the BLAS is OpenBLAS with its
// own pool (MKL builds run products on LibTorch's intra-op threads: left alone), LibTorch runs one
// intra-op thread, and PS_ONEDNN_PRODUCTS is not 0. Otherwise LibTorch's mm / addmm.
#include <torch/torch.h>

namespace ps::system {

// out = beta * out + alpha * a b for a [m, k], b [k, n] and out [m, n]; each may be a transposed
// or narrowed view (one unit stride), out may be a view of a larger tensor. With beta = 0 the old
// contents of out are ignored (NaN included), as the BLAS does.
void productInto(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b, double beta = 0.0,
                 double alpha = 1.0);

// a b as a new [m, n] tensor (LibTorch's mm, which autograd records, where oneDNN is not used).
torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b);

// Whether productInto can use oneDNN in this process and thread (it still checks each call's
// tensors), and a switch for tests and benchmarks (initially off with PS_ONEDNN_PRODUCTS=0).
bool oneDnnProductsAvailable();
void setOneDnnProducts(bool on);

} // namespace ps::system
