// The caching CPU allocator (core/src/system/caching_cpu_allocator.h): large tensors reuse freed
// blocks of their size class, small ones are not cached, the mapped total never exceeds the
// most bytes live at once, values are those of ordinary tensors, and release empties the cache.
#include "system/caching_cpu_allocator.h"

#include <QtTest>

#include <torch/torch.h>

#include <thread>

using namespace ps;

class TestCachingCpuAllocator final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(system::installCachingCpuAllocator()); }
    void init() { system::releaseCachedCpuMemory(); }

    void sizeClassesRoundUpByAtMostAQuarter_data() {
        QTest::addColumn<qulonglong>("bytes");
        QTest::addColumn<qulonglong>("expected");
        QTest::newRow("power of two") << 1048576ull << 1048576ull;
        QTest::newRow("just above") << 1048577ull << 1310720ull; // 1.25 MiB
        QTest::newRow("1.6 MiB") << 1677722ull << 1835008ull;    // 1.75 MiB
        QTest::newRow("3 MiB") << 3145728ull << 3145728ull;      // 1.5 x 2 MiB
    }
    void sizeClassesRoundUpByAtMostAQuarter() {
        QFETCH(qulonglong, bytes);
        QFETCH(qulonglong, expected);
        QCOMPARE(static_cast<qulonglong>(system::cpuAllocatorSizeClass(bytes)), expected);
    }

    void freedLargeBlocksAreReused() {
        const auto before = system::cachingCpuAllocatorStats();
        void* first = nullptr;
        {
            auto t = torch::empty({1024, 1024}); // 4 MiB
            first = t.data_ptr();
        }
        QCOMPARE(system::cachingCpuAllocatorStats().cachedBytes, before.cachedBytes + (4u << 20));
        auto again = torch::empty({1024, 1024});
        QCOMPARE(again.data_ptr(), first);
        QCOMPARE(system::cachingCpuAllocatorStats().reusedBlocks, before.reusedBlocks + 1);
        // A different size class does not take it.
        auto other = torch::empty({1024, 1500});
        QVERIFY(other.data_ptr() != first);
    }

    void smallTensorsAreNotCached() {
        const auto before = system::cachingCpuAllocatorStats();
        { auto t = torch::empty({100}); }
        const auto after = system::cachingCpuAllocatorStats();
        QCOMPARE(after.cachedBytes, before.cachedBytes);
        QCOMPARE(after.mappedBlocks, before.mappedBlocks);
    }

    // Blocks of a size nobody asks for any more are unmapped before new ones are mapped, so
    // changing shapes do not pile up memory: mapped bytes stay within the peak live bytes.
    void changingShapesStayWithinThePeak() {
        for (int i = 1; i <= 40; ++i) {
            auto t = torch::empty({1024, 256 + 37 * i}); // a new size class almost every time
            t.fill_(1.0f);
            const auto s = system::cachingCpuAllocatorStats();
            QVERIFY2(s.liveBytes + s.cachedBytes <= s.peakLiveBytes,
                     qPrintable(QStringLiteral("mapped %1 > peak %2").arg(s.liveBytes + s.cachedBytes).arg(s.peakLiveBytes)));
        }
    }

    void valuesAreThoseOfOrdinaryTensors() {
        torch::manual_seed(1);
        const auto a = torch::randn({300, 400}), b = torch::randn({400, 500});
        const auto c = torch::matmul(a, b); // 600 KB output from the cache
        const auto reference = (a.unsqueeze(2) * b.unsqueeze(0)).sum(1);
        QVERIFY(torch::allclose(c, reference, 1e-4, 1e-4));
    }

    void releaseEmptiesTheCache() {
        { auto t = torch::empty({2048, 1024}); }
        QVERIFY(system::cachingCpuAllocatorStats().cachedBytes > 0);
        system::releaseCachedCpuMemory();
        QCOMPARE(system::cachingCpuAllocatorStats().cachedBytes, 0ull);
    }

    void threadsAllocateConcurrently() {
        std::vector<std::thread> threads;
        std::atomic<int> wrong{0};
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&wrong, t] {
                for (int i = 0; i < 200; ++i) {
                    auto x = torch::full({512, 512 + 64 * (i % 5)}, static_cast<float>(t));
                    if (x.sum().item<double>() != static_cast<double>(t) * static_cast<double>(x.numel()))
                        ++wrong;
                }
            });
        for (auto& th : threads)
            th.join();
        QCOMPARE(wrong.load(), 0);
        const auto s = system::cachingCpuAllocatorStats();
        QCOMPARE(s.liveBytes, 0ull);
    }
};

QTEST_APPLESS_MAIN(TestCachingCpuAllocator)
#include "tst_caching_cpu_allocator.moc"
