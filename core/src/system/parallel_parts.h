#pragma once
// Small products split across the cores, on helper threads that sleep between calls
// (internal header; no torch).
//
// Why: with LibTorch at one intra-op thread (OpenBLAS keeps its own pool, see blas_threads.h) the
// attention's batched products, its softmax, and LoRA's rank-r products ran on one core, because
// OpenBLAS's own split of such small products is slower than one thread. Cut by batch (or by
// rows) into independent parts, each part on its own core with a single-threaded BLAS, they run
// ~2x faster on 2 cores (llama-135m shapes: the attention blocks 9.2 → 3.5 ms per layer, the
// rank-16 products of gate_proj 4.3 → 2.1 ms; benchmarks/RESULTS.md, session 7).
// The helpers block on a condition variable (no spinning), so they never compete with OpenBLAS's
// pool for the cores between calls, as a second LibTorch intra-op thread (OpenMP, spinning) does.
#include <functional>

namespace ps::system {

// How many parts small products may be cut into right now: inside an active SingleThreadedBlas
// scope, the size of the pool it took away (the cores are free); otherwise 1. Always 1 with
// PS_SPLIT_SMALL_PRODUCTS=0 in the environment (for comparisons).
int smallProductParts();

// Runs fn(0) … fn(parts - 1) and returns when all have: part 0 in the caller's thread, the others
// on helper threads, which carry the caller's LibTorch thread-local state (grad mode, dispatch
// keys, profiler). A call made while another thread's call is running, or from inside a part,
// runs its parts one after another in the caller. The first exception a part throws is rethrown
// here, after every part has finished.
void runParts(int parts, const std::function<void(int part)>& fn);

// Whether this thread is running a part now (a helper, or a caller inside its runParts): work it
// starts there runs in this thread alone (a nested runParts runs its parts one after another).
bool insideParts();

// The [first, first + count) range of `n` items that part `part` of `parts` owns (even shares,
// the first n % parts parts one larger).
struct PartRange {
    long long first = 0, count = 0;
};
PartRange partRange(long long n, int parts, int part);

// Elementwise and row-wise work over [0, n) on the free cores: on the CPU (`cpu`), inside its own
// SingleThreadedBlas scope, cut into up to smallProductParts() ranges of at least `minPerPart`
// items, each starting at a multiple of `align` (e.g. 64 elements, so that vectorised loops see the
// same lanes as unsplit and give the same bits); runs fn(first, count) for each, in parallel.
// One call fn(0, n) where nothing is to be gained (CUDA, one core, small n).
void runRangeParts(bool cpu, long long n, long long minPerPart, long long align,
                   const std::function<void(long long first, long long count)>& fn);

// Called by SingleThreadedBlas (blas_threads.cpp): the pool size a scope took away, 1 when it ends.
void setSmallProductParts(int parts);

// Tests and benchmarks: smallProductParts() returns `parts` wherever it is asked (0: back to the
// scopes' value), so that a split can be compared with no split on any machine.
void overrideSmallProductParts(int parts);

} // namespace ps::system
