// The demo model folder: made once with a marker that says how; a folder left by an older
// version (no marker: it was randomly initialised then) or with less pre-training than asked for
// is made again, and the result always loads.
#include "trainer_test_util.h"

#include "ps/demo.h"
#include "ps/model_info.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace ps;
namespace fs = std::filesystem;

class TestDemoModel final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        qputenv("XDG_DATA_HOME", QFile::encodeName(tmp_.path()));
        qputenv("LOCALAPPDATA", QFile::encodeName(tmp_.path()));
    }

    void outdatedDemoModelIsMadeAgain() {
        const std::string resources = PS_SOURCE_DIR "/resources/demo";
        test::RecordingObserver observer;
        QVERIFY(!demoModelReady(0));
        const std::string dir = ensureDemoModel(resources, observer, 2);
        QCOMPARE(dir, demoModelDir());
        QVERIFY(fs::exists(fs::path(dir) / "peft_studio_demo.json"));
        QVERIFY(demoModelReady(2));
        QVERIFY(!demoModelReady(kDemoPretrainSteps)); // 2 steps are not the default 80
        QVERIFY(demoModelReady(0));
        QCOMPARE(inspectModel(dir).architecture, std::string("LlamaForCausalLM"));

        // What an older version left: the same files without the marker.
        fs::remove(fs::path(dir) / "peft_studio_demo.json");
        std::ofstream(fs::path(dir) / "left-by-the-old-version.txt") << "x";
        QVERIFY(!demoModelReady(1));
        QVERIFY(demoModelReady(0)); // "any demo model" still accepts it
        ensureDemoModel(resources, observer, 1);
        QVERIFY(demoModelReady(1));
        QVERIFY(!fs::exists(fs::path(dir) / "left-by-the-old-version.txt")); // replaced, not patched
        QCOMPARE(inspectModel(dir).architecture, std::string("LlamaForCausalLM"));
        // Nothing of the work folders is left next to it.
        for (const auto& entry : fs::directory_iterator(fs::path(dir).parent_path()))
            QVERIFY2(entry.path().filename() == "demo-model" || entry.path().filename() == "runs",
                     qPrintable(QString::fromStdString(entry.path().string())));
    }
};

QTEST_APPLESS_MAIN(TestDemoModel)
#include "tst_demo_model.moc"
