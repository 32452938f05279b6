#include "model/batched_products.h"

#include "system/row_major_operand.h"
#include "system/runtime_symbol.h"
#include "util/env_switch.h"

#include <atomic>
#include <climits>

namespace ps::model {
namespace {

using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                         const int*, const float*, const int*, const float*, float*, const int*);

SgemmFn sgemm() {
    static const auto fn = system::runtimeSymbol<SgemmFn>("sgemm_");
    return fn;
}

std::atomic<bool>& directSwitch() {
    static std::atomic<bool> on{!envIs("PS_DIRECT_BLAS", "0")};
    return on;
}

// A row-major [rows, cols] matrix as the BLAS sees it (system/row_major_operand.h: column-major
// memory holds its transpose, so the flags and leading dimensions are those of the row-major view).
struct BlasOperand {
    char trans = 'N';
    int ld = 0;
    bool ok = false;
};

BlasOperand operandOf(const torch::Tensor& t) { // t: [n, rows, cols]
    const auto o = system::rowMajorOperand(t.size(1), t.size(2), t.stride(1), t.stride(2));
    if (!o.ok || o.ld > INT_MAX)
        return {};
    return {o.trans, static_cast<int>(o.ld), true};
}

bool sizesFit(const torch::Tensor& t) {
    return t.size(1) <= INT_MAX && t.size(2) <= INT_MAX;
}

// out[i] = beta * out[i] + a[i] b[i] through sgemm_, or false when it cannot.
bool direct(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b, float beta) {
    const auto fn = sgemm();
    if (!fn || !directSwitch() || !out.device().is_cpu() || out.scalar_type() != torch::kFloat32 ||
        a.scalar_type() != torch::kFloat32 || b.scalar_type() != torch::kFloat32 || !a.device().is_cpu() ||
        !b.device().is_cpu() || a.dim() != 3 || b.dim() != 3 || out.dim() != 3)
        return false;
    const auto n = a.size(0), m = a.size(1), k = a.size(2), p = b.size(2);
    TORCH_CHECK(b.size(0) == n && b.size(1) == k && out.size(0) == n && out.size(1) == m && out.size(2) == p,
                "bmmInto: shapes do not match");
    if (!sizesFit(a) || !sizesFit(b) || !sizesFit(out) || out.stride(2) != 1 ||
        out.stride(1) < std::max<std::int64_t>(1, p) || out.stride(1) > INT_MAX)
        return false;
    if (m == 0 || p == 0 || n == 0)
        return true;
    if (k == 0) {
        if (beta == 0.0f)
            out.zero_();
        return true;
    }
    // Row-major out = a b is column-major out^T = b^T a^T: the BLAS's first operand is b.
    const auto opA = operandOf(b), opB = operandOf(a);
    if (!opA.ok || !opB.ok)
        return false;
    const int M = static_cast<int>(p), N = static_cast<int>(m), K = static_cast<int>(k),
              ldc = static_cast<int>(out.stride(1));
    const float alpha = 1.0f;
    const float* pb = b.data_ptr<float>();
    const float* pa = a.data_ptr<float>();
    float* pc = out.data_ptr<float>();
    for (std::int64_t i = 0; i < n; ++i)
        fn(&opA.trans, &opB.trans, &M, &N, &K, &alpha, pb + i * b.stride(0), &opA.ld, pa + i * a.stride(0), &opB.ld,
           &beta, pc + i * out.stride(0), &ldc);
    return true;
}

} // namespace

void bmmInto(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b) {
    if (!direct(out, a, b, 0.0f))
        torch::bmm_out(out, a, b);
}

void bmmAddInto(torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b) {
    if (!direct(out, a, b, 1.0f))
        out.baddbmm_(a, b);
}

bool directBlasProducts() {
    return sgemm() != nullptr && directSwitch();
}

void setDirectBlasProducts(bool on) {
    directSwitch() = on;
}

} // namespace ps::model
