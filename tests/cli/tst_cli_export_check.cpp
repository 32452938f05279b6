// peft-studio-cli export prints the compatibility report before it writes anything, and
// export --check prints only the report.
#include "cli_runner.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using ps::test::runCli;

namespace {

QString fixture(const char* rel) {
    return QStringLiteral(PS_FIXTURES) + QLatin1Char('/') + QLatin1String(rel);
}

} // namespace

class TestCliExportCheck final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void checkPrintsTheReportAndWritesNothing();
    void reportComesBeforeTheExport();
    void refusedExportStillShowsWhy();

private:
    QTemporaryDir tmp_;
};

void TestCliExportCheck::checkPrintsTheReportAndWritesNothing() {
    const QString out = tmp_.path() + QStringLiteral("/loha-out");
    const auto r = runCli({QStringLiteral("export"), fixture("adapters/loha"), QStringLiteral("--base"),
                           fixture("models/tiny-llama"), QStringLiteral("--format"), QStringLiteral("peft"),
                           QStringLiteral("--out"), out, QStringLiteral("--check")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("[ok] peft")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("[warning] transformers")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("[unsupported] vLLM")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("[unsupported] llama.cpp / Ollama")), qPrintable(r.out));
    QVERIFY(!r.out.contains(QStringLiteral("wrote")));
    QVERIFY(!QDir(out).exists());

    // --check needs neither --format nor --out.
    const auto bare = runCli({QStringLiteral("export"), fixture("adapters/lora-r4-qv"), QStringLiteral("--base"),
                              fixture("models/tiny-llama"), QStringLiteral("--check")});
    QVERIFY2(bare.exitCode == 0, qPrintable(bare.err));
    QVERIFY2(bare.out.contains(QStringLiteral("[ok] vLLM")), qPrintable(bare.out));
}

void TestCliExportCheck::reportComesBeforeTheExport() {
    const QString out = tmp_.path() + QStringLiteral("/peft");
    const auto r = runCli({QStringLiteral("export"), fixture("adapters/lora-modules-to-save"), QStringLiteral("--base"),
                           fixture("models/tiny-llama"), QStringLiteral("--format"), QStringLiteral("peft"),
                           QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const auto report = r.out.indexOf(QStringLiteral("[unsupported] vLLM"));
    const auto wrote = r.out.indexOf(QStringLiteral("wrote"));
    QVERIFY2(report >= 0 && wrote > report, qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("modules_to_save (lm_head)")));
    QVERIFY(QDir(out).exists(QStringLiteral("adapter_config.json")));
}

void TestCliExportCheck::refusedExportStillShowsWhy() {
    const QString out = tmp_.path() + QStringLiteral("/ia3.gguf");
    const auto r = runCli({QStringLiteral("export"), fixture("adapters/ia3"), QStringLiteral("--base"),
                           fixture("models/tiny-llama"), QStringLiteral("--format"), QStringLiteral("gguf"),
                           QStringLiteral("--out"), out});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.out.contains(QStringLiteral("[unsupported] llama.cpp / Ollama")), qPrintable(r.out));
    QVERIFY2(r.err.contains(QStringLiteral("IA3")), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(out));
}

QTEST_GUILESS_MAIN(TestCliExportCheck)
#include "tst_cli_export_check.moc"
