#include "system/blas_threads.h"

#include "system/parallel_parts.h"
#include "system/runtime_symbol.h"
#include "util/env_switch.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define PS_HAVE_CPUID 1
#endif

namespace ps::system {
namespace {

using GetFn = int (*)();
using SetFn = void (*)(int);

template <typename Fn> Fn lookup(const char* name) {
    return runtimeSymbol<Fn>(name);
}

std::string perToken(double secondsPerToken) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f ms/token", secondsPerToken * 1e3);
    return buf;
}

} // namespace

int blasThreads() {
    static const GetFn get = lookup<GetFn>("openblas_get_num_threads");
    return get ? get() : 0;
}

bool setBlasThreads(int threads) {
    static const SetFn set = lookup<SetFn>("openblas_set_num_threads");
    if (!set || threads < 1)
        return false;
    set(threads);
    return true;
}

namespace {
std::atomic<bool> spinShortened{false};
} // namespace

bool shortenBlasIdleSpin() {
    if (std::getenv("OPENBLAS_THREAD_TIMEOUT") || std::getenv("GOTO_THREAD_TIMEOUT") || envIs("PS_BLAS_SPIN", "keep"))
        return false;
    using VoidFn = void (*)();
    using IntFn = int (*)();
    static const auto readEnv = lookup<VoidFn>("openblas_read_env");
    static const auto timeout = lookup<IntFn>("openblas_thread_timeout");
    static const auto shutdown = lookup<IntFn>("blas_thread_shutdown_");
    static const auto init = lookup<IntFn>("blas_thread_init");
    if (!readEnv || !timeout || !shutdown || !init || blasThreads() < 2)
        return false;
#if defined(_WIN32)
    return false; // no setenv; the Windows build uses its own BLAS settings
#else
    constexpr int kLog2Cycles = 20;
    ::setenv("OPENBLAS_THREAD_TIMEOUT", std::to_string(kLog2Cycles).c_str(), 1);
    readEnv();                             // copies the environment into OpenBLAS's settings ...
    ::unsetenv("OPENBLAS_THREAD_TIMEOUT"); // ... so child processes do not inherit it
    if (timeout() != kLog2Cycles)
        return false;
    shutdown(); // the pool reads the timeout when it starts
    init();
    spinShortened = true;
    return true;
#endif
}

bool blasIdleSpinShortened() {
    return spinShortened;
}

std::vector<std::string> blasKernelSetsFor(const std::string& detected, const CpuVectorSets& cpu) {
    std::vector<std::string> out;
    if (detected != "Prescott") // OpenBLAS's fallback for a CPU it does not know
        return out;
    if (cpu.avx512 && cpu.avx512bf16)
        out.push_back("Cooperlake");
    if (cpu.avx512)
        out.push_back("SkylakeX");
    if (cpu.avx2 && cpu.fma) // a CPU without AVX2 gains nothing from a newer set
        out.push_back("Haswell");
    return out;
}

CpuVectorSets cpuVectorSets() {
    CpuVectorSets out;
#ifdef PS_HAVE_CPUID
    // __builtin_cpu_supports checks that the OS saves the AVX / AVX-512 registers too.
    __builtin_cpu_init();
    out.avx2 = __builtin_cpu_supports("avx2");
    out.fma = __builtin_cpu_supports("fma");
    out.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512cd");
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (out.avx512 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
        out.avx512bf16 = (a >> 5) & 1u; // CPUID.(EAX=7, ECX=1):EAX[5] = AVX512_BF16
#endif
    return out;
}

namespace {
std::string& replacedKernelSet() {
    static std::string name;
    return name;
}
} // namespace

std::string blasKernelSet() {
    using NameFn = char* (*)();
    static const auto name = lookup<NameFn>("openblas_get_corename");
    const char* n = name ? name() : nullptr;
    return n ? n : "";
}

std::string blasKernelSetReplaced() {
    return replacedKernelSet();
}

std::string selectBlasKernels() {
    if (std::getenv("OPENBLAS_CORETYPE") || envIs("PS_BLAS_CORE", "keep"))
        return {};
    using VoidFn = void (*)();
    static const auto quit = lookup<VoidFn>("gotoblas_dynamic_quit");
    static const auto init = lookup<VoidFn>("gotoblas_dynamic_init");
    const auto detected = blasKernelSet();
    if (!quit || !init)
        return {};
#if defined(_WIN32)
    return {}; // no setenv; the Windows build uses its own BLAS settings
#else
    // A DYNAMIC_ARCH OpenBLAS reads OPENBLAS_CORETYPE when it picks its kernel table:
    // gotoblas_dynamic_quit() forgets the table, gotoblas_dynamic_init() picks again (the pool's
    // threads and buffers do not depend on it). A name the build lacks gives the detected set.
    for (const auto& wanted : blasKernelSetsFor(detected, cpuVectorSets())) {
        ::setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
        quit();
        init();
        ::unsetenv("OPENBLAS_CORETYPE"); // child processes choose for themselves
        if (blasKernelSet() == wanted) {
            replacedKernelSet() = detected;
            return wanted;
        }
    }
    return {};
#endif
}

namespace {
std::atomic<bool>& smallProductsSwitch() {
    static std::atomic<bool> on{[] {
        return !envIs("PS_SMALL_GEMM_THREADS", "0"); // "0": leave the pool alone
    }()};
    return on;
}
} // namespace

void setSmallProductsSingleThreaded(bool on) {
    smallProductsSwitch() = on;
}

bool smallProductsSingleThreaded() {
    return smallProductsSwitch();
}

SingleThreadedBlas::SingleThreadedBlas(bool active) {
    const int pool = active && smallProductsSingleThreaded() ? blasThreads() : 0;
    if (pool > 1 && setBlasThreads(1)) {
        restore_ = pool;
        setSmallProductParts(pool); // the cores the pool gave up: products may be split across them
    }
}

void SingleThreadedBlas::restore() {
    if (restore_ > 0) {
        setSmallProductParts(1);
        setBlasThreads(restore_);
    }
    restore_ = 0;
}

std::vector<BlasConfiguration> blasConfigurations() {
    const int pool = blasThreads();
    if (envIs("PS_BLAS_TUNING", "0") || pool < 2 || at::get_num_threads() != 1)
        return {};
    const std::string threads = std::to_string(pool) + " threads";
    std::vector<BlasConfiguration> out;
    // The pool for the large products with the small ones split across the cores, or (with
    // PS_SMALL_GEMM_THREADS=0) the pool for everything; against one thread, which wins while
    // another program keeps a core busy. (The pool for everything was a third candidate until
    // the small products were split: it then lost every in-process A/B, 5-6 %.)
    if (smallProductsSingleThreaded())
        out.push_back({pool, true, threads + " (small products split across them)"});
    else
        out.push_back({pool, false, threads});
    out.push_back({1, false, "1 thread"});
    return out;
}

void applyBlasConfiguration(const BlasConfiguration& c) {
    setBlasThreads(c.pool);
    setSmallProductsSingleThreaded(c.smallProductsSingle);
}

BlasThreadTuner tunerOver(const std::vector<BlasConfiguration>& configs, int trialSteps, int period, double slowdown) {
    std::vector<int> indices;
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < configs.size(); ++i) {
        indices.push_back(static_cast<int>(i));
        labels.push_back(configs[i].label);
    }
    return BlasThreadTuner(std::move(indices), trialSteps, period, slowdown, std::move(labels));
}

BlasStateRestore::BlasStateRestore() : pool_(blasThreads()), smallProductsSingle_(smallProductsSingleThreaded()) {}

BlasStateRestore::~BlasStateRestore() {
    if (pool_ > 0)
        setBlasThreads(pool_);
    setSmallProductsSingleThreaded(smallProductsSingle_);
}

BlasThreadTuner::BlasThreadTuner(std::vector<int> candidates, int trialSteps, int period, double slowdown,
                                 std::vector<std::string> labels)
    : candidates_(std::move(candidates)), labels_(std::move(labels)), trialSteps_(std::max(1, trialSteps)),
      period_(std::max(1, period)), slowdown_(slowdown) {
    if (candidates_.empty())
        candidates_.push_back(1);
    secondsPerToken_.assign(candidates_.size(), 0.0);
    trialing_ = candidates_.size() > 1;
}

void BlasThreadTuner::startTrials() {
    trialing_ = true;
    current_ = 0;
    stepsInTrial_ = 0;
    trialSeconds_ = trialTokens_ = 0;
}

bool BlasThreadTuner::recordStep(double seconds, double tokens) {
    if (candidates_.size() < 2 || tokens <= 0 || seconds <= 0)
        return false;
    if (!skippedWarmUp_) {
        skippedWarmUp_ = true;
        return false;
    }
    if (!trialing_) {
        ++stepsSinceChoice_;
        const bool slower = seconds / tokens > slowdown_ * chosenSecondsPerToken_;
        if (slower || stepsSinceChoice_ >= period_)
            startTrials();
        return false;
    }
    trialSeconds_ += seconds;
    trialTokens_ += tokens;
    if (++stepsInTrial_ < trialSteps_)
        return false;
    secondsPerToken_[current_] = trialSeconds_ / trialTokens_;
    stepsInTrial_ = 0;
    trialSeconds_ = trialTokens_ = 0;
    if (current_ + 1 < candidates_.size()) {
        ++current_;
        return false;
    }
    current_ = static_cast<std::size_t>(std::min_element(secondsPerToken_.begin(), secondsPerToken_.end()) -
                                        secondsPerToken_.begin());
    chosenSecondsPerToken_ = secondsPerToken_[current_];
    trialing_ = false;
    stepsSinceChoice_ = 0;
    lastChoice_.clear();
    for (std::size_t i = 0; i < candidates_.size(); ++i)
        lastChoice_ +=
            (i ? "; " : "") +
            (i < labels_.size() ? labels_[i]
                                : std::to_string(candidates_[i]) + (candidates_[i] == 1 ? " thread" : " threads")) +
            ": " + perToken(secondsPerToken_[i]);
    return true;
}

} // namespace ps::system
