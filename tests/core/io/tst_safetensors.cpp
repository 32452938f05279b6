// safetensors reader/writer: fixtures written by the reference writer, round trips, and
// every kind of malformed file giving an error that names the file and tensor.
#include "io/torch_tensors.h"
#include "ps/error.h"
#include "ps/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>

using namespace ps;

namespace {

std::string fixture(const char* rel) { return std::string(PS_FIXTURES) + "/" + rel; }

void writeRaw(const std::string& path, const std::string& header, const std::string& data) {
    std::ofstream out(path, std::ios::binary);
    std::uint64_t len = header.size();
    for (int i = 0; i < 8; ++i)
        out.put(static_cast<char>((len >> (8 * i)) & 0xff));
    out << header << data;
}

} // namespace

class TestSafetensors final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsFixtureWrittenByReferenceWriter() {
        auto f = SafetensorsFile::open(fixture("models/tiny-llama/model.safetensors"));
        const TensorInfo* emb = f->find("model.embed_tokens.weight");
        QVERIFY(emb);
        QCOMPARE(emb->dtype, DType::F32);
        QCOMPARE(emb->shape, (std::vector<std::int64_t>{1000, 64}));
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
    }

    void malformed_data() {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("dataBytes");
        QTest::addColumn<QString>("expected");
        QTest::newRow("offsets past the end") << QByteArray(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})") << 8
                                              << "tensor 'w': data_offsets [0, 16] run past the end";
        QTest::newRow("overlapping tensors")
            << QByteArray(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})")
            << 16 << "tensors 'a' and 'b' overlap";
        QTest::newRow("unknown dtype") << QByteArray(R"({"w":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}})") << 8
                                       << "tensor 'w': unknown dtype 'F8_E9'";
        QTest::newRow("shape does not match span") << QByteArray(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})") << 8
                                                   << "needs 12 bytes but data_offsets span 8";
        QTest::newRow("header is not json") << QByteArray("{not json") << 0 << "header is not valid JSON";
        QTest::newRow("negative shape") << QByteArray(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})") << 8
                                        << "shape entries must be non-negative integers";
    }

    void malformed() {
        QFETCH(QByteArray, header);
        QFETCH(int, dataBytes);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("bad.safetensors")).toStdString();
        writeRaw(path, header.toStdString(), std::string(static_cast<std::size_t>(dataBytes), '\0'));
        try {
            SafetensorsFile::open(path);
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(expected), qPrintable(msg));
            QVERIFY2(msg.startsWith(QString::fromStdString(path)), qPrintable(msg));
        }
    }

    void hugeHeaderLengthIsRejected() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("huge.safetensors")).toStdString();
        std::ofstream out(path, std::ios::binary);
        const std::uint64_t len = 1ull << 62;
        for (int i = 0; i < 8; ++i)
            out.put(static_cast<char>((len >> (8 * i)) & 0xff));
        out << "{}";
        out.close();
        try {
            SafetensorsFile::open(path);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("exceeds")), e.what());
        }
    }

    void truncatedFixtureIsRejected() {
        QTemporaryDir dir;
        const std::string src = fixture("models/tiny-gpt2/model.safetensors");
        std::ifstream in(src, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string path = dir.filePath(QStringLiteral("trunc.safetensors")).toStdString();
        std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
        try {
            SafetensorsFile::open(path);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("run past the end")), e.what());
        }
    }

    void roundTripKeepsTensorsAndLayout() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("rt.safetensors")).toStdString();
        NamedTensors in = {{"b.weight", torch::randn({3, 5})},
                           {"a.ids", torch::arange(7, torch::kInt64)},
                           {"h", torch::randn({4}).to(torch::kBFloat16)}};
        saveTensors(path, in);
        auto f = SafetensorsFile::open(path);
        QCOMPARE(f->metadata().at("format"), std::string("pt"));
        // Reference writer order: dtype rank descending (I64 before F32 before BF16), then name.
        QCOMPARE(f->tensors()[0].name, std::string("a.ids"));
        QCOMPARE(f->tensors()[1].name, std::string("b.weight"));
        QCOMPARE(f->tensors()[2].name, std::string("h"));
        // The header is padded with spaces to a multiple of 8.
        QCOMPARE((f->tensors()[0].dataOffset) % 8, 0u);
        for (const auto& [name, t] : in) {
            auto back = tensorFromFile(f, *f->find(name));
            QVERIFY(torch::equal(back, t));
        }
    }

    void fileSizeIsKnownBeforeWriting() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("size.safetensors")).toStdString();
        NamedTensors in = {{"base_model.model.layers.0.lora_A.weight", torch::randn({8, 64})},
                           {"x", torch::arange(3, torch::kInt64)},
                           {"scalar", torch::randn({}).to(torch::kBFloat16)}};
        saveTensors(path, in);
        std::vector<TensorToWrite> shapesOnly;
        for (const auto& [name, t] : in) {
            TensorToWrite w;
            w.name = name;
            w.dtype = t.scalar_type() == torch::kInt64 ? DType::I64
                      : t.scalar_type() == torch::kBFloat16 ? DType::BF16
                                                              : DType::F32;
            w.shape.assign(t.sizes().begin(), t.sizes().end());
            shapesOnly.push_back(w); // no data: only the layout is computed
        }
        QCOMPARE(safetensorsFileSize(shapesOnly), SafetensorsFile::open(path)->fileSize());
        QCOMPARE(safetensorsFileSize({}), std::uint64_t(8 + 32)); // {"__metadata__":{"format":"pt"}} padded
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
