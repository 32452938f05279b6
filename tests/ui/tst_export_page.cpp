// The Export page: the compatibility report is on screen (with its warnings) before anything is
// written; replacing existing output asks first; an export made from the page is read back by
// core's loaders; a refused export shows the error and what to do on the page.
#include "adapter_picker.h"
#include "compat_report_view.h"
#include "error_banner.h"
#include "export_page.h"

#include "ps/adapter.h"
#include "ps/model_info.h"
#include "ps/run_config.h"
#include "ps/safetensors.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QComboBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace ps::ui;
using ps::CompatVerdict;
using ps::ExportRuntime;

namespace {

QString fixture(const char* rel) {
    return QStringLiteral(PS_FIXTURES) + QLatin1Char('/') + QLatin1String(rel);
}

// A DoRA adapter on tiny-llama's layer-0 q_proj (the magnitude vector is what marks it).
void writeDoraAdapter(const QString& dir) {
    QDir().mkpath(dir);
    QJsonObject c{{QStringLiteral("peft_type"), QStringLiteral("LORA")},
                  {QStringLiteral("r"), 4},
                  {QStringLiteral("lora_alpha"), 8},
                  {QStringLiteral("use_dora"), true},
                  {QStringLiteral("target_modules"), QJsonArray{QStringLiteral("q_proj")}},
                  {QStringLiteral("layers_to_transform"), QJsonArray{0}},
                  {QStringLiteral("base_model_name_or_path"), QStringLiteral("tiny-llama")}};
    QFile f(dir + QStringLiteral("/adapter_config.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(c).toJson());
    f.close();
    const std::string m = "base_model.model.model.layers.0.self_attn.q_proj";
    static std::vector<float> a(4 * 64, 0.01f), b(64 * 4, 0.01f), mag(64, 1.0f);
    ps::writeSafetensors((dir + QStringLiteral("/adapter_model.safetensors")).toStdString(),
                         {{m + ".lora_A.weight", ps::DType::F32, {4, 64}, a.data()},
                          {m + ".lora_B.weight", ps::DType::F32, {64, 4}, b.data()},
                          {m + ".lora_magnitude_vector", ps::DType::F32, {64}, mag.data()}});
}

} // namespace

class TestExportPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void reportWarnsBeforeExporting_data();
    void reportWarnsBeforeExporting();
    void overwriteAsksFirst();
    void exportedFolderReadsBack_data();
    void exportedFolderReadsBack();
    void refusedExportShowsWhatToDo();
    void runFromTheCatalogBringsItsBaseModel();

private:
    // Shows SOURCE with BASE on a fresh page and waits for its report.
    void load(ExportPage& page, const QString& source, const QString& base);
    QTemporaryDir tmp_;
};

void TestExportPage::initTestCase() {
    QVERIFY(tmp_.isValid());
    // An empty runs root of our own: the picker lists no runs of the user's.
    qputenv("PEFT_STUDIO_RUNS", QFile::encodeName(tmp_.path() + QStringLiteral("/runs")));
    writeDoraAdapter(tmp_.path() + QStringLiteral("/dora"));
}

void TestExportPage::load(ExportPage& page, const QString& source, const QString& base) {
    page.setSource(source);
    page.setBaseDir(base);
    QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.reportView()->hasReport(), 30000);
}

void TestExportPage::reportWarnsBeforeExporting_data() {
    QTest::addColumn<QString>("adapter");
    QTest::addColumn<QString>("vllm");
    QTest::addColumn<QString>("transformers");
    QTest::addColumn<QString>("llamaCpp");
    QTest::addColumn<QString>("reason");
    QTest::newRow("DoRA") << tmp_.path() + QStringLiteral("/dora") << "unsupported"
                          << "ok"
                          << "unsupported"
                          << "DoRA magnitude vectors";
    QTest::newRow("LoHa") << fixture("adapters/loha") << "unsupported"
                          << "warning"
                          << "unsupported"
                          << "transformers 4.x";
    QTest::newRow("plain LoRA") << fixture("adapters/lora-r4-qv") << "ok"
                                << "ok"
                                << "ok"
                                << "";
}

void TestExportPage::reportWarnsBeforeExporting() {
    QFETCH(QString, adapter);
    QFETCH(QString, vllm);
    QFETCH(QString, transformers);
    QFETCH(QString, llamaCpp);
    QFETCH(QString, reason);
    ExportPage page;
    page.show();
    const QString out = tmp_.path() + QStringLiteral("/never-written");
    page.setOutputPath(out);
    load(page, adapter, fixture("models/tiny-llama"));
    CompatReportView* r = page.reportView();
    QCOMPARE(r->verdictText(ExportRuntime::Peft), QStringLiteral("ok"));
    QCOMPARE(r->verdictText(ExportRuntime::Vllm), vllm);
    QCOMPARE(r->verdictText(ExportRuntime::Transformers), transformers);
    QCOMPARE(r->verdictText(ExportRuntime::LlamaCpp), llamaCpp);
    if (!reason.isEmpty()) {
        const QString all = r->reasonsText(ExportRuntime::Vllm) + r->reasonsText(ExportRuntime::Transformers) +
                            r->reasonsText(ExportRuntime::LlamaCpp);
        QVERIFY2(all.contains(reason), qPrintable(all));
    }
    // The report is there, the export is offered, and nothing has been written.
    QVERIFY(page.exportButton()->isEnabled());
    QVERIFY(!QFileInfo::exists(out));
}

void TestExportPage::overwriteAsksFirst() {
    const QString out = tmp_.path() + QStringLiteral("/existing");
    QDir().mkpath(out);
    QFile keep(out + QStringLiteral("/keep.txt"));
    QVERIFY(keep.open(QIODevice::WriteOnly));
    keep.write("precious");
    keep.close();

    ExportPage page;
    QStringList asked;
    bool answer = false;
    page.setOverwriteConfirmer([&](const QString& path) {
        asked << path;
        return answer;
    });
    load(page, fixture("adapters/lora-r4-qv"), fixture("models/tiny-llama"));
    page.setOutputPath(out);
    QSignalSpy finished(&page, &ExportPage::exportFinished);

    QVERIFY(!page.startExport()); // "no": nothing happens
    QCOMPARE(asked, QStringList{out});
    QVERIFY(QFileInfo::exists(out + QStringLiteral("/keep.txt")));
    QCOMPARE(finished.count(), 0);

    answer = true; // "yes": the folder is replaced by the export
    QVERIFY(page.startExport());
    QCOMPARE(asked.size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    QVERIFY(!QFileInfo::exists(out + QStringLiteral("/keep.txt")));
    QVERIFY(QFileInfo::exists(out + QStringLiteral("/adapter_config.json")));

    // A fresh path is not asked about.
    page.setOutputPath(tmp_.path() + QStringLiteral("/fresh"));
    QVERIFY(page.startExport());
    QCOMPARE(asked.size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
}

void TestExportPage::exportedFolderReadsBack_data() {
    QTest::addColumn<int>("format");
    QTest::newRow("peft") << static_cast<int>(ExportFormat::Peft);
    QTest::newRow("merged") << static_cast<int>(ExportFormat::Merged);
}

void TestExportPage::exportedFolderReadsBack() {
    QFETCH(int, format);
    const auto f = static_cast<ExportFormat>(format);
    const QString out = tmp_.path() + QStringLiteral("/readback-") + exportFormatName(f);
    const QString base = fixture("models/tiny-llama");
    ExportPage page;
    load(page, fixture("adapters/lora-r4-qv"), base);
    page.setFormat(f);
    page.setOutputPath(out);
    QSignalSpy finished(&page, &ExportPage::exportFinished);
    QVERIFY(page.startExport());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(page.errorBanner()->message()));
    QCOMPARE(page.lastOutDir(), out);
    QVERIFY(page.filesList()->count() > 0);

    if (f == ExportFormat::Peft) {
        // Core's loader reads it back: same tensors as the source, and they fit the base.
        const ps::AdapterInfo source = ps::inspectAdapter(fixture("adapters/lora-r4-qv").toStdString());
        const ps::AdapterInfo written = ps::inspectAdapter(out.toStdString());
        QCOMPARE(written.tensors.size(), source.tensors.size());
        for (std::size_t i = 0; i < source.tensors.size(); ++i) {
            QCOMPARE(written.tensors[i].name, source.tensors[i].name);
            QCOMPARE(written.tensors[i].shape, source.tensors[i].shape);
        }
        ps::validateAdapter(out.toStdString(), base.toStdString());
        QVERIFY(QFileInfo::exists(out + QStringLiteral("/README.md")));
    } else {
        const ps::ModelInfo merged = ps::inspectModel(out.toStdString());
        const ps::ModelInfo original = ps::inspectModel(base.toStdString());
        QCOMPARE(merged.modelType, original.modelType);
        QCOMPARE(merged.numParameters, original.numParameters); // LoRA folded in, nothing added
    }
}

void TestExportPage::refusedExportShowsWhatToDo() {
    ExportPage page;
    load(page, fixture("adapters/loha"), fixture("models/tiny-llama"));
    page.setFormat(ExportFormat::Gguf);
    const QString out = tmp_.path() + QStringLiteral("/loha.gguf");
    page.setOutputPath(out);
    QSignalSpy finished(&page, &ExportPage::exportFinished);
    QVERIFY(page.startExport());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QVERIFY2(page.errorBanner()->message().contains(QStringLiteral("LOHA")), qPrintable(page.errorBanner()->message()));
    QVERIFY2(page.errorBanner()->advice().contains(QStringLiteral("merged")), qPrintable(page.errorBanner()->advice()));
    QVERIFY(!QFileInfo::exists(out));
}

void TestExportPage::runFromTheCatalogBringsItsBaseModel() {
    // A run folder in the runs root: config.yaml naming its model, and its adapter/.
    const QString run = tmp_.path() + QStringLiteral("/runs/20260101-000000-lora-tiny");
    QDir().mkpath(run + QStringLiteral("/adapter"));
    ps::RunConfig config;
    config.run_name = "tiny-run";
    config.model_name_or_path = fixture("models/tiny-llama").toStdString();
    QFile yaml(run + QStringLiteral("/config.yaml"));
    QVERIFY(yaml.open(QIODevice::WriteOnly));
    yaml.write(QByteArray::fromStdString(ps::runConfigToYaml(config)));
    yaml.close();
    for (const char* f : {"/adapter_config.json", "/adapter_model.safetensors"})
        QVERIFY(QFile::copy(fixture("adapters/lora-r4-qv") + QLatin1String(f),
                            run + QStringLiteral("/adapter") + QLatin1String(f)));

    ExportPage page;
    QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 30000);
    // The catalog lists it, and choosing it (the first entry) fills in the run's model.
    QVERIFY(page.picker()->comboBox()->count() >= 1);
    QCOMPARE(QDir::cleanPath(page.picker()->currentPath()), QDir::cleanPath(run));
    QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.reportView()->hasReport(), 30000);
    QCOMPARE(QDir::fromNativeSeparators(page.baseEdit()->text()), fixture("models/tiny-llama"));
    // The base was found, so llama.cpp's verdict is a real one, not "not checked".
    QCOMPARE(page.reportView()->verdictText(ExportRuntime::LlamaCpp), QStringLiteral("ok"));
    QVERIFY(page.outputEdit()->text().startsWith(QDir::toNativeSeparators(run)));
}

QTEST_MAIN(TestExportPage)
#include "tst_export_page.moc"
