#pragma once
// GELU with the tanh approximation (GPT-2's gelu_new, gelu_pytorch_tanh) for training on the CPU,
// as a vectorised kernel (internal header; no torch).
//
// Why: LibTorch 1.13's gelu(approximate="tanh") and its backward evaluate tanh with SLEEF's
// 1-ulp tanh: ~10 ms for a [1 024, 3 072] float32 tensor on one core of the session-10 VM, against
// ~1 ms to copy it, so a GPT-2 LoRA micro-batch of 4 x 256 tokens spent ~5 % of its time in GELU
// (benchmarks/RESULTS.md, session 10). The identity 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)) needs
// one exp; this one is Cody-Waite range reduction and a degree-6 polynomial (relative error
// ~1e-7), 8 lanes at a time with AVX2 + FMA, picked at run time.
//
//   y  = x / (1 + e),                       e = exp(-2u), u = sqrt(2/pi) (x + 0.044715 x^3)
//   dy = g (s + 2 x s (1 - s) du/dx),       s = 1 / (1 + e), du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//
// Every element is computed by the same vector code (the tail too, through a padded buffer), so
// the result of an element does not depend on how an array is split into ranges. NaN inputs give
// NaN (the training loop's NaN check relies on it); +-inf give +-inf / 0 as the limits say.
// Differs from LibTorch's tanh form by a few 1e-7 in absolute value; for x < -3 it is more exact
// than 0.5 x (1 + tanh(u)), which cancels.
namespace ps::model {

// Whether this CPU (and this build) has the vector kernel and it is switched on; without it
// callers keep LibTorch's. On unless PS_FAST_GELU=0; setFastGeluTanh switches it (benchmarks).
bool fastGeluTanhAvailable();
void setFastGeluTanh(bool on);

// y[i] = gelu_tanh(x[i]) for i < n. Meant for fastGeluTanhAvailable(); without the vector kernel
// (or CPU support for it) both fall back to the double-precision reference, element by element.
void geluTanhForward(const float* x, float* y, long long n);
// dx[i] = g[i] * gelu_tanh'(x[i]) for i < n.
void geluTanhBackward(const float* g, const float* x, float* dx, long long n);

// The same two functions in double precision, one element at a time, in the sigmoid form (the
// tests' reference; tst_fast_gelu ties it to 0.5 x (1 + tanh(u)) and to central differences).
double geluTanhReference(double x);
double geluTanhDerivativeReference(double x);

} // namespace ps::model
