#include "model/attention_rows.h"

#include "model/vector_exp.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace ps::model {

#ifdef PS_VECTOR_EXP_X86

namespace {

PS_AVX2 void maskedSoftmaxRowAvx2(float* x, const float* mask, const bool* keep, float keepScale, std::int64_t n) {
    // Pass 1: x += mask, the maximum, and whether a value is NaN.
    __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 nan = _mm256_setzero_ps();
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_loadu_ps(x + j);
        if (mask) {
            v = _mm256_add_ps(v, _mm256_loadu_ps(mask + j));
            _mm256_storeu_ps(x + j, v);
        }
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        vmax = _mm256_max_ps(vmax, v);
    }
    float m = horizontalMax(vmax);
    bool anyNaN = _mm256_movemask_ps(nan) != 0;
    for (; j < n; ++j) {
        if (mask)
            x[j] += mask[j];
        anyNaN = anyNaN || std::isnan(x[j]);
        m = std::max(m, x[j]);
    }
    if (anyNaN) {
        for (j = 0; j < n; ++j)
            x[j] = std::numeric_limits<float>::quiet_NaN();
        return;
    }
    // Pass 2: x = exp(x - max) (0 below -87, exp8's clamp: masked scores give exactly 0), summed.
    const __m256 vm = _mm256_set1_ps(m), floor = _mm256_set1_ps(-87.0f);
    __m256 vsum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm);
        const __m256 e = _mm256_and_ps(exp8(d), _mm256_cmp_ps(d, floor, _CMP_GE_OQ));
        _mm256_storeu_ps(x + j, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = horizontalSum(vsum);
    for (; j < n; ++j) {
        x[j] = std::exp(x[j] - m);
        sum += x[j];
    }
    // Pass 3: the scaling, with the dropout.
    const float inv = 1.0f / sum;
    const __m256 vinv = _mm256_set1_ps(inv), vkeep = _mm256_set1_ps(inv * keepScale);
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 v = _mm256_loadu_ps(x + j);
        _mm256_storeu_ps(x + j, keep ? _mm256_and_ps(_mm256_mul_ps(v, vkeep), keptLanes(keep + j))
                                     : _mm256_mul_ps(v, vinv));
    }
    for (; j < n; ++j)
        x[j] = keep ? (keep[j] ? x[j] * (inv * keepScale) : 0.0f) : x[j] * inv;
}

PS_AVX2 void softmaxBackwardRowAvx2(const float* p, float* dP, const bool* keep, float keepScale, std::int64_t n) {
    const __m256 vs = _mm256_set1_ps(keepScale);
    // Pass 1: g = dP with the dropout mask (stored), and sum g * p.
    __m256 vdot = _mm256_setzero_ps();
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 g = _mm256_loadu_ps(dP + j);
        if (keep) {
            g = _mm256_and_ps(_mm256_mul_ps(g, vs), keptLanes(keep + j));
            _mm256_storeu_ps(dP + j, g);
        }
        vdot = _mm256_fmadd_ps(g, _mm256_loadu_ps(p + j), vdot);
    }
    float dot = horizontalSum(vdot);
    for (; j < n; ++j) {
        if (keep)
            dP[j] = keep[j] ? dP[j] * keepScale : 0.0f;
        dot += dP[j] * p[j];
    }
    // Pass 2: dS = p * (g - dot).
    const __m256 vd = _mm256_set1_ps(dot);
    for (j = 0; j + 8 <= n; j += 8)
        _mm256_storeu_ps(dP + j, _mm256_mul_ps(_mm256_loadu_ps(p + j), _mm256_sub_ps(_mm256_loadu_ps(dP + j), vd)));
    for (; j < n; ++j)
        dP[j] = p[j] * (dP[j] - dot);
}

} // namespace

bool attentionRowKernelsAvailable() {
    return cpuHasAvx2Fma();
}

void maskedSoftmaxRow(float* x, const float* mask, const bool* keep, float keepScale, std::int64_t n) {
    maskedSoftmaxRowAvx2(x, mask, keep, keepScale, n);
}

void softmaxBackwardRow(const float* p, float* dP, const bool* keep, float keepScale, std::int64_t n) {
    softmaxBackwardRowAvx2(p, dP, keep, keepScale, n);
}

#else

bool attentionRowKernelsAvailable() {
    return false;
}

// Never called: callers check attentionRowKernelsAvailable() first.
void maskedSoftmaxRow(float*, const float*, const bool*, float, std::int64_t) {
    throw std::logic_error("maskedSoftmaxRow: no AVX2 kernels in this build");
}
void softmaxBackwardRow(const float*, float*, const bool*, float, std::int64_t) {
    throw std::logic_error("softmaxBackwardRow: no AVX2 kernels in this build");
}

#endif

} // namespace ps::model
