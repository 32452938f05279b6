// The BLAS pool tuner (system/blas_threads.h): it keeps the thread count with the least time per
// token, measured on the steps themselves, and measures again after a period or a slowdown.
// Driven here with step times chosen by the test (what an idle or a busy machine gives).
#include "system/blas_threads.h"
#include "system/parallel_parts.h"

#include "ps/system_info.h"

#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <time.h>

using namespace ps::system;

namespace {

// Feeds steps of 1000 tokens taking secondsFor(threads) until the tuner has chosen; returns the
// number of steps it took.
int runUntilChosen(BlasThreadTuner& t, const std::function<double(int)>& secondsFor, int limit = 100) {
    for (int i = 1; i <= limit; ++i)
        if (t.recordStep(secondsFor(t.threadsForNextStep()), 1000))
            return i;
    return -1;
}

} // namespace

class TestBlasThreads final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idleMachineKeepsEveryThread() {
        BlasThreadTuner t({2, 1}, 2, 64);
        QVERIFY(t.tuning());
        // First step (allocations, 50 s) is not measured; then 2 steps per candidate.
        QVERIFY(!t.recordStep(50.0, 1000));
        QCOMPARE(runUntilChosen(t, [](int n) { return n == 2 ? 1.0 : 1.9; }), 4);
        QCOMPARE(t.threadsForNextStep(), 2);
        QVERIFY(!t.tuning());
        QVERIFY2(t.lastChoice().find("2 threads: 1.00 ms/token") != std::string::npos, t.lastChoice().c_str());
        QVERIFY2(t.lastChoice().find("1 thread: 1.90 ms/token") != std::string::npos, t.lastChoice().c_str());
    }

    // The trainer's candidates are configurations (pool size and where small products run),
    // passed as indices with labels: three of them, the middle one fastest here.
    void labelledConfigurationsArePickedByIndex() {
        BlasThreadTuner t({0, 1, 2}, 2, 64, 1.35, {"2 threads (small products split across them)", "2 threads", "1 thread"});
        t.recordStep(5.0, 1000); // warm-up
        QCOMPARE(runUntilChosen(t, [](int i) { return i == 1 ? 1.0 : 1.5; }), 6);
        QCOMPARE(t.threadsForNextStep(), 1);
        QVERIFY2(t.lastChoice() ==
                     "2 threads (small products split across them): 1.50 ms/token; 2 threads: 1.00 ms/token; 1 thread: 1.50 ms/token",
                 t.lastChoice().c_str());
    }

    // SingleThreadedBlas: one thread inside the scope, the pool restored after; nothing when
    // switched off.
    void smallProductsScopeSetsAndRestoresThePool() {
        (void)torch::mm(torch::ones({8, 8}), torch::ones({8, 8}));
        const int pool = blasThreads();
        if (pool < 2)
            QSKIP("no OpenBLAS pool of two or more threads in this process");
        {
            SingleThreadedBlas one;
            QCOMPARE(blasThreads(), 1);
            one.restore();
            QCOMPARE(blasThreads(), pool);
        }
        QCOMPARE(blasThreads(), pool);
        {
            const SingleThreadedBlas inactive(false);
            QCOMPARE(blasThreads(), pool);
        }
        setSmallProductsSingleThreaded(false);
        {
            const SingleThreadedBlas off;
            QCOMPARE(blasThreads(), pool);
        }
        setSmallProductsSingleThreaded(true);
        {
            const SingleThreadedBlas on;
            QCOMPARE(blasThreads(), 1);
            QCOMPARE(smallProductParts(), pool); // the cores the pool gave up
        }
        QCOMPARE(blasThreads(), pool);
        QCOMPARE(smallProductParts(), 1);
    }

    // shortenBlasIdleSpin restarts OpenBLAS's pool with a short idle spin: same pool size, right
    // products, nothing left in the environment, and after a pooled product the idle pool burns
    // (almost) no CPU while the process sleeps (a spinning pool burns ~50 ms of a 50 ms sleep).
    void idleSpinCanBeShortened() {
        const auto product = [] {
            const auto a = torch::rand({512, 512}), b = torch::rand({512, 512});
            const auto c = torch::mm(a, b);
            return (c - (a.unsqueeze(2) * b.unsqueeze(0)).sum(1)).abs().max().item<double>();
        };
        (void)product();
        const int pool = blasThreads();
        if (pool < 2)
            QSKIP("no OpenBLAS pool of two or more threads in this process");
        qputenv("PS_BLAS_SPIN", "keep");
        QVERIFY(!shortenBlasIdleSpin());
        qunsetenv("PS_BLAS_SPIN");
        if (qEnvironmentVariableIsSet("OPENBLAS_THREAD_TIMEOUT"))
            QSKIP("OPENBLAS_THREAD_TIMEOUT is set: the user's choice is kept");
        if (!shortenBlasIdleSpin())
            QSKIP("this OpenBLAS has no openblas_read_env / blas_thread_init entry points");
        QVERIFY(blasIdleSpinShortened());
        QVERIFY(!qEnvironmentVariableIsSet("OPENBLAS_THREAD_TIMEOUT"));
        QCOMPARE(blasThreads(), pool);
        QVERIFY(product() < 1e-3);
#ifdef __linux__
        const auto cpuSeconds = [] {
            timespec t{};
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
            return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
        };
        (void)product();
        const double before = cpuSeconds();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const double burnt = cpuSeconds() - before;
        QVERIFY2(burnt < 0.02, qPrintable(QStringLiteral("the idle pool used %1 s of CPU").arg(burnt)));
#endif
    }

    // Which kernel set replaces OpenBLAS's fallback for a CPU it does not know: the newest the
    // CPU's instruction sets run, then the older ones (a build may lack the newest); a set
    // OpenBLAS chose for a CPU it knows, or a CPU without AVX2, keeps what it has.
    void blasKernelSetsFollowTheInstructionSets() {
        CpuVectorSets avx2;
        avx2.avx2 = avx2.fma = true;
        CpuVectorSets avx512 = avx2;
        avx512.avx512 = true;
        CpuVectorSets bf16 = avx512;
        bf16.avx512bf16 = true;
        using Sets = std::vector<std::string>;
        QCOMPARE(blasKernelSetsFor("Prescott", bf16), (Sets{"Cooperlake", "SkylakeX", "Haswell"}));
        QCOMPARE(blasKernelSetsFor("Prescott", avx512), (Sets{"SkylakeX", "Haswell"}));
        QCOMPARE(blasKernelSetsFor("Prescott", avx2), (Sets{"Haswell"}));
        QCOMPARE(blasKernelSetsFor("Prescott", CpuVectorSets{}), Sets{});
        CpuVectorSets avxOnly;
        avxOnly.avx2 = true; // AVX2 without FMA: Haswell's kernels need both
        QCOMPARE(blasKernelSetsFor("Prescott", avxOnly), Sets{});
        QCOMPARE(blasKernelSetsFor("Zen", bf16), Sets{});
        QCOMPARE(blasKernelSetsFor("SkylakeX", bf16), Sets{});
        QCOMPARE(blasKernelSetsFor("Haswell", avx512), Sets{});
    }

    // In this process: after selectBlasKernels, OpenBLAS no longer runs its SSE3 fallback on a
    // CPU with AVX2 + FMA, products stay right, and the environment is left as it was.
    void blasKernelsFitThisCpu() {
        const auto product = [] {
            const auto a = torch::randn({300, 517}), b = torch::randn({517, 211});
            return (torch::mm(a, b).to(torch::kFloat64) - torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64)))
                .abs()
                .max()
                .item<double>();
        };
        QVERIFY(product() < 1e-3);
        if (blasKernelSet().empty())
            QSKIP("no OpenBLAS with openblas_get_corename in this process");
        if (qEnvironmentVariableIsSet("OPENBLAS_CORETYPE"))
            QSKIP("OPENBLAS_CORETYPE is set: the user's choice is kept");
        const auto before = blasKernelSet();
        qputenv("PS_BLAS_CORE", "keep");
        QCOMPARE(selectBlasKernels(), std::string());
        QCOMPARE(blasKernelSet(), before);
        qunsetenv("PS_BLAS_CORE");
        const auto chosen = selectBlasKernels();
        const auto cpu = cpuVectorSets();
        if (cpu.avx2 && cpu.fma)
            QVERIFY2(blasKernelSet() != "Prescott", blasKernelSet().c_str());
        if (!chosen.empty()) {
            QCOMPARE(blasKernelSet(), chosen);
            QCOMPARE(blasKernelSetReplaced(), before);
        } else {
            QCOMPARE(blasKernelSet(), before);
        }
        QVERIFY(!qEnvironmentVariableIsSet("OPENBLAS_CORETYPE"));
        QVERIFY(product() < 1e-3);
        QCOMPARE(selectBlasKernels(), std::string()); // once chosen, nothing more to do
    }

    // runParts: every part once, on more than one thread, in the caller's LibTorch thread-local
    // state; a nested call runs inline; an exception reaches the caller after all parts ended.
    void runPartsRunsEveryPartOnce() {
        for (int parts : {1, 2, 5}) {
            std::mutex m;
            std::vector<int> seen;
            std::set<std::thread::id> threads;
            std::atomic<int> gradEnabled{0};
            {
                const torch::NoGradGuard noGrad; // thread-local: helpers must get it from the caller
                runParts(parts, [&](int p) {
                    if (torch::GradMode::is_enabled())
                        ++gradEnabled;
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    std::lock_guard<std::mutex> lock(m);
                    seen.push_back(p);
                    threads.insert(std::this_thread::get_id());
                });
            }
            std::sort(seen.begin(), seen.end());
            std::vector<int> expected(static_cast<std::size_t>(parts));
            std::iota(expected.begin(), expected.end(), 0);
            QCOMPARE(seen, expected);
            QCOMPARE(gradEnabled.load(), 0);
            QVERIFY(parts == 1 ? threads.size() == 1 : threads.size() >= 2);
        }
        std::atomic<int> inner{0};
        runParts(2, [&](int) { runParts(3, [&](int) { ++inner; }); });
        QCOMPARE(inner.load(), 6);
        std::atomic<int> finished{0};
        bool thrown = false;
        try {
            runParts(3, [&](int p) {
                if (p == 1)
                    throw std::runtime_error("part 1 failed");
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                ++finished;
            });
        } catch (const std::runtime_error& e) {
            thrown = std::string(e.what()) == "part 1 failed";
        }
        QVERIFY(thrown);
        QCOMPARE(finished.load(), 2);
    }

    void partRangesCoverTheItemsOnce() {
        for (long long n : {0LL, 1LL, 7LL, 64LL, 211LL})
            for (int parts : {1, 2, 3, 8}) {
                long long next = 0;
                for (int p = 0; p < parts; ++p) {
                    const auto r = partRange(n, parts, p);
                    QCOMPARE(r.first, next);
                    QVERIFY(r.count == n / parts || r.count == n / parts + 1);
                    next += r.count;
                }
                QCOMPARE(next, n);
            }
        overrideSmallProductParts(3);
        QCOMPARE(smallProductParts(), 3);
        overrideSmallProductParts(0);
        QCOMPARE(smallProductParts(), 1);
    }

    void busyMachineDropsToOneThread() {
        BlasThreadTuner t({2, 1}, 2, 64);
        t.recordStep(9.0, 1000); // warm-up
        QVERIFY(runUntilChosen(t, [](int n) { return n == 2 ? 10.4 : 6.5; }) > 0);
        QCOMPARE(t.threadsForNextStep(), 1);
    }

    void measuresAgainAfterThePeriod() {
        BlasThreadTuner t({2, 1}, 1, 10);
        t.recordStep(1.0, 1000);
        QVERIFY(runUntilChosen(t, [](int n) { return n == 2 ? 10.0 : 6.0; }) > 0);
        QCOMPARE(t.threadsForNextStep(), 1);
        // The other program ends: the same speed per token for 10 steps, then a new trial finds 2 faster.
        for (int i = 0; i < 9; ++i) {
            t.recordStep(6.0, 1000);
            QVERIFY(!t.tuning());
        }
        t.recordStep(6.0, 1000);
        QVERIFY(t.tuning());
        QVERIFY(runUntilChosen(t, [](int n) { return n == 2 ? 3.0 : 6.0; }) > 0);
        QCOMPARE(t.threadsForNextStep(), 2);
    }

    void aSlowdownStartsATrialAtOnce() {
        BlasThreadTuner t({2, 1}, 1, 1000, 1.35);
        t.recordStep(1.0, 1000);
        QVERIFY(runUntilChosen(t, [](int n) { return n == 2 ? 3.0 : 6.0; }) > 0);
        QCOMPARE(t.threadsForNextStep(), 2);
        t.recordStep(3.9, 1000); // 1.3x: within the noise
        QVERIFY(!t.tuning());
        t.recordStep(4.5, 1500); // per token: faster, a longer batch
        QVERIFY(!t.tuning());
        t.recordStep(9.0, 1000); // another program started
        QVERIFY(t.tuning());
        QVERIFY(runUntilChosen(t, [](int n) { return n == 2 ? 9.0 : 6.0; }) > 0);
        QCOMPARE(t.threadsForNextStep(), 1);
    }

    void oneCandidateNeverTunes() {
        BlasThreadTuner t({1});
        QVERIFY(!t.tuning());
        for (int i = 0; i < 5; ++i)
            QVERIFY(!t.recordStep(1.0, 1000));
        QCOMPARE(t.threadsForNextStep(), 1);
    }

    // With OpenBLAS in the process (Debian's LibTorch), the pool size can be read and set.
    void openBlasPoolCanBeResized() {
        (void)torch::mm(torch::ones({8, 8}), torch::ones({8, 8}));
        const int before = blasThreads();
        if (before == 0)
            QSKIP("the BLAS in this process has no OpenBLAS thread pool");
        QVERIFY(setBlasThreads(1));
        QCOMPARE(blasThreads(), 1);
        const auto a = torch::randn({512, 512}); // large enough for OpenBLAS to use its threads
        const auto one = torch::mm(a, a);
        QVERIFY(setBlasThreads(std::max(2, before)));
        QCOMPARE(blasThreads(), std::max(2, before));
        // The pool size does not change the numbers (OpenBLAS splits the output, not the sums).
        QVERIFY(torch::equal(torch::mm(a, a), one));
        QVERIFY(setBlasThreads(before));
        QVERIFY(!setBlasThreads(0));
    }

    // The float32 thread policy follows the BLAS: one LibTorch thread beside OpenBLAS's own pool;
    // without such a pool (MKL inside libtorch_cpu) the GEMMs run on LibTorch's threads, so
    // LibTorch's default, which is never below what it had before the policy ran.
    void float32ThreadPolicyFollowsTheBlas() {
        (void)torch::mm(torch::ones({8, 8}), torch::ones({8, 8}));
        const int before = torch::get_num_threads();
        if (blasThreads() > 0)
            QCOMPARE(ps::defaultThreadCount(false), 1);
        else
            QCOMPARE(ps::defaultThreadCount(false), before);
        QCOMPARE(ps::defaultThreadCount(true), std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
    }
};

QTEST_APPLESS_MAIN(TestBlasThreads)
#include "tst_blas_threads.moc"
