// peft-studio-cli export --format peft|merged|gguf and inspect FILE.gguf, end to end.
#include "cli_runner.h"

#include "ps/adapter.h"
#include "ps/gguf.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

namespace {

using test::CliResult;
using test::runCli;

QString fixture(const char* rel) {
    return QStringLiteral(PS_FIXTURES) + QLatin1Char('/') + QLatin1String(rel);
}

QStringList exportArgs(const char* adapter, const char* base, const char* format, const QString& out) {
    return {QStringLiteral("export"),   fixture(adapter),      QStringLiteral("--base"), fixture(base),
            QStringLiteral("--format"), QLatin1String(format), QStringLiteral("--out"),  out};
}

} // namespace

class TestCliExport final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void peftFormat();
    void mergedFormat();
    void ggufFormatAndInspect();
    void ggufRefusesOtherMethods();
    void badArguments_data();
    void badArguments();

private:
    QTemporaryDir tmp_;
};

void TestCliExport::peftFormat() {
    const QString out = tmp_.path() + QStringLiteral("/peft");
    auto r = runCli(exportArgs("adapters/ia3", "models/tiny-llama", "peft", out));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("IA3")), qPrintable(r.out));
    for (const char* f : {"/adapter_config.json", "/adapter_model.safetensors", "/README.md"})
        QVERIFY(isRegularFile((out + QLatin1String(f)).toStdString()));
    r = runCli(exportArgs("adapters/ia3", "models/tiny-llama", "peft", out));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(QStringLiteral("--force")), qPrintable(r.err));
    r = runCli(exportArgs("adapters/ia3", "models/tiny-llama", "peft", out) << QStringLiteral("--force"));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

void TestCliExport::mergedFormat() {
    const QString out = tmp_.path() + QStringLiteral("/merged");
    const auto r = runCli(exportArgs("adapters/lora-gpt2", "models/tiny-gpt2", "merged", out));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(isRegularFile((out + QStringLiteral("/model.safetensors")).toStdString()));
}

void TestCliExport::ggufFormatAndInspect() {
    const QString out = tmp_.path() + QStringLiteral("/gguf/adapter.gguf");
    auto r = runCli(exportArgs("adapters/lora-r8-all", "models/tiny-llama", "gguf", out)
                    << QStringLiteral("--dtype") << QStringLiteral("f16") << QStringLiteral("--template")
                    << QStringLiteral("mistral"));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("architecture llama")), qPrintable(r.out));
    const auto f = GgufFile::open(out.toStdString());
    QCOMPARE(f->tensors().size(), std::size_t(2 * 7 * 2)); // 7 projections x 2 layers x (a, b)
    QCOMPARE(f->tensors()[0].type, kGgmlTypeF16);
    const std::string modelfile = readFile((tmp_.path() + QStringLiteral("/gguf/Modelfile")).toStdString());
    QVERIFY(modelfile.find("ADAPTER ./adapter.gguf") != std::string::npos);
    QVERIFY(modelfile.find("[INST]") != std::string::npos);

    r = runCli({QStringLiteral("inspect"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("general.type = \"adapter\"")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("adapter.lora.alpha = 16")));
    QVERIFY(r.out.contains(QStringLiteral("blk.0.attn_q.weight.lora_a  F16 {64, 8}")));
    QVERIFY(r.out.contains(QStringLiteral("blk.0.attn_k.weight.lora_b  F16 {8, 32}")));
    r = runCli({QStringLiteral("inspect"), out, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json j = parseJson(r.out.toStdString(), "inspect --json");
    QCOMPARE(j["metadata"]["adapter.type"].get<std::string>(), std::string("lora"));

    // A truncated file: an error naming it, no crash.
    const std::string bytes = readFile(out.toStdString());
    const QString cut = tmp_.path() + QStringLiteral("/cut.gguf");
    writeFileAtomic(cut.toStdString(), bytes.substr(0, bytes.size() - 100));
    r = runCli({QStringLiteral("inspect"), cut});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(cut), qPrintable(r.err));
}

void TestCliExport::ggufRefusesOtherMethods() {
    const QString out = tmp_.path() + QStringLiteral("/loha.gguf");
    const auto r = runCli(exportArgs("adapters/loha", "models/tiny-llama", "gguf", out));
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(QStringLiteral("LOHA")) && r.err.contains(QStringLiteral("--format merged")),
             qPrintable(r.err));
    QVERIFY(!isRegularFile(out.toStdString()));
}

void TestCliExport::badArguments_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QString out = QStringLiteral("/nonexistent-dir/x");
    QTest::newRow("unknown format") << exportArgs("adapters/ia3", "models/tiny-llama", "onnx", out)
                                    << QStringLiteral("--format must be");
    QTest::newRow("gguf bf16") << (exportArgs("adapters/lora-gpt2", "models/tiny-gpt2", "gguf", out)
                                   << QStringLiteral("--dtype") << QStringLiteral("bf16"))
                               << QStringLiteral("f32 or f16");
    QTest::newRow("no base for a plain adapter folder")
        << QStringList{QStringLiteral("export"), fixture("adapters/ia3"), QStringLiteral("--format"),
                       QStringLiteral("peft"),   QStringLiteral("--out"), out}
        << QStringLiteral("--base");
    QTest::newRow("not an adapter") << exportArgs("tokenizers", "models/tiny-llama", "peft", out)
                                    << QStringLiteral("not a run folder");
}

void TestCliExport::badArguments() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const auto r = runCli(args);
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(expected), qPrintable(r.err));
}

QTEST_APPLESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
