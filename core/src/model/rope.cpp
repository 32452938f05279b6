#include "model/rope.h"

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

} // namespace

torch::Tensor applyRope(const torch::Tensor& x, const RopeTables& t) {
    const auto rot = t.cos.size(-1);
    if (rot == x.size(-1))
        return x * t.cos + rotateHalf(x) * t.sin;
    const auto xr = x.narrow(-1, 0, rot);
    const auto pass = x.narrow(-1, rot, x.size(-1) - rot);
    return torch::cat({xr * t.cos + rotateHalf(xr) * t.sin, pass}, -1);
}

} // namespace ps::model
