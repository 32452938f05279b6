#pragma once
// The BLAS library's own thread pool, and a tuner that sizes it to what the machine gives now
// (internal header; no torch).
//
// Why: LibTorch's float32 GEMMs run in OpenBLAS's pool (configureThreads keeps LibTorch's own
// pool at one thread, see ps/system_info.h). On an idle machine every core helps (2 cores: ~180
// vs ~90 GFLOP/s). While another program keeps a core busy — even at nice 19 — OpenBLAS's threads
// wait on each other at every product: a GPT-2 LoRA step took 10.4 s with 2 threads and 6.5 s
// with 1 beside two niced compilers (benchmarks/RESULTS.md). Neither count is right all the time,
// so the trainer measures.
#include <cstdint>
#include <string>
#include <vector>

namespace ps::system {

// OpenBLAS's pool size (openblas_get/set_num_threads, looked up at run time, so that any BLAS
// can be linked). blasThreads() is 0 and setBlasThreads() false when the BLAS in the process has
// no such pool (MKL builds follow LibTorch's own thread count instead).
int blasThreads();
bool setBlasThreads(int threads);

// Runs the BLAS single-threaded for the products made in its scope, then restores the pool.
// OpenBLAS splits skinny products (a LoRA rank of 16 on one side) and the attention's small batched
// ones so badly between two threads that one thread is faster (benchmarks/bench_gemm_floor with
// OPENBLAS_NUM_THREADS=1 vs 2, llama-135m shapes: LoRA products ~80 vs 28-130 GFLOP/s, attention
// blocks ~95 vs 55-72), while the large projections gain from the pool. Inside the scope the
// cores the pool gave up are the caller's: system::smallProductParts() (parallel_parts.h) says how
// many, and the attention, LoRA's rank-r products, RoPE, SwiGLU and RMSNorm's backward cut their
// work into that many parts, one single-threaded part per core. A no-op without an OpenBLAS pool
// of more than one thread, or with PS_SMALL_GEMM_THREADS=0 in the environment.
// Not reentrant across threads: the pool size is process-wide (as for BlasThreadTuner).
// setSmallProductsSingleThreaded switches every such scope on or off at run time (the trainer
// measures both, see BlasThreadTuner); the initial state follows the environment.
void setSmallProductsSingleThreaded(bool on);

// OpenBLAS's idle pool threads spin for 2^28 cycles (~0.1 s) after each pooled product before
// they sleep. Every SingleThreadedBlas scope that follows a pooled product within that time finds
// them spinning on the cores its parts run on (system/parallel_parts.h): measured on llama-135m
// shapes, a pooled product followed by the attention split in two took 16.0 ms with the spin and
// 12.8 ms without, against 16.3 ms unsplit. This re-reads OpenBLAS's settings with
// OPENBLAS_THREAD_TIMEOUT=20 (2^20 cycles, ~0.3 ms: long enough that back-to-back products never
// wait for a sleeping thread) and restarts its pool. Call it first thing in main(), before any
// other thread exists or any product runs. Does nothing — and returns false — when the user set
// OPENBLAS_THREAD_TIMEOUT (or GOTO_THREAD_TIMEOUT) themselves, when PS_BLAS_SPIN=keep, or when
// the process has no OpenBLAS pool of two or more threads with these entry points.
bool shortenBlasIdleSpin();
// Whether shortenBlasIdleSpin() changed the pool in this process (for `doctor`).
bool blasIdleSpinShortened();

// OpenBLAS picks its kernels for the CPU model when it loads, and a release that predates the CPU
// falls back to its oldest x86-64 set, "Prescott" (SSE3): Debian 12's OpenBLAS 0.3.21 on an
// Emerald Rapids Xeon (family 6, model 207) did a 1024^3 float32 GEMM at ~62 GFLOP/s on 2 cores
// instead of ~260-300 with the AVX-512 set (benchmarks/RESULTS.md, session 9). This re-selects, the
// way newer OpenBLAS releases classify a CPU they do not know by its instruction sets: AVX-512
// with BF16 -> "Cooperlake", AVX-512 (F, BW, VL, DQ, CD) -> "SkylakeX", AVX2 + FMA -> "Haswell".
// Only the Prescott fallback is replaced (a set OpenBLAS chose for a CPU it knows stays), never
// when the user set OPENBLAS_CORETYPE, nor with PS_BLAS_CORE=keep. Call first thing in main(),
// before any product runs. Returns the set it switched to, or "" when it changed nothing.
std::string selectBlasKernels();
// OpenBLAS's kernel set now ("" without OpenBLAS), and what selectBlasKernels() replaced ("" if nothing).
std::string blasKernelSet();
std::string blasKernelSetReplaced();

// The decision of selectBlasKernels(), pure: the sets to try, best first, instead of `detected` on
// a CPU with these instruction sets (an OpenBLAS build may lack the newest); none: keep it.
struct CpuVectorSets {
    bool avx2 = false, fma = false, avx512 = false, avx512bf16 = false; // avx512: F, BW, VL, DQ and CD
};
std::vector<std::string> blasKernelSetsFor(const std::string& detected, const CpuVectorSets& cpu);
CpuVectorSets cpuVectorSets(); // this CPU's, as the OS enables them
bool smallProductsSingleThreaded();

class SingleThreadedBlas {
public:
    explicit SingleThreadedBlas(bool active = true); // active = false: does nothing
    ~SingleThreadedBlas() { restore(); }
    void restore(); // gives the pool back now (the destructor then does nothing)
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

private:
    int restore_ = 0;
};

// What the trainer (and `bench`) measure while training on the CPU with an OpenBLAS pool: the
// pool with the small products split across its cores (SingleThreadedBlas scopes), and one
// thread. Empty when there is nothing to choose: no OpenBLAS pool of two or more threads, LibTorch
// running more than one intra-op thread, or PS_BLAS_TUNING=0. With PS_SMALL_GEMM_THREADS=0 the
// first is the pool for everything.
struct BlasConfiguration {
    int pool = 1;
    bool smallProductsSingle = false;
    std::string label;
};
std::vector<BlasConfiguration> blasConfigurations();
void applyBlasConfiguration(const BlasConfiguration& c);
class BlasThreadTuner;
// A tuner whose candidates are the indices of `configs`, labelled with their labels.
BlasThreadTuner tunerOver(const std::vector<BlasConfiguration>& configs, int trialSteps, int period, double slowdown);

// Restores the pool size and the small-products switch it found (RAII).
class BlasStateRestore {
public:
    BlasStateRestore();
    ~BlasStateRestore();
    BlasStateRestore(const BlasStateRestore&) = delete;
    BlasStateRestore& operator=(const BlasStateRestore&) = delete;

private:
    int pool_ = 0;
    bool smallProductsSingle_ = true;
};

// Picks, from `candidates` (e.g. {2, 1}), the thread count with the least seconds per token:
// each candidate runs `trialSteps` steps (the first step of a run is not measured: it allocates),
// the fastest is kept, and all are tried again after `period` steps or as soon as a step is
// more than `slowdown` times slower per token than the chosen count was in its trial. Pure
// bookkeeping: the caller applies threadsForNextStep() and reports each step's time.
class BlasThreadTuner {
public:
    // `labels[i]` names candidate i in lastChoice() (default: "N threads").
    BlasThreadTuner(std::vector<int> candidates, int trialSteps = 2, int period = 64, double slowdown = 1.35,
                    std::vector<std::string> labels = {});

    int threadsForNextStep() const { return candidates_[current_]; }
    // `seconds` for a step of `tokens` tokens (padding included: it is work too) run with
    // threadsForNextStep(). Returns true when this step completed a choice (see lastChoice()).
    bool recordStep(double seconds, double tokens);
    // After a choice: e.g. "2 threads: 4.1 ms/token; 1 thread: 6.3 ms/token".
    const std::string& lastChoice() const { return lastChoice_; }
    bool tuning() const { return trialing_; }

private:
    void startTrials();

    std::vector<int> candidates_;
    std::vector<std::string> labels_;
    int trialSteps_, period_;
    double slowdown_;
    std::size_t current_ = 0;
    bool trialing_ = true;
    bool skippedWarmUp_ = false;
    int stepsInTrial_ = 0, stepsSinceChoice_ = 0;
    double trialSeconds_ = 0, trialTokens_ = 0;
    std::vector<double> secondsPerToken_;
    double chosenSecondsPerToken_ = 0;
    std::string lastChoice_;
};

} // namespace ps::system
