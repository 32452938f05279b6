#include "model/fast_dropout.h"

#include "model/vector_exp.h"
#include "system/parallel_parts.h"

#include <torch/autograd.h>

#include <cstdint>
#include <limits>

namespace ps::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::uint64_t splitMix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// One 63-bit seed from LibTorch's default generator (it holds the generator's lock).
std::uint64_t drawSeed() {
    const auto t = torch::randint(std::numeric_limits<std::int64_t>::max(), {1},
                                  torch::TensorOptions().dtype(torch::kInt64));
    return static_cast<std::uint64_t>(t.item<std::int64_t>());
}

// One pass over float32 data: x and keep contiguous on the CPU, of the same sizes.
bool fastPath(const torch::Tensor& x, const torch::Tensor& keep) {
    return x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && x.is_contiguous() &&
           keep.device().is_cpu() && keep.scalar_type() == torch::kBool && keep.is_contiguous() &&
           keep.sizes() == x.sizes();
}

// to[i] = keep[i] ? from[i] * scale : 0 for n elements (from may alias to). The AVX2 kernel gives
// the same bits as the scalar loop (a product, then a select), ~10x faster than it or than
// LibTorch's x.mul_(keep).mul_(scale) on rows of 130 (7 vs 70 us for [6, 78, 130]; the loop's
// branchy select does not vectorise).
void scaleKeptScalar(const float* from, const bool* keep, float* to, std::int64_t n, float scale) {
    for (std::int64_t i = 0; i < n; ++i)
        to[i] = keep[i] ? from[i] * scale : 0.0f;
}

#ifdef PS_VECTOR_EXP_X86
PS_AVX2 void scaleKeptAvx2(const float* from, const bool* keep, float* to, std::int64_t n, float scale) {
    const __m256 vs = _mm256_set1_ps(scale);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(to + i, _mm256_and_ps(_mm256_mul_ps(_mm256_loadu_ps(from + i), vs), keptLanes(keep + i)));
    }
    scaleKeptScalar(from + i, keep + i, to + i, n - i, scale);
}
#endif

void scaleKept(const float* from, const bool* keep, float* to, std::int64_t n, float scale) {
#ifdef PS_VECTOR_EXP_X86
    if (cpuHasAvx2Fma())
        return scaleKeptAvx2(from, keep, to, n, scale);
#endif
    scaleKeptScalar(from, keep, to, n, scale);
}

// out = in * (keep ? scale : 0) element by element; in may alias out. In element ranges on the
// free cores (system::runRangeParts: LibTorch's own pool has one thread while OpenBLAS keeps its
// pool).
void maskScale(const float* in, const bool* keep, float* out, std::int64_t n, float scale) {
    system::runRangeParts(true, n, 1 << 16, 64, [&](long long first, long long count) {
        scaleKept(in + first, keep + first, out + first, count, scale);
    });
}

} // namespace

torch::Tensor maskScaled(const torch::Tensor& x, const torch::Tensor& keep, double scale) {
    const auto in = x.contiguous();
    if (!fastPath(in, keep))
        return in * keep * scale;
    auto out = torch::empty_like(in, torch::MemoryFormat::Contiguous);
    maskScale(in.data_ptr<float>(), keep.data_ptr<bool>(), out.data_ptr<float>(), in.numel(), static_cast<float>(scale));
    return out;
}

namespace {

class DropoutFunction final : public torch::autograd::Function<DropoutFunction> {
public:
    static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double p) {
        const auto keep = dropoutKeepMask(x.sizes(), p);
        const double scale = 1.0 / (1.0 - p);
        ctx->save_for_backward({keep});
        ctx->saved_data["scale"] = scale;
        return maskScaled(x, keep, scale);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto keep = ctx->get_saved_variables()[0];
        const double scale = ctx->saved_data["scale"].toDouble();
        return {maskScaled(grads[0], keep, scale), torch::Tensor()};
    }
};

} // namespace

KeepDraw drawKeep(double p) {
    KeepDraw d;
    d.seed = drawSeed();
    // Dropped when the 32-bit lane < threshold; p >= 1 drops everything.
    const double t = std::min(1.0, std::max(0.0, p)) * 4294967296.0;
    d.threshold = t >= 4294967296.0 ? (1ULL << 32) : static_cast<std::uint64_t>(t + 0.5);
    return d;
}

void keepFlags(const KeepDraw& draw, std::int64_t first, std::int64_t n, bool* out) {
    // Word w = SplitMix64(seed + w * step) holds elements 2w (low 32 bits) and 2w + 1 (high).
    constexpr std::uint64_t step = 0x632be59bd9b4e019ULL;
    std::int64_t e = first;
    const std::int64_t end = first + n;
    while (e < end) {
        const std::uint64_t r = splitMix64(draw.seed + static_cast<std::uint64_t>(e / 2) * step);
        if (e % 2 == 0)
            out[e++ - first] = (r & 0xffffffffULL) >= draw.threshold;
        if (e < end)
            out[e++ - first] = (r >> 32) >= draw.threshold;
    }
}

torch::Tensor dropoutKeepMask(at::IntArrayRef sizes, double p) {
    auto keep = torch::empty(sizes, torch::TensorOptions().dtype(torch::kBool));
    const std::int64_t n = keep.numel();
    if (n == 0)
        return keep;
    const auto draw = drawKeep(p);
    bool* out = keep.data_ptr<bool>();
    const std::int64_t words = (n + 1) / 2;
    system::runRangeParts(true, words, 1 << 15, 32, [&](long long first, long long count) {
        const std::int64_t from = 2 * first;
        keepFlags(draw, from, std::min<std::int64_t>(2 * count, n - from), out + from);
    });
    return keep;
}

void applyKeepMask_(torch::Tensor& x, const torch::Tensor& keep, double scale) {
    if (fastPath(x, keep)) {
        float* d = x.data_ptr<float>();
        maskScale(d, keep.data_ptr<bool>(), d, x.numel(), static_cast<float>(scale));
        return;
    }
    x.mul_(keep).mul_(scale);
}

torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
    if (!training || p <= 0.0)
        return x;
    if (!x.device().is_cpu())
        return torch::dropout(x, p, true);
    if (p >= 1.0)
        return x * 0.0;
    return DropoutFunction::apply(x, p);
}

} // namespace ps::model
