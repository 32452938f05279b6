// GGUF reader and writer against the format spec (ggml docs/gguf.md): bytes laid out by hand
// here parse as the spec says, what the writer produces has the spec's layout, and truncated,
// corrupt or hostile files fail with a ps::Error naming the file — never a crash.
#include "export/gguf_writer.h"
#include "export/half_float.h"
#include "ps/error.h"
#include "ps/gguf.h"
#include "util/file_util.h"

#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>

using namespace ps;

namespace {

// A minimal GGUF encoder written from the spec alone (independent of gguf::GgufWriter).
struct SpecBytes {
    std::string b;
    template <typename T> SpecBytes& put(T v) {
        char buf[sizeof(T)];
        std::memcpy(buf, &v, sizeof(T));
        b.append(buf, sizeof(T));
        return *this;
    }
    SpecBytes& str(const std::string& s) {
        put<std::uint64_t>(s.size());
        b += s;
        return *this;
    }
    SpecBytes& pad(std::size_t a = 32) {
        b.resize((b.size() + a - 1) / a * a, '\0');
        return *this;
    }
};

// "GGUF" v3, 3 metadata entries, tensor "w" F32 ne {3, 2} = 1..6 at offset 0.
std::string specFile() {
    SpecBytes s;
    s.b = "GGUF";
    s.put<std::uint32_t>(3).put<std::uint64_t>(1).put<std::uint64_t>(3);
    s.str("general.architecture").put<std::uint32_t>(8).str("llama");
    s.str("adapter.lora.alpha").put<std::uint32_t>(6).put<float>(16.0f);
    s.str("ids").put<std::uint32_t>(9).put<std::uint32_t>(4).put<std::uint64_t>(3);
    s.put<std::uint32_t>(7).put<std::uint32_t>(8).put<std::uint32_t>(9);
    s.str("w").put<std::uint32_t>(2).put<std::uint64_t>(3).put<std::uint64_t>(2).put<std::uint32_t>(0);
    s.put<std::uint64_t>(0);
    s.pad();
    for (int k = 1; k <= 6; ++k)
        s.put<float>(static_cast<float>(k));
    return s.pad().b;
}

std::string errorOf(const std::string& bytes, const std::string& what = "bad.gguf") {
    try {
        GgufFile::fromBytes(bytes, what);
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

gguf::TensorToWrite floatTensor(const std::string& name, std::vector<std::uint64_t> ne, float start) {
    gguf::TensorToWrite t;
    t.name = name;
    t.ne = std::move(ne);
    std::uint64_t n = 1;
    for (auto d : t.ne)
        n *= d;
    t.bytes.resize(n * 4);
    for (std::uint64_t k = 0; k < n; ++k) {
        const float v = start + static_cast<float>(k);
        std::memcpy(t.bytes.data() + 4 * k, &v, 4);
    }
    return t;
}

} // namespace

class TestGgufFormat final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsSpecLayout();
    void writerProducesSpecLayout();
    void halfConversion_data();
    void halfConversion();
    void halfConversionMatchesTorch();
    void everyTruncationIsAnError();
    void corruptFiles_data();
    void corruptFiles();
    void randomMutationsNeverCrash();
    void errorsNameTheFileOnDisk();
};

void TestGgufFormat::readsSpecLayout() {
    const auto f = GgufFile::fromBytes(specFile(), "spec.gguf");
    QCOMPARE(f->version(), 3u);
    QCOMPARE(f->alignment(), 32u);
    QCOMPARE(f->metadata().size(), std::size_t(3));
    QCOMPARE(f->requireString("general.architecture"), std::string("llama"));
    QCOMPARE(f->requireFloat("adapter.lora.alpha"), 16.0);
    const GgufValue* ids = f->find("ids");
    QVERIFY(ids && ids->type == GgufValueType::Array && ids->arrayType == GgufValueType::Uint32);
    QCOMPARE(ids->array.size(), std::size_t(3));
    QCOMPARE(ids->array[2].u, std::uint64_t(9));
    QCOMPARE(f->tensors().size(), std::size_t(1));
    const GgufTensorInfo& w = f->tensors()[0];
    QCOMPARE(w.ne, (std::vector<std::uint64_t>{3, 2}));
    QCOMPARE(w.nbytes, std::uint64_t(24));
    QCOMPARE(w.dataOffset % 32, std::uint64_t(0));
    QCOMPARE(f->floatValues(w), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    QVERIFY(!errorOf(specFile()).size());
    // Wrong-typed look-ups name the key.
    QVERIFY(QString::fromStdString(errorOf("")).contains(QStringLiteral("bad.gguf")));
    try {
        f->requireString("adapter.lora.alpha");
        QFAIL("expected an error");
    } catch (const Error& e) {
        QVERIFY(std::string(e.what()).find("adapter.lora.alpha") != std::string::npos);
    }
}

void TestGgufFormat::writerProducesSpecLayout() {
    gguf::GgufWriter w;
    w.addString("general.type", "adapter");
    w.addFloat32("adapter.lora.alpha", 8.0f);
    w.addUint32("general.file_type", 0);
    w.addBool("flag", true);
    w.addTensor(floatTensor("a.lora_a", {5, 3}, 0)); // 60 bytes: the next tensor starts at 64
    w.addTensor(floatTensor("a.lora_b", {3, 7}, 100));
    const std::string bytes = w.serialize();
    // Header fields at their spec offsets.
    QCOMPARE(bytes.substr(0, 4), std::string("GGUF"));
    std::uint32_t version;
    std::uint64_t nTensors, nKv;
    std::memcpy(&version, bytes.data() + 4, 4);
    std::memcpy(&nTensors, bytes.data() + 8, 8);
    std::memcpy(&nKv, bytes.data() + 16, 8);
    QCOMPARE(version, 3u);
    QCOMPARE(nTensors, std::uint64_t(2));
    QCOMPARE(nKv, std::uint64_t(4));
    QCOMPARE(bytes.size() % 32, std::size_t(0));

    const auto f = GgufFile::fromBytes(bytes, "written.gguf");
    QCOMPARE(f->find("flag")->u, std::uint64_t(1));
    QCOMPARE(f->find("general.file_type")->type, GgufValueType::Uint32);
    // llama.cpp's loader wants each offset = the previous end rounded up to the alignment.
    QCOMPARE(f->tensors()[0].offset, std::uint64_t(0));
    QCOMPARE(f->tensors()[1].offset, std::uint64_t(64));
    QCOMPARE(f->dataSectionOffset() % 32, std::uint64_t(0));
    const auto values = f->floatValues(f->tensors()[1]);
    QCOMPARE(values.front(), 100.0f);
    QCOMPARE(values.back(), 120.0f);

    QVERIFY_EXCEPTION_THROWN(w.addString("general.type", "again"), Error);
    QVERIFY_EXCEPTION_THROWN(w.addTensor(floatTensor("a.lora_a", {1}, 0)), Error);
    QVERIFY_EXCEPTION_THROWN(w.addTensor(floatTensor(std::string(64, 'x'), {1}, 0)), Error);
    auto bad = floatTensor("short", {4}, 0);
    bad.bytes.pop_back();
    QVERIFY_EXCEPTION_THROWN(w.addTensor(bad), Error);
}

void TestGgufFormat::halfConversion_data() {
    QTest::addColumn<float>("value");
    QTest::addColumn<int>("bits");
    QTest::newRow("one") << 1.0f << 0x3c00;
    QTest::newRow("minus two") << -2.0f << 0xc000;
    QTest::newRow("0.1 rounds to nearest") << 0.1f << 0x2e66;
    QTest::newRow("largest half") << 65504.0f << 0x7bff;
    QTest::newRow("overflow to inf") << 65520.0f << 0x7c00;
    QTest::newRow("smallest subnormal") << std::ldexp(1.0f, -24) << 0x0001;
    QTest::newRow("half the smallest subnormal rounds to even zero") << std::ldexp(1.0f, -25) << 0x0000;
    QTest::newRow("largest subnormal") << std::ldexp(1023.0f, -24) << 0x03ff;
    QTest::newRow("negative zero") << -0.0f << 0x8000;
}

void TestGgufFormat::halfConversion() {
    QFETCH(float, value);
    QFETCH(int, bits);
    QCOMPARE(static_cast<int>(gguf::floatToHalf(value)), bits);
}

void TestGgufFormat::halfConversionMatchesTorch() {
    // Every half value decodes as torch decodes it and encodes back to itself.
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
        const auto h = static_cast<std::uint16_t>(bits);
        const float f = gguf::halfToFloat(h);
        const float ref = static_cast<float>(c10::Half(h, c10::Half::from_bits()));
        if (std::isnan(ref)) {
            QVERIFY(std::isnan(f));
            continue;
        }
        QCOMPARE(f, ref);
        QCOMPARE(gguf::floatToHalf(f), h);
    }
    // Floats round as torch rounds them (nearest even), across the half range and beyond.
    torch::manual_seed(7);
    const auto x = torch::cat(
        {torch::randn({20000}) * torch::logspace(-9, 6, 20000), torch::tensor({65519.0f, 65520.0f, 1e-8f, -3e-5f})});
    const auto half = x.to(torch::kFloat16);
    for (std::int64_t k = 0; k < x.numel(); ++k)
        QCOMPARE(gguf::floatToHalf(x[k].item<float>()), half[k].item<at::Half>().x);
}

void TestGgufFormat::everyTruncationIsAnError() {
    // Every cut before the end of the last tensor's data (the trailing padding is optional).
    const std::string full = specFile();
    const auto parsed = GgufFile::fromBytes(full, "spec.gguf");
    const auto& last = parsed->tensors().back();
    const std::size_t end = static_cast<std::size_t>(last.dataOffset + last.nbytes);
    QVERIFY(end < full.size());
    for (std::size_t n = 0; n < end; ++n) {
        const std::string err = errorOf(full.substr(0, n), "cut.gguf");
        QVERIFY2(err.find("cut.gguf") != std::string::npos, ("prefix of " + std::to_string(n) + " bytes").c_str());
    }
}

void TestGgufFormat::corruptFiles_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* name, const std::string& b, const char* expected) {
        QTest::newRow(name) << QByteArray(b.data(), static_cast<int>(b.size())) << QString::fromLatin1(expected);
    };
    auto header = [](std::uint32_t version, std::uint64_t nt, std::uint64_t nkv) {
        SpecBytes s;
        s.b = "GGUF";
        s.put(version).put(nt).put(nkv);
        return s;
    };
    row("empty", "", "truncated");
    row("not gguf", std::string("GGML") + std::string(40, '\0'), "not a GGUF file");
    row("version 1", header(1, 0, 0).b, "version 1");
    row("kv count beyond the file", header(3, 0, 1ull << 40).b, "metadata entries");
    row("tensor count beyond the file", header(3, 1ull << 40, 0).b, "tensors");
    SpecBytes s = header(3, 0, 1);
    s.str("k").put<std::uint32_t>(99).put<std::uint32_t>(0);
    row("unknown value type", s.b, "unknown value type 99");
    s = header(3, 0, 1);
    s.str("k").put<std::uint32_t>(9).put<std::uint32_t>(4).put<std::uint64_t>(1ull << 60);
    row("array longer than the file", s.b, "array elements");
    s = header(3, 0, 1);
    s.str("k").put<std::uint32_t>(9).put<std::uint32_t>(9).put<std::uint64_t>(1);
    row("array of arrays", s.b, "array of arrays");
    s = header(3, 0, 1);
    s.put<std::uint64_t>(~0ull).put<std::uint64_t>(0).put<std::uint64_t>(0);
    row("key length beyond the file", s.b, "bytes long");
    s = header(3, 0, 2);
    s.str("k").put<std::uint32_t>(4).put<std::uint32_t>(1).str("k").put<std::uint32_t>(4).put<std::uint32_t>(1);
    row("duplicate key", s.b, "appears twice");
    s = header(3, 0, 1);
    s.str("general.alignment").put<std::uint32_t>(4).put<std::uint32_t>(3);
    row("alignment not a power of two", s.b, "power of two");
    s = header(3, 0, 1);
    s.str("general.alignment").put<std::uint32_t>(8).str("32");
    row("alignment of the wrong type", s.b, "expected uint32");
    auto tensor = [&](const std::string& name, std::uint32_t nDims, std::uint64_t ne0, std::uint32_t type,
                      std::uint64_t offset) {
        SpecBytes t = header(3, 1, 0);
        t.str(name).put(nDims);
        for (std::uint32_t d = 0; d < nDims; ++d)
            t.put<std::uint64_t>(d == 0 ? ne0 : 1);
        t.put(type).put(offset);
        t.pad();
        t.b += std::string(64, '\0');
        return t.b;
    };
    row("zero dimensions", tensor("t", 0, 4, 0, 0), "dimensions");
    row("five dimensions", tensor("t", 5, 4, 0, 0), "dimensions");
    row("unknown ggml type", tensor("t", 1, 4, 77, 0), "unknown ggml type 77");
    row("misaligned offset", tensor("t", 1, 4, 0, 4), "not a multiple of the alignment");
    row("data beyond the end", tensor("t", 1, 1000, 0, 0), "beyond the end");
    row("offset beyond the end", tensor("t", 1, 4, 0, 1ull << 62), "beyond the end");
    row("quantized row not a block multiple", tensor("t", 1, 31, 2, 0), "block size");
    row("tensor name too long", tensor(std::string(64, 'n'), 1, 4, 0, 0), "bytes long");
    s = header(3, 1, 0);
    s.str("t").put<std::uint32_t>(2).put<std::uint64_t>(1ull << 40).put<std::uint64_t>(1ull << 40);
    s.put<std::uint32_t>(0).put<std::uint64_t>(0);
    row("element count overflow", s.b, "overflows");
    s = header(3, 2, 0);
    s.str("a").put<std::uint32_t>(1).put<std::uint64_t>(16).put<std::uint32_t>(0).put<std::uint64_t>(0);
    s.str("b").put<std::uint32_t>(1).put<std::uint64_t>(16).put<std::uint32_t>(0).put<std::uint64_t>(32);
    s.pad();
    s.b += std::string(128, '\0');
    row("overlapping tensors", s.b, "overlap");
    s = header(3, 2, 0);
    s.str("a").put<std::uint32_t>(1).put<std::uint64_t>(4).put<std::uint32_t>(0).put<std::uint64_t>(0);
    s.str("a").put<std::uint32_t>(1).put<std::uint64_t>(4).put<std::uint32_t>(0).put<std::uint64_t>(32);
    s.pad();
    s.b += std::string(64, '\0');
    row("duplicate tensor", s.b, "appears twice");
}

void TestGgufFormat::corruptFiles() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const std::string err = errorOf(bytes.toStdString(), "corrupt.gguf");
    QVERIFY2(!err.empty(), "expected an error");
    QVERIFY2(err.find("corrupt.gguf") != std::string::npos, err.c_str());
    QVERIFY2(QString::fromStdString(err).contains(expected), err.c_str());
}

void TestGgufFormat::randomMutationsNeverCrash() {
    // A smoke version of the fuzz target: flipped bytes and random garbage only ever give a
    // parsed file or a ps::Error (run under ASan/UBSan to also catch silent out-of-bounds reads).
    gguf::GgufWriter w;
    w.addString("general.architecture", "gpt2");
    w.addFloat32("adapter.lora.alpha", 4.0f);
    w.addTensor(floatTensor("blk.0.attn_qkv.weight.lora_a", {8, 2}, 0));
    w.addTensor(floatTensor("blk.0.attn_qkv.weight.lora_b", {2, 24}, 1));
    const std::string good = w.serialize();
    std::mt19937 rng(1234);
    int parsed = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        std::string b = good;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k)
            b[rng() % b.size()] = static_cast<char>(rng() & 0xff);
        if (iter % 7 == 0)
            b.resize(rng() % b.size());
        try {
            const auto f = GgufFile::fromBytes(b, "mutant.gguf");
            for (const auto& t : f->tensors())
                if (t.type == kGgmlTypeF32 || t.type == kGgmlTypeF16 || t.type == kGgmlTypeBF16)
                    (void)f->floatValues(t);
            ++parsed;
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("mutant.gguf") != std::string::npos);
        }
    }
    QVERIFY(parsed > 0); // some flips land in tensor data and leave a valid file
}

void TestGgufFormat::errorsNameTheFileOnDisk() {
    QTemporaryDir dir;
    const std::string path = dir.path().toStdString() + "/cut.gguf";
    writeFileAtomic(path, specFile().substr(0, 40));
    try {
        GgufFile::open(path);
        QFAIL("expected an error");
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
    QVERIFY_EXCEPTION_THROWN(GgufFile::open(dir.path().toStdString() + "/missing.gguf"), Error);
}

QTEST_APPLESS_MAIN(TestGgufFormat)
#include "tst_gguf_format.moc"
