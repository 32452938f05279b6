#include "model/rope.h"

#include "system/parallel_parts.h"

#include <torch/autograd.h>

#include <cmath>

namespace ps::model {

torch::Tensor ropeDefaultInvFreq(double base, std::int64_t dim) {
    // transformers: 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    const auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
    return 1.0 / torch::pow(base, exponents);
}

torch::Tensor ropeInvFreq(const ModelConfig& c, std::int64_t seqLen) {
    const std::int64_t dim = c.rotaryDim();
    const RopeScaling& rs = c.ropeScaling;
    if (rs.type == "linear")
        return ropeDefaultInvFreq(c.ropeTheta, dim) / rs.factor;
    if (rs.type == "dynamic") {
        const double maxPos = static_cast<double>(c.maxPositionEmbeddings);
        const double len = seqLen > c.maxPositionEmbeddings ? static_cast<double>(seqLen) : maxPos;
        const double base = c.ropeTheta * std::pow(rs.factor * len / maxPos - (rs.factor - 1.0),
                                                   static_cast<double>(dim) / static_cast<double>(dim - 2));
        return ropeDefaultInvFreq(base, dim);
    }
    auto invFreq = ropeDefaultInvFreq(c.ropeTheta, dim);
    if (rs.type == "llama3") {
        const double oldContext = static_cast<double>(rs.originalMaxPositionEmbeddings);
        const double lowFreqWavelen = oldContext / rs.lowFreqFactor;
        const double highFreqWavelen = oldContext / rs.highFreqFactor;
        const auto wavelen = 2.0 * M_PI / invFreq;
        // Long wavelengths are divided by factor, short ones kept, the band between
        // interpolated smoothly.
        auto scaled = torch::where(wavelen > lowFreqWavelen, invFreq / rs.factor, invFreq);
        const auto smooth = (oldContext / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
        const auto smoothed = (1.0 - smooth) * scaled / rs.factor + smooth * scaled;
        const auto medium = (wavelen >= highFreqWavelen).logical_and(wavelen <= lowFreqWavelen);
        invFreq = torch::where(medium, smoothed, scaled);
    }
    return invFreq;
}

RopeTables ropeTables(const torch::Tensor& invFreq, const torch::Tensor& positionIds, torch::Dtype dtype) {
    const auto inv = invFreq.to(positionIds.device());
    // freqs[b, t, i] = position[b, t] * inv_freq[i] (one float32 product, like transformers' outer product)
    const auto freqs = positionIds.to(torch::kFloat32).unsqueeze(-1) * inv;
    const auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);
    return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

namespace {

torch::Tensor rotateHalf(const torch::Tensor& x) {
    const auto half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// Rotary embedding while training on the CPU in float32, as one autograd node with hand-written
// loops: q/k arrive as the [B, H, T, D] view of the projection's [B, T, H, D] output; forward
// writes x * cos + rotate_half(x) * sin straight into a contiguous [B, H, T, D] (the layout the
// attention wants, so no copy there) and backward the input gradient straight into the
// projection's [B, T, H, D] layout (so none there either), one pass each instead of the recorded
// graph's mul/neg/cat/slice passes and their gradients. With the halves x = [x1, x2] of the first
// `rot` features:  out1 = x1 c1 - x2 s1,  out2 = x2 c2 + x1 s2  (the rest passes through), and
// backward    dx1 = g1 c1 + g2 s2,  dx2 = g2 c2 - g1 s1.
// (b, h) rows are cut across the free cores (system/parallel_parts.h).
class RopeFunction final : public torch::autograd::Function<RopeFunction> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& cos, const torch::Tensor& sin) {
        const auto c = cos.contiguous(), s = sin.contiguous();
        ctx->save_for_backward({c, s});
        auto out = torch::empty(x.sizes(), x.options()); // contiguous [B, H, T, D]
        rotate(x, c, s, out, /*inverse=*/false);
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        auto g = grads[0];
        if (g.stride(-1) != 1)
            g = g.contiguous();
        const auto B = g.size(0), H = g.size(1), T = g.size(2), D = g.size(3);
        auto dx = torch::empty({B, T, H, D}, g.options()).transpose(1, 2); // the projection's layout
        rotate(g, saved[0], saved[1], dx, /*inverse=*/true);
        return {dx, torch::Tensor(), torch::Tensor()};
    }

    static bool applies(const torch::Tensor& x, const RopeTables& t) {
        return x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && t.cos.scalar_type() == torch::kFloat32 &&
               t.sin.scalar_type() == torch::kFloat32 && x.dim() == 4 && x.stride(3) == 1 && t.cos.dim() == 4 &&
               t.cos.size(1) == 1 && t.cos.size(-1) % 2 == 0 && t.cos.size(-1) <= x.size(3) &&
               t.cos.size(2) == x.size(2) && (t.cos.size(0) == 1 || t.cos.size(0) == x.size(0)) &&
               t.sin.sizes() == t.cos.sizes();
    }

private:
    // out = rotation of x by the tables (or by their inverse: the transpose, for the gradient);
    // x and out [B, H, T, D] with any strides but a unit last one, tables [1|B, 1, T, rot] contiguous.
    static void rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, torch::Tensor& out,
                       bool inverse) {
        const auto H = x.size(1), T = x.size(2), D = x.size(3), rot = cos.size(-1), half = rot / 2;
        const bool perBatch = cos.size(0) > 1;
        const float* xp = x.data_ptr<float>();
        float* op = out.data_ptr<float>();
        const float *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
        const auto xs = x.strides(), os = out.strides();
        system::runRangeParts(true, x.size(0) * H, 4, 1, [&](long long first, long long count) {
            for (long long row = first; row < first + count; ++row) {
                const auto b = row / H, h = row % H;
                for (std::int64_t t = 0; t < T; ++t) {
                    const float* in = xp + b * xs[0] + h * xs[1] + t * xs[2];
                    float* o = op + b * os[0] + h * os[1] + t * os[2];
                    const float* c = cp + ((perBatch ? b : 0) * T + t) * rot;
                    const float* s = sp + ((perBatch ? b : 0) * T + t) * rot;
                    if (!inverse) {
                        for (std::int64_t i = 0; i < half; ++i)
                            o[i] = in[i] * c[i] - in[i + half] * s[i];
                        for (std::int64_t i = 0; i < half; ++i)
                            o[i + half] = in[i + half] * c[i + half] + in[i] * s[i + half];
                    } else {
                        for (std::int64_t i = 0; i < half; ++i)
                            o[i] = in[i] * c[i] + in[i + half] * s[i + half];
                        for (std::int64_t i = 0; i < half; ++i)
                            o[i + half] = in[i + half] * c[i + half] - in[i] * s[i];
                    }
                    for (std::int64_t i = rot; i < D; ++i)
                        o[i] = in[i];
                }
            }
        });
    }
};

} // namespace

torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& t) {
    if (torch::GradMode::is_enabled() && x.requires_grad() && !t.cos.requires_grad() && !t.sin.requires_grad() &&
        RopeFunction::applies(x, t))
        return RopeFunction::apply(x, t.cos, t.sin);
    const auto rot = t.cos.size(-1);
    if (rot == x.size(-1))
        return x * t.cos + rotateHalf(x) * t.sin;
    const auto xr = x.narrow(-1, 0, rot);
    const auto pass = x.narrow(-1, rot, x.size(-1) - rot);
    return torch::cat({xr * t.cos + rotateHalf(xr) * t.sin, pass}, -1);
}

} // namespace ps::model
