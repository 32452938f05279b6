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
    // changing shapes do not pile up memory: mapped bytes stay within the peak live bytes plus one
    // block of the largest class (here one tensor lives at a time, so that is twice the largest).
    void changingShapesStayWithinThePeak() {
        std::uint64_t largest = 0;
        for (int i = 1; i <= 40; ++i) {
            const std::int64_t columns = 256 + 37 * i; // a new size class almost every time
            auto t = torch::empty({1024, columns});
            t.fill_(1.0f);
            largest = std::max<std::uint64_t>(largest, system::cpuAllocatorSizeClass(std::size_t(1024 * columns * 4)));
            const auto s = system::cachingCpuAllocatorStats();
            QVERIFY2(s.liveBytes + s.cachedBytes <= 2 * largest,
                     qPrintable(QStringLiteral("mapped %1 > 2 x largest %2").arg(s.liveBytes + s.cachedBytes).arg(largest)));
        }
    }

    // A request with no free block of its class takes a free block of up to twice its class, not
    // a larger one.
    void smallerRequestsTakeABlockOfUpToTwiceTheirClass() {
        void* block = nullptr;
        {
            auto t = torch::empty({1024, 1024}); // 4 MiB
            block = t.data_ptr();
        }
        {
            auto tooSmall = torch::empty({1024, 400}); // 1.56 MiB: class 1.75 MiB, twice that < 4 MiB
            QVERIFY(tooSmall.data_ptr() != block);
        }
        const auto before = system::cachingCpuAllocatorStats();
        auto smaller = torch::empty({1024, 600}); // 2.34 MiB: class 2.5 MiB
        QCOMPARE(smaller.data_ptr(), block);
        const auto after = system::cachingCpuAllocatorStats();
        QCOMPARE(after.mappedBlocks, before.mappedBlocks);
        QCOMPARE(after.liveBytes, before.liveBytes + (4u << 20)); // the block's size, not the class's
        smaller = torch::Tensor();
        QCOMPARE(system::cachingCpuAllocatorStats().cachedBytes, after.cachedBytes + (4u << 20));
    }

    // A training micro-batch in miniature: activations live, the head's big buffer on top of them,
    // then gradients of another size while the activations still live. The peak is activations +
    // head, and activations + gradients + the free head block exceed it; the big block must still
    // be there for the next micro-batch instead of being unmapped for the gradients and mapped
    // again (which faults in all its pages every micro-batch).
    void theBigBlockSurvivesTheNextMicroBatch() {
        std::uint64_t mappedAfterFirst = 0;
        for (int microBatch = 0; microBatch < 4; ++microBatch) {
            std::vector<torch::Tensor> activations, gradients;
            for (int i = 0; i < 8; ++i)
                activations.push_back(torch::empty({1024, 256})); // 1 MiB each
            { auto head = torch::empty({1024, 4096}); } // 16 MiB
            for (int i = 0; i < 8; ++i)
                gradients.push_back(torch::empty({1024, 320})); // 1.25 MiB each
            if (microBatch == 0)
                mappedAfterFirst = system::cachingCpuAllocatorStats().mappedBlocks;
            else
                QCOMPARE(system::cachingCpuAllocatorStats().mappedBlocks, mappedAfterFirst);
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
