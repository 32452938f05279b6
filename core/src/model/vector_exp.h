#pragma once
// exp for 8 float lanes with AVX2 + FMA, a few lane helpers (horizontal max and sums, dropout keep
// flags as lane masks), and the run-time check for those instruction sets (internal header; no
// torch). Shared by the GELU kernel (fast_gelu.cpp), the head's softmax (train/head_softmax.cpp),
// the dropout pass (fast_dropout.cpp) and the attention's row kernels (attention_rows.cpp). It defines PS_VECTOR_EXP_X86 where it provides them (x86 with GCC
// or Clang): code that uses them goes inside #ifdef PS_VECTOR_EXP_X86, with a scalar path for the
// rest. Every function carries its own target attribute, so the rest of a file keeps the baseline
// ISA, and callers check cpuHasAvx2Fma() before running any of it.

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>
#define PS_VECTOR_EXP_X86 1
#define PS_AVX2 __attribute__((target("avx2,fma")))

namespace ps::model {

// exp(x) for 8 lanes: x clamped to [-87, 88] (so that 2^n stays a normal float), n = round(x / ln 2),
// r = x - n ln 2 in two parts (Cody-Waite), exp(r) by its Taylor polynomial to degree 6
// (|r| <= ln2 / 2: truncation error < 1.2e-7 relative), times 2^n built in the exponent bits.
// A NaN lane gives exp(-87), the clamp's lower bound: callers that must keep NaN check for it.
PS_AVX2 inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

PS_AVX2 inline float horizontalMax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

PS_AVX2 inline float horizontalSum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    return _mm_cvtss_f32(s);
}

PS_AVX2 inline double horizontalSum(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

// Eight bools (one byte each, 0 or 1: a dropout keep mask) as all-ones / all-zeros float lanes.
PS_AVX2 inline __m256 keptLanes(const bool* keep) {
    long long bytes;
    std::memcpy(&bytes, keep, sizeof bytes);
    const __m256i k = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(bytes));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(k, _mm256_setzero_si256()));
}

// Whether this CPU runs the AVX2 + FMA code (asked once).
inline bool cpuHasAvx2Fma() {
    static const bool ok = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return ok;
}

} // namespace ps::model

#endif
