// GGUF reader/writer inputs that the fuzz target tests/fuzz/fuzz_gguf.cpp once broke (their
// bytes are also in tests/fuzz/corpus/gguf). Torch-free, so that the sanitizer build of
// scripts/test.sh runs it: the first case only showed as UBSan's report there.
#include "export/gguf_writer.h"
#include "ps/error.h"
#include "ps/gguf.h"

#include <QtTest>

#include <cstring>
#include <limits>

using namespace ps;

namespace {

// Little-endian bytes laid out by hand from the GGUF spec (independent of the writer).
struct Bytes {
    std::string b;
    template <typename T> Bytes& put(T v) {
        char buf[sizeof(T)];
        std::memcpy(buf, &v, sizeof(T));
        b.append(buf, sizeof(T));
        return *this;
    }
    Bytes& str(const std::string& s) {
        put<std::uint64_t>(s.size());
        b += s;
        return *this;
    }
};

} // namespace

class TestGgufFuzzRegressions final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // A tensor with a zero dimension has no bytes: floatValues() gives an empty vector (it once
    // passed a null destination to memcpy, undefined behaviour).
    void zeroElementTensorReadsAsEmpty() {
        Bytes s;
        s.b = "GGUF";
        s.put<std::uint32_t>(3).put<std::uint64_t>(1).put<std::uint64_t>(0);
        s.str("empty").put<std::uint32_t>(2).put<std::uint64_t>(0).put<std::uint64_t>(5);
        s.put<std::uint32_t>(kGgmlTypeF32).put<std::uint64_t>(0);
        s.b.resize(96, '\0'); // 69 header bytes, padded to the 32-byte alignment
        const auto file = GgufFile::fromBytes(s.b, "zero.gguf");
        QCOMPARE(file->tensors().size(), std::size_t(1));
        QCOMPARE(file->tensors()[0].numel(), std::uint64_t(0));
        QCOMPARE(file->tensors()[0].nbytes, std::uint64_t(0));
        QVERIFY(file->floatValues(file->tensors()[0]).empty());
    }

    // Shapes whose element count overflows 64 bits used to wrap around in the writer (to 0
    // here, so that an empty byte vector passed the size check) and give a file the reader
    // refuses. The writer now refuses them with the reader's rule: the count must fit in int64.
    void writerRefusesOverflowingShapes_data() {
        QTest::addColumn<QList<quint64>>("ne");
        QTest::newRow("2^32 cubed wraps to 0") << QList<quint64>{1ull << 32, 1ull << 32, 1ull << 32};
        QTest::newRow("2^62 x 4 wraps to 0") << QList<quint64>{1ull << 62, 4};
        QTest::newRow("2^63 alone is over int64") << QList<quint64>{1ull << 63};
    }
    void writerRefusesOverflowingShapes() {
        QFETCH(QList<quint64>, ne);
        gguf::GgufWriter w;
        gguf::TensorToWrite t;
        t.name = "huge";
        t.ne.assign(ne.begin(), ne.end());
        QVERIFY_THROWS_EXCEPTION(Error, w.addTensor(std::move(t)));
    }

    // general.alignment must agree with the writer's 32-byte packing: another value or type made
    // a file the reader refuses (a string) or misreads (another number).
    void writerRefusesAnotherAlignment() {
        gguf::GgufWriter w;
        QVERIFY_THROWS_EXCEPTION(Error, w.addString("general.alignment", "32"));
        QVERIFY_THROWS_EXCEPTION(Error, w.addUint32("general.alignment", 64));
        QVERIFY_THROWS_EXCEPTION(Error, w.addFloat32("general.alignment", 32.0f));
        w.addUint32("general.alignment", 32);
        QCOMPARE(GgufFile::fromBytes(w.serialize(), "aligned.gguf")->alignment(), std::uint32_t(32));
    }

    // What the writer accepts reads back as written, zero-element tensors included.
    void writerOutputReadsBack() {
        gguf::GgufWriter w;
        w.addString("general.architecture", "llama");
        w.addTensor({"empty", {0, 3}, kGgmlTypeF32, {}});
        w.addTensor({"one", {1}, kGgmlTypeF32, {0, 0, 0x80, 0x3f}}); // 1.0f
        const auto file = GgufFile::fromBytes(w.serialize(), "written.gguf");
        QCOMPARE(file->tensors().size(), std::size_t(2));
        QVERIFY(file->floatValues(*file->findTensor("empty")).empty());
        QCOMPARE(file->floatValues(*file->findTensor("one")), std::vector<float>{1.0f});
    }
};

QTEST_APPLESS_MAIN(TestGgufFuzzRegressions)
#include "tst_gguf_fuzz_regressions.moc"
