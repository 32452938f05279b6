// Path traversal: a name that comes from a file we read (run name, method, model name, shard
// name in an index, the run name an export names its file after) never makes us write outside
// the folder the user chose. Tried with "../", absolute and Windows-style names.
#include "core/train/trainer_test_util.h"
#include "ps/export.h"
#include "ps/runs.h"
#include "ps/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <set>

using namespace ps;
using namespace ps::test;
namespace fs = std::filesystem;

namespace {

const char* const kHostileNames[] = {
    "../../escape", "../..", "..", ".", "/etc/passwd", "..\\..\\escape", "C:\\Windows\\System32", "a/../../b",
    "\\\\server\\share", "CON", "name\nwith newline", "",
};

// True when `path` is `root` or inside it, after resolving ".." lexically.
bool isInside(const fs::path& path, const fs::path& root) {
    const auto p = fs::weakly_canonical(path).lexically_normal();
    const auto r = fs::weakly_canonical(root).lexically_normal();
    auto [rootEnd, pathIt] = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
    return rootEnd == r.end();
}

std::set<std::string> allFiles(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        out.insert(e.path().string());
    return out;
}

} // namespace

class TestPathTraversal final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private Q_SLOTS:
    void nameComponentsAreSafeFileNames() {
        for (const char* name : kHostileNames) {
            const std::string s = sanitizeNameComponent(name, 48, "fallback");
            QVERIFY2(!s.empty() && s != "." && s != "..", name);
            QVERIFY2(s.find_first_of("/\\:\n") == std::string::npos, (std::string(name) + " -> " + s).c_str());
            QVERIFY2(isInside(fs::path(tmp_.path().toStdString()) / s, tmp_.path().toStdString()), name);
        }
    }

    void runFoldersStayUnderTheRunsRoot() {
        const std::string root = tmp_.filePath(QStringLiteral("box/runs")).toStdString();
        const std::set<std::string> outside = allFiles(tmp_.path().toStdString());
        for (const char* name : kHostileNames) {
            RunConfig c;
            c.model_name_or_path = name;
            c.dataset = name;
            c.finetuning_type = name;
            c.run_name = name;
            c.output_dir = root;
            const std::string dir = createRunFolder(c);
            QVERIFY2(fs::path(dir).parent_path() == fs::path(root), (std::string(name) + " -> " + dir).c_str());
            QVERIFY(isRunFolder(dir));
        }
        for (const auto& f : allFiles(tmp_.path().toStdString())) // nothing new outside the root
            QVERIFY2(outside.count(f) || isInside(f, root) || isInside(root, f), f.c_str()); // root and its parents
    }

    void shardNamesInAnIndexCannotLeaveTheModelFolder_data() {
        QTest::addColumn<QString>("shard");
        QTest::newRow("parent folder") << QStringLiteral("../outside.safetensors");
        QTest::newRow("absolute") << QStringLiteral("/tmp/outside.safetensors");
        QTest::newRow("windows parent") << QStringLiteral("..\\outside.safetensors");
        QTest::newRow("dot dot") << QStringLiteral("..");
    }
    void shardNamesInAnIndexCannotLeaveTheModelFolder() {
        QFETCH(QString, shard);
        const std::string dir = tmp_.filePath(QStringLiteral("sharded")).toStdString();
        fs::create_directories(dir);
        std::ofstream(dir + "/model.safetensors.index.json")
            << "{\"weight_map\": {\"w\": \"" << QString(shard).replace(QStringLiteral("\\"), QStringLiteral("\\\\")).toStdString()
            << "\"}}";
        try {
            SafetensorsCheckpoint::open(dir);
            QFAIL("a shard outside the folder was accepted");
        } catch (const std::exception& e) {
            QVERIFY2(std::string(e.what()).find("must be a plain file name inside the model folder") != std::string::npos,
                     e.what());
        }
    }

    // The GGUF export names its file after the run: a hostile run_name in config.yaml must still
    // give a file inside the chosen folder, and the PEFT export writes only inside its folder.
    void exportsNamedAfterAHostileRunStayInTheChosenFolder() {
        const std::string dir = tmp_.filePath(QStringLiteral("export-case")).toStdString();
        fs::create_directories(dir);
        const std::string model = makeTinyModel(dir);
        RunConfig c = smallRunConfig(model, writeAlpacaData(dir, 16), dir + "/runs");
        c.max_steps = 2;
        c.run_name = "../../../escaped-run";
        RecordingObserver obs;
        StopToken stop;
        const RunSummary run = Trainer().run(c, obs, stop);
        QCOMPARE(run.status, RunStatus::Completed);
        QCOMPARE(resolveExportSource(run.runDir).name, c.run_name); // the hostile name reaches the exporter

        const std::string out = dir + "/chosen/inner";
        fs::create_directories(out);
        const std::set<std::string> before = allFiles(tmp_.path().toStdString());
        const GgufExportReport gguf = exportGgufLora(run.runDir, model, out);
        QVERIFY2(fs::path(gguf.ggufPath).parent_path() == fs::path(out), gguf.ggufPath.c_str());
        const PeftExportReport peft = exportPeftAdapter(run.runDir, model, out + "/peft");
        QCOMPARE(peft.outDir, out + "/peft");
        for (const auto& f : allFiles(tmp_.path().toStdString()))
            QVERIFY2(before.count(f) || isInside(f, out), f.c_str());
    }
};

QTEST_APPLESS_MAIN(TestPathTraversal)
#include "tst_path_traversal.moc"
