// The BLAS pool tuner (system/blas_threads.h): it keeps the thread count with the least time per
// token, measured on the steps themselves, and measures again after a period or a slowdown.
// Driven here with step times chosen by the test (what an idle or a busy machine gives).
#include "system/blas_threads.h"

#include "ps/system_info.h"

#include <torch/torch.h>

#include <QtTest>

#include <thread>

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
        BlasThreadTuner t({0, 1, 2}, 2, 64, 1.35, {"2 threads (small products on 1)", "2 threads", "1 thread"});
        t.recordStep(5.0, 1000); // warm-up
        QCOMPARE(runUntilChosen(t, [](int i) { return i == 1 ? 1.0 : 1.5; }), 6);
        QCOMPARE(t.threadsForNextStep(), 1);
        QVERIFY2(t.lastChoice() ==
                     "2 threads (small products on 1): 1.50 ms/token; 2 threads: 1.00 ms/token; 1 thread: 1.50 ms/token",
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
        }
        QCOMPARE(blasThreads(), pool);
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
