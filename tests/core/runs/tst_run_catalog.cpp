// The SQLite run catalog: indexes the folders, follows them as they change, and is rebuilt from
// them when the catalog file is missing or corrupt (tags and notes survive: they live in the folders).
#include "ps/error.h"
#include "ps/run_catalog.h"
#include "util/file_util.h"

#include <QTemporaryDir>
#include "runs/run_lock.h"

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace ps;
namespace fs = std::filesystem;

namespace {

// A run folder as the trainer leaves it.
std::string makeRun(const std::string& root, const std::string& id, const std::string& model, double lr,
                    RunStatus status, std::optional<double> finalLoss, const std::string& startedAt) {
    const std::string dir = joinPath(root, id);
    RunConfig c;
    c.model_name_or_path = "/models/" + model;
    c.dataset = "/data/alpaca.jsonl";
    c.learning_rate = lr;
    c.lora_rank = 16;
    saveRunConfig(c, runConfigPath(dir));
    RunSummary s;
    s.status = status;
    s.finalLoss = finalLoss;
    s.bestEvalLoss = finalLoss ? std::optional<double>(*finalLoss + 0.1) : std::nullopt;
    s.steps = 100;
    s.tokensPerSec = 250.0;
    s.peakMemoryBytes = 2ull << 30;
    s.durationSec = 60.0;
    s.startedAt = startedAt;
    writeRunSummary(dir, s);
    return dir;
}

void overwrite(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

std::vector<std::string> ids(const std::vector<RunRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records)
        out.push_back(r.id);
    return out;
}

} // namespace

class TestRunCatalog final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void indexesRunsNewestFirst() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        makeRun(root, "run-a", "SmolLM2-135M", 1e-4, RunStatus::Completed, 1.25, "2025-01-01T10:00:00Z");
        makeRun(root, "run-b", "Qwen2.5-0.5B", 2e-4, RunStatus::Running, std::nullopt, "2025-01-02T10:00:00Z");
        RunCatalog catalog(root);
        QVERIFY(catalog.wasRebuilt()); // there was no catalog yet
        QVERIFY(isRegularFile(catalog.databasePath()));
        const auto runs = catalog.list();
        QCOMPARE(ids(runs), (std::vector<std::string>{"run-b", "run-a"}));
        const RunRecord& a = runs[1];
        QCOMPARE(a.model, std::string("SmolLM2-135M"));
        QCOMPARE(a.method, std::string("lora"));
        QCOMPARE(a.dataset, std::string("alpaca.jsonl"));
        QCOMPARE(a.rank, std::int64_t(16));
        QCOMPARE(a.learningRate, 1e-4);
        QCOMPARE(a.status, RunStatus::Completed);
        QCOMPARE(*a.finalLoss, 1.25);
        QCOMPARE(*a.bestEvalLoss, 1.35);
        QCOMPARE(a.peakMemoryBytes, std::uint64_t(2) << 30);
        QVERIFY(!runs[0].finalLoss);

        RunCatalog again(root); // a healthy catalog is reused, not rebuilt
        QVERIFY(!again.wasRebuilt());
        QCOMPARE(again.list().size(), std::size_t(2));
    }

    void followsNewChangedAndRemovedFolders() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const std::string a =
            makeRun(root, "run-a", "m", 1e-4, RunStatus::Running, std::nullopt, "2025-01-01T10:00:00Z");
        RunCatalog catalog(root);
        QCOMPARE(catalog.list().size(), std::size_t(1));

        makeRun(root, "run-b", "m", 1e-4, RunStatus::Running, std::nullopt, "2025-01-02T10:00:00Z");
        RunSummary done = readRunSummary(a);
        done.status = RunStatus::Completed;
        done.finalLoss = 0.5;
        done.error = "changed size so that the signature changes even within one mtime tick";
        writeRunSummary(a, done);
        catalog.sync();
        QCOMPARE(catalog.list().size(), std::size_t(2));
        QCOMPARE(catalog.find("run-a")->status, RunStatus::Completed);
        QCOMPARE(*catalog.find("run-a")->finalLoss, 0.5);

        fs::remove_all(a);
        RunCatalog reopened(root);
        QCOMPARE(ids(reopened.list()), (std::vector<std::string>{"run-b"}));
        QVERIFY(!reopened.find("run-a"));
    }

    // Two catalogs on one root (the GUI's catalog thread and the trainer, or the GUI and the CLI):
    // when one rebuilds the file and renames it into place, the other's open connection points at
    // the old, unlinked file. It must notice, reopen, and keep listing and writing.
    void aCatalogReplacedByAnotherInstanceIsReopened() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        makeRun(root, "run-a", "m", 1e-4, RunStatus::Completed, 1.0, "2025-01-01T10:00:00Z");
        RunCatalog first(root);
        QCOMPARE(first.list().size(), std::size_t(1));
        {
            RunCatalog second(root);
            second.rebuild(); // a new file renamed over the one `first` has open
        }
        makeRun(root, "run-b", "m", 1e-4, RunStatus::Completed, 2.0, "2025-01-02T10:00:00Z");
        first.sync(); // writes: failed with "attempt to write a readonly database" before
        QCOMPARE(ids(first.list()), (std::vector<std::string>{"run-b", "run-a"}));
        first.setTags("run-a", {"kept"});
        RunCatalog third(root); // what `first` wrote is in the file on disk now
        QVERIFY(!third.wasRebuilt());
        QCOMPARE(third.find("run-a")->tags, (std::vector<std::string>{"kept"}));
        QVERIFY(third.find("run-b"));
    }

    // "running" in summary.json is only true while a process holds the run's lock.
    void runningWithoutItsProcessIsFailed() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const std::string run = makeRun(root, "live", "m", 1e-4, RunStatus::Running, std::nullopt, "2025-01-01T10:00:00Z");
        const std::string done = makeRun(root, "done", "m", 1e-4, RunStatus::Completed, 1.0, "2025-01-02T10:00:00Z");
        auto lock = std::make_unique<runs::RunLock>(run);
        QVERIFY(runs::isRunLockHeld(run));
        QVERIFY(!runs::isRunLockHeld(done));
        RunCatalog catalog(root);
        QCOMPARE(catalog.find("live")->status, RunStatus::Running);
        QCOMPARE(readRunRecord(run).status, RunStatus::Running);
        lock.reset(); // killed: the kernel drops the lock, summary.json still says running
        QVERIFY(!runs::isRunLockHeld(run));
        QCOMPARE(catalog.find("live")->status, RunStatus::Failed);
        QCOMPARE(catalog.list().back().status, RunStatus::Failed);
        QCOMPARE(readRunRecord(run).status, RunStatus::Failed);
        QCOMPARE(catalog.find("done")->status, RunStatus::Completed);
        QCOMPARE(readRunSummary(run).status, RunStatus::Running); // nothing was rewritten
        runs::RunLock again(run); // the probe left the lock free for a resume
    }

    void corruptCatalogIsRebuilt_data() {
        QTest::addColumn<int>("damage");
        QTest::newRow("garbage bytes") << 0;
        QTest::newRow("truncated to half") << 1;
        QTest::newRow("empty file") << 2;
        QTest::newRow("deleted") << 3;
    }
    void corruptCatalogIsRebuilt() {
        QFETCH(int, damage);
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        for (int i = 0; i < 20; ++i)
            makeRun(root, "run-" + std::to_string(100 + i), "m", 1e-4, RunStatus::Completed, 1.0 + i,
                    "2025-01-01T10:00:" + std::to_string(10 + i) + "Z");
        std::string dbPath;
        {
            RunCatalog catalog(root);
            catalog.setTags("run-105", {"keep"});
            catalog.setNotes("run-105", "the good one");
            dbPath = catalog.databasePath();
        }
        const std::string bytes = readFile(dbPath);
        if (damage == 0)
            overwrite(dbPath, std::string(bytes.size(), 'x'));
        else if (damage == 1)
            overwrite(dbPath, bytes.substr(0, bytes.size() / 2));
        else if (damage == 2)
            overwrite(dbPath, "");
        else
            fs::remove(dbPath);

        RunCatalog catalog(root);
        QVERIFY(catalog.wasRebuilt());
        const auto runs = catalog.list();
        QCOMPARE(runs.size(), std::size_t(20));
        const auto kept = catalog.find("run-105");
        QVERIFY(kept);
        QCOMPARE(kept->tags, (std::vector<std::string>{"keep"}));
        QCOMPARE(kept->notes, std::string("the good one"));
        RunCatalog healthy(root);
        QVERIFY(!healthy.wasRebuilt());
        // No temporary files left next to the catalog.
        for (const auto& e : fs::directory_iterator(root))
            QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
    }

    void nanLossIsKept() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        makeRun(root, "nan-run", "m", 1e-4, RunStatus::Failed, std::numeric_limits<double>::quiet_NaN(),
                "2025-01-01T10:00:00Z");
        RunCatalog catalog(root);
        const auto r = catalog.find("nan-run");
        QVERIFY(r && r->finalLoss);
        QVERIFY(std::isnan(*r->finalLoss));
    }

    void damagedRunIsStillListed() {
        QTemporaryDir dir;
        const std::string root = dir.path().toStdString();
        const std::string run = makeRun(root, "broken", "m", 1e-4, RunStatus::Completed, 1.0, "2025-01-01T10:00:00Z");
        writeFileAtomic(runConfigPath(run), "learning_rat: 1\n");
        fs::remove(runSummaryPath(run));
        fs::create_directories(joinPath(root, "not-a-run")); // no config.yaml: ignored
        RunCatalog catalog(root);
        const auto runs = catalog.list();
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs[0].id, std::string("broken"));
        QCOMPARE(runs[0].status, RunStatus::Failed);
        QVERIFY(readRunRecord(run).model.empty());
    }

    void unknownRunCannotBeTagged() {
        QTemporaryDir dir;
        RunCatalog catalog(dir.path().toStdString());
        try {
            catalog.setTags("ghost", {"x"});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("no run 'ghost'") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestRunCatalog)
#include "tst_run_catalog.moc"
