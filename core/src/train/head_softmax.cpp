#include "train/head_softmax.h"

#include "model/vector_exp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ps::train {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void fillNaN(float* row, std::int64_t vocab) {
    for (std::int64_t j = 0; j < vocab; ++j)
        row[j] = std::numeric_limits<float>::quiet_NaN();
}

// Pass 1: the largest value of a row, or NaN when the row holds a NaN or an infinity.
double finiteMaxReference(const float* row, std::int64_t vocab) {
    double m = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < vocab; ++j) {
        if (!std::isfinite(row[j]))
            return kNaN;
        m = std::max(m, static_cast<double>(row[j]));
    }
    return m;
}

// Pass 2: the sum of exp(x - m); with `store`, the row becomes exp(x - m).
double expSumReference(float* row, std::int64_t vocab, double m, bool store) {
    double sum = 0;
    for (std::int64_t j = 0; j < vocab; ++j) {
        const double e = std::exp(static_cast<double>(row[j]) - m);
        sum += e;
        if (store)
            row[j] = static_cast<float>(e);
    }
    return sum;
}

// Pass 3: the row times `by`.
void scaleReference(float* row, std::int64_t vocab, double by) {
    for (std::int64_t j = 0; j < vocab; ++j)
        row[j] = static_cast<float>(row[j] * by);
}

// The three passes of a row, in one implementation (the double reference or the AVX2 kernel).
struct RowPasses {
    double (*finiteMax)(const float* row, std::int64_t vocab); // NaN for a row with NaN or +-inf
    double (*expSum)(float* row, std::int64_t vocab, double m, bool store);
    void (*scale)(float* row, std::int64_t vocab, double by);
};

constexpr RowPasses kReferencePasses{finiteMaxReference, expSumReference, scaleReference};

void rowsWith(const RowPasses& passes, float* logits, std::int64_t first, std::int64_t count, std::int64_t vocab,
              std::int64_t stride, const std::int64_t* targets, bool gradient, double* loss) {
    for (std::int64_t i = first; i < first + count; ++i) {
        float* row = logits + i * stride;
        const double m = passes.finiteMax(row, vocab);
        if (std::isnan(m)) {
            loss[i - first] = kNaN;
            if (gradient)
                fillNaN(row, vocab);
            continue;
        }
        const double target = row[targets[i]];
        const double sum = passes.expSum(row, vocab, m, gradient);
        loss[i - first] = std::log(sum) + m - target;
        if (gradient) {
            passes.scale(row, vocab, 1.0 / sum);
            row[targets[i]] -= 1.0f;
        }
    }
}

} // namespace

void softmaxCrossEntropyRowsReference(float* logits, std::int64_t first, std::int64_t count, std::int64_t vocab,
                                      std::int64_t stride, const std::int64_t* targets, bool gradient, double* loss) {
    rowsWith(kReferencePasses, logits, first, count, vocab, stride, targets, gradient, loss);
}

#ifdef PS_VECTOR_EXP_X86

namespace {

// The maximum, or NaN when a value is NaN or infinite (x - x is NaN exactly for those).
PS_AVX2 double finiteMaxAvx2(const float* row, std::int64_t vocab) {
    __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    __m256 bad = _mm256_setzero_ps();
    std::int64_t j = 0;
    for (; j + 8 <= vocab; j += 8) {
        const __m256 x = _mm256_loadu_ps(row + j);
        vmax = _mm256_max_ps(vmax, x);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(x, x), _mm256_sub_ps(x, x), _CMP_UNORD_Q));
    }
    if (_mm256_movemask_ps(bad) != 0)
        return kNaN;
    const double tail = finiteMaxReference(row + j, vocab - j); // -inf when there is none
    return std::isnan(tail) ? kNaN : std::max<double>(model::horizontalMax(vmax), tail);
}

// exp(x - m) in float (x - m <= 0: no overflow), summed in double: a float sum of 50 000 terms per
// lane would lose ~1e-4 in the worst case.
PS_AVX2 double expSumAvx2(float* row, std::int64_t vocab, double m, bool store) {
    const __m256 vm = _mm256_set1_ps(static_cast<float>(m));
    __m256d sumLo = _mm256_setzero_pd(), sumHi = _mm256_setzero_pd();
    std::int64_t j = 0;
    for (; j + 8 <= vocab; j += 8) {
        const __m256 e = model::exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), vm));
        if (store)
            _mm256_storeu_ps(row + j, e);
        sumLo = _mm256_add_pd(sumLo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        sumHi = _mm256_add_pd(sumHi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double sum = model::horizontalSum(_mm256_add_pd(sumLo, sumHi));
    for (; j < vocab; ++j) {
        const float e = std::exp(row[j] - static_cast<float>(m));
        if (store)
            row[j] = e;
        sum += e;
    }
    return sum;
}

PS_AVX2 void scaleAvx2(float* row, std::int64_t vocab, double by) {
    const float f = static_cast<float>(by);
    const __m256 vf = _mm256_set1_ps(f);
    std::int64_t j = 0;
    for (; j + 8 <= vocab; j += 8)
        _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), vf));
    for (; j < vocab; ++j)
        row[j] *= f;
}

constexpr RowPasses kAvx2Passes{finiteMaxAvx2, expSumAvx2, scaleAvx2};

} // namespace

#endif

void softmaxCrossEntropyRows(float* logits, std::int64_t first, std::int64_t count, std::int64_t vocab,
                             std::int64_t stride, const std::int64_t* targets, bool gradient, double* loss) {
#ifdef PS_VECTOR_EXP_X86
    if (model::cpuHasAvx2Fma())
        return rowsWith(kAvx2Passes, logits, first, count, vocab, stride, targets, gradient, loss);
#endif
    rowsWith(kReferencePasses, logits, first, count, vocab, stride, targets, gradient, loss);
}

} // namespace ps::train
