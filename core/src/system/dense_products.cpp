#include "system/dense_products.h"

#include "system/blas_threads.h"
#include "system/parallel_parts.h"
#include "system/row_major_operand.h"
#include "system/runtime_symbol.h"
#include "util/env_switch.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace ps::system {
namespace {

// oneDNN's C API (dnnl.h, row-major): C = alpha op(A) op(B) + beta C; returns dnnl_success (0).
using DnnlSgemm = int (*)(char transa, char transb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                          std::int64_t ldc);

DnnlSgemm dnnlSgemm() {
    static const auto fn = system::runtimeSymbol<DnnlSgemm>("dnnl_sgemm");
    return fn;
}

std::atomic<bool>& oneDnnSwitch() {
    static std::atomic<bool> on{!envIs("PS_ONEDNN_PRODUCTS", "0")};
    return on;
}

// A [rows, cols] view as dnnl_sgemm takes it (row-major: the same flags as the view's own).
RowMajorOperand operandOf(const torch::Tensor& t) {
    return rowMajorOperand(t.size(0), t.size(1), t.stride(0), t.stride(1));
}

// The element (i, j) of a view described by `o` (rows i, columns j), as a pointer.
const float* elementAt(const float* base, const RowMajorOperand& o, std::int64_t i, std::int64_t j) {
    return o.trans == 'N' ? base + i * o.ld + j : base + j * o.ld + i;
}

// A float32 CPU matrix that autograd does not record a product of.
bool cpuFloatMatrix(const torch::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 && t.dim() == 2 &&
           !(at::GradMode::is_enabled() && t.requires_grad()); // autograd records LibTorch's product
}

void libTorchProductInto(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b, double beta,
                         double alpha) {
    auto o = out;
    if (beta == 0.0) {
        torch::mm_out(o, a, b);
        if (alpha != 1.0)
            o.mul_(alpha);
    } else {
        o.addmm_(a, b, beta, alpha);
    }
}

// Columns of at least this many per part, starting at multiples of 16 (one AVX-512 register of
// float32: the parts' kernels see the columns in the lanes the whole product would); rows when
// the output is narrower, at least 64 per part. Below ~0.25 MFLOP a product stays in one part.
constexpr std::int64_t kMinColumnsPerPart = 128, kColumnAlign = 16, kMinRowsPerPart = 64;
constexpr double kMinSplitWork = 1 << 18;

} // namespace

bool oneDnnProductsAvailable() {
    // One OpenMP thread in this thread (LibTorch's intra-op count; the helpers are set to one), so
    // that oneDNN runs no team of its own beside the parts.
    return oneDnnSwitch() && dnnlSgemm() != nullptr && system::blasThreads() > 0 && at::get_num_threads() == 1;
}

void setOneDnnProducts(bool on) {
    oneDnnSwitch() = on;
}

void productInto(const torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b, double beta, double alpha) {
    TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && out.dim() == 2 && a.size(1) == b.size(0) && out.size(0) == a.size(0) &&
                    out.size(1) == b.size(1),
                "productInto: shapes ", a.sizes(), " x ", b.sizes(), " -> ", out.sizes(), " do not match");
    const auto m = a.size(0), k = a.size(1), n = b.size(1);
    if (!oneDnnProductsAvailable() || !cpuFloatMatrix(out) || !cpuFloatMatrix(a) || !cpuFloatMatrix(b))
        return libTorchProductInto(out, a, b, beta, alpha);
    const auto oa = operandOf(a), ob = operandOf(b), oc = operandOf(out);
    if (!oa.ok || !ob.ok || !oc.ok || oc.trans != 'N')
        return libTorchProductInto(out, a, b, beta, alpha);
    if (m == 0 || n == 0)
        return;
    const float* pa = a.data_ptr<float>();
    const float* pb = b.data_ptr<float>();
    float* pc = out.data_ptr<float>();
    const auto fn = dnnlSgemm();
    // Parts: the pool's cores while the large products would run in the pool, the cores a
    // SingleThreadedBlas scope freed inside one, a single part inside a part.
    int parts = system::insideParts() ? 1 : std::max(system::smallProductParts(), system::blasThreads());
    const bool byColumns = n / kMinColumnsPerPart >= parts;
    const auto most = byColumns ? n / kMinColumnsPerPart : m / kMinRowsPerPart;
    parts = static_cast<int>(std::clamp<std::int64_t>(most, 1, parts));
    if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kMinSplitWork)
        parts = 1;
    const auto units = byColumns ? (n + kColumnAlign - 1) / kColumnAlign : m;
    system::runParts(parts, [&](int p) {
        const auto r = system::partRange(units, parts, p);
        std::int64_t i0 = 0, rows = m, j0 = 0, cols = n;
        if (byColumns) {
            j0 = r.first * kColumnAlign;
            cols = std::min<std::int64_t>(n, (r.first + r.count) * kColumnAlign) - j0;
        } else {
            i0 = r.first;
            rows = r.count;
        }
        if (rows <= 0 || cols <= 0)
            return;
        const int status =
            fn(oa.trans, ob.trans, rows, cols, k, static_cast<float>(alpha), elementAt(pa, oa, i0, 0), oa.ld,
               elementAt(pb, ob, 0, j0), ob.ld, static_cast<float>(beta), pc + i0 * oc.ld + j0, oc.ld);
        if (status != 0) // oneDNN could not (e.g. out of memory for its packing): LibTorch's product
            libTorchProductInto(out.narrow(0, i0, rows).narrow(1, j0, cols), a.narrow(0, i0, rows),
                                b.narrow(1, j0, cols), beta, alpha);
    });
}

torch::Tensor product(const torch::Tensor& a, const torch::Tensor& b) {
    if (!oneDnnProductsAvailable() || !cpuFloatMatrix(a) || !cpuFloatMatrix(b))
        return torch::mm(a, b); // recorded by autograd where it records
    auto out = torch::empty({a.size(0), b.size(1)}, a.options());
    productInto(out, a, b);
    return out;
}

} // namespace ps::system
