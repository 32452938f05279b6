#include "model/fast_gelu.h"

#include "util/env_switch.h"

#include <atomic>
#include <cmath>
#include <cstring>

#include "model/vector_exp.h"

namespace ps::model {

namespace {
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kCubic = 0.044715;

// PS_FAST_GELU=0: LibTorch's kernels (for comparisons); setFastGeluTanh at run time.
std::atomic<bool>& fastGeluSwitch() {
    static std::atomic<bool> on{!envIs("PS_FAST_GELU", "0")};
    return on;
}
} // namespace

void setFastGeluTanh(bool on) {
    fastGeluSwitch() = on;
}

// In the sigmoid form: the same function as 0.5 x (1 + tanh(u)), without its cancellation for x < 0.
double geluTanhReference(double x) {
    return x / (1.0 + std::exp(-2.0 * kSqrt2OverPi * (x + kCubic * x * x * x)));
}

double geluTanhDerivativeReference(double x) {
    const double e = std::exp(-2.0 * kSqrt2OverPi * (x + kCubic * x * x * x));
    if (std::isinf(e))
        return 0.0; // x -> -inf
    const double s = 1.0 / (1.0 + e);
    return s + 2.0 * x * s * (e * s) * kSqrt2OverPi * (1.0 + 3.0 * kCubic * x * x);
}

namespace {

// Element by element through the double-precision reference: builds and CPUs without the kernel.
void referenceForward(const float* x, float* y, long long n) {
    for (long long i = 0; i < n; ++i)
        y[i] = static_cast<float>(geluTanhReference(x[i]));
}

void referenceBackward(const float* g, const float* x, float* dx, long long n) {
    for (long long i = 0; i < n; ++i)
        dx[i] = static_cast<float>(g[i] * geluTanhDerivativeReference(x[i]));
}

} // namespace

#ifdef PS_VECTOR_EXP_X86

namespace {

// Beyond |x| = 20 the function is x or 0 and its derivative 1 or 0 to float precision
// (exp(-2u) < 1e-260 or > 1e260); clamping there keeps x^3 and exp finite. The constant is the
// first operand of max/min so that a NaN x comes out of the clamp as NaN.
PS_AVX2 inline __m256 clamped(__m256 x) {
    return _mm256_min_ps(_mm256_set1_ps(20.0f), _mm256_max_ps(_mm256_set1_ps(-20.0f), x));
}

// Lanes where x < -20 (false for NaN), whose value and derivative are 0.
PS_AVX2 inline __m256 farLeft(__m256 x) {
    return _mm256_cmp_ps(x, _mm256_set1_ps(-20.0f), _CMP_LT_OQ);
}

// s = 1 / (1 + e) with e = exp(-2u), for 8 lanes of clamped x; 1 - s = e s (no cancellation) in *oneMinus.
PS_AVX2 inline __m256 sigmoidOf2u(__m256 xc, __m256* oneMinus) {
    const __m256 x2 = _mm256_mul_ps(xc, xc);
    const __m256 u = _mm256_mul_ps(_mm256_mul_ps(xc, _mm256_set1_ps(static_cast<float>(kSqrt2OverPi))),
                                   _mm256_fmadd_ps(x2, _mm256_set1_ps(static_cast<float>(kCubic)), _mm256_set1_ps(1.0f)));
    const __m256 e = exp8(_mm256_mul_ps(u, _mm256_set1_ps(-2.0f)));
    const __m256 s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    if (oneMinus)
        *oneMinus = _mm256_mul_ps(e, s);
    return s;
}

PS_AVX2 inline __m256 forward8(__m256 x) {
    const __m256 y = _mm256_mul_ps(x, sigmoidOf2u(clamped(x), nullptr));
    return _mm256_andnot_ps(farLeft(x), y);
}

PS_AVX2 inline __m256 backward8(__m256 g, __m256 x) {
    const __m256 xc = clamped(x);
    __m256 oneMinusS;
    const __m256 s = sigmoidOf2u(xc, &oneMinusS);
    const __m256 du = _mm256_mul_ps(_mm256_set1_ps(static_cast<float>(kSqrt2OverPi)),
                                    _mm256_fmadd_ps(_mm256_mul_ps(xc, xc), _mm256_set1_ps(static_cast<float>(3.0 * kCubic)),
                                                    _mm256_set1_ps(1.0f)));
    // s + 2 x s (1 - s) du
    const __m256 t = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(xc, s), oneMinusS), _mm256_mul_ps(du, _mm256_set1_ps(2.0f)));
    return _mm256_andnot_ps(farLeft(x), _mm256_mul_ps(g, _mm256_add_ps(s, t)));
}

PS_AVX2 void forwardAvx2(const float* x, float* y, long long n) {
    long long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, forward8(_mm256_loadu_ps(x + i)));
    if (i < n) { // the tail through a padded buffer: the same lanes' code as the rest
        float in[8] = {}, out[8];
        std::memcpy(in, x + i, static_cast<std::size_t>(n - i) * sizeof(float));
        _mm256_storeu_ps(out, forward8(_mm256_loadu_ps(in)));
        std::memcpy(y + i, out, static_cast<std::size_t>(n - i) * sizeof(float));
    }
}

PS_AVX2 void backwardAvx2(const float* g, const float* x, float* dx, long long n) {
    long long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, backward8(_mm256_loadu_ps(g + i), _mm256_loadu_ps(x + i)));
    if (i < n) {
        float gi[8] = {}, xi[8] = {}, out[8];
        std::memcpy(gi, g + i, static_cast<std::size_t>(n - i) * sizeof(float));
        std::memcpy(xi, x + i, static_cast<std::size_t>(n - i) * sizeof(float));
        _mm256_storeu_ps(out, backward8(_mm256_loadu_ps(gi), _mm256_loadu_ps(xi)));
        std::memcpy(dx + i, out, static_cast<std::size_t>(n - i) * sizeof(float));
    }
}

} // namespace

bool fastGeluTanhAvailable() {
    return cpuHasAvx2Fma() && fastGeluSwitch();
}

void geluTanhForward(const float* x, float* y, long long n) {
    if (!cpuHasAvx2Fma()) // never the AVX2 code on a CPU without it, whatever the caller checked
        return referenceForward(x, y, n);
    forwardAvx2(x, y, n);
}

void geluTanhBackward(const float* g, const float* x, float* dx, long long n) {
    if (!cpuHasAvx2Fma())
        return referenceBackward(g, x, dx, n);
    backwardAvx2(g, x, dx, n);
}

#else // no x86 vector kernel in this build: callers keep LibTorch's gelu

bool fastGeluTanhAvailable() {
    return false;
}

void geluTanhForward(const float* x, float* y, long long n) {
    referenceForward(x, y, n);
}

void geluTanhBackward(const float* g, const float* x, float* dx, long long n) {
    referenceBackward(g, x, dx, n);
}

#endif

} // namespace ps::model
