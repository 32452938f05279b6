// The Runs page against synthetic run folders: the table's cells equal the files' values, numbers
// sort as numbers, search / status / tag filters, tags and notes persisted to notes.json, rename
// keeps the folder, a running run's row follows its summary.json in place, and delete moves the
// folder to the (test's own) trash after the confirmation.
#include "run_comparison_view.h"
#include "runs_filter_model.h"
#include "runs_page.h"
#include "runs_table_model.h"
#include "runs_test_folders.h"

#include "ps/human_format.h"
#include "ps/runs.h"
#include "runs/run_lock.h" // internal: the test plays the training process

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QTableView>
#include <QTemporaryDir>
#include <QDataStream>
#include <QSplitter>
#include <QtTest>

#include <cmath>
#include <filesystem>

using namespace ps::ui;
using ps::ui::test::makeRun;
using ps::ui::test::SyntheticRun;
using ps::ui::test::writeRun;

namespace {

QString cell(const QAbstractItemModel& m, int row, int column) {
    return m.index(row, column).data().toString();
}

// The ids in the proxy's current order.
QStringList proxyOrder(const QAbstractItemModel& proxy) {
    QStringList ids;
    for (int r = 0; r < proxy.rowCount(); ++r)
        ids << proxy.index(r, 0).data(RunsTableModel::IdRole).toString();
    return ids;
}

QString idOf(const std::string& dir) {
    return QString::fromStdString(dir).section(QLatin1Char('/'), -1);
}

} // namespace

class TestRunsPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        tmp_ = std::make_unique<QTemporaryDir>();
        QVERIFY(tmp_->isValid());
        root_ = tmp_->path() + QStringLiteral("/runs");
        QDir().mkpath(root_);
        qputenv("XDG_DATA_HOME", QFile::encodeName(tmp_->path() + QStringLiteral("/xdg"))); // the trash
        SyntheticRun a = makeRun(QStringLiteral("baseline r8"), "lora", 8, 2e-4, ps::RunStatus::Completed);
        a.finalLoss = 1.2345;
        a.bestEvalLoss = 1.4;
        a.tokensPerSec = 900.0;
        a.peakMemory = 540'000'000ull;
        a.durationSec = 65.0;
        a.minutesAgo = 30;
        SyntheticRun b = makeRun(QStringLiteral("dora sweep"), "dora", 16, 1e-5, ps::RunStatus::Failed);
        b.finalLoss = 2.5;
        b.tokensPerSec = 85.0;
        b.peakMemory = 2'100'000'000ull;
        b.durationSec = 3725.0;
        b.dataset = "/data/sharegpt-chat.jsonl";
        b.minutesAgo = 20;
        SyntheticRun c = makeRun(QStringLiteral("ia3 quick"), "ia3", 8, 3e-3, ps::RunStatus::Completed);
        c.finalLoss = 0.75;
        c.bestEvalLoss = 0.9;
        c.tokensPerSec = 1000.0;
        c.peakMemory = 120'000'000ull;
        c.durationSec = 12.0;
        c.minutesAgo = 10;
        runs_ = {a, b, c};
        dirs_.clear();
        for (const auto& r : runs_)
            dirs_.push_back(writeRun(root_, r));
    }
    void cleanup() {
        QThreadPool::globalInstance()->waitForDone();
        tmp_.reset();
    }

    void cellsEqualTheRunFiles() {
        RunsPage page(root_);
        QAbstractItemModelTester sourceTester(page.tableModel(),
                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(page.filterModel(),
                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        QVERIFY(!page.isShowingEmptyState());
        const RunsTableModel& m = *page.tableModel();
        for (std::size_t i = 0; i < runs_.size(); ++i) {
            const SyntheticRun& r = runs_[i];
            const int row = m.rowForId(idOf(dirs_[i]));
            QVERIFY(row >= 0);
            // Independent of the model: what was written to config.yaml / summary.json.
            const ps::RunSummary summary = ps::readRunSummary(dirs_[i]);
            QCOMPARE(cell(m, row, RunsTableModel::NameColumn), r.name);
            QCOMPARE(cell(m, row, RunsTableModel::ModelColumn), QStringLiteral("SmolLM2-135M"));
            QCOMPARE(cell(m, row, RunsTableModel::MethodColumn), QString::fromStdString(r.method));
            QCOMPARE(cell(m, row, RunsTableModel::RankColumn),
                     r.method == "ia3" ? QStringLiteral("\u2014") : QString::number(r.rank));
            QCOMPARE(m.index(row, RunsTableModel::LearningRateColumn).data(RunsTableModel::SortRole).toDouble(), r.lr);
            QCOMPARE(cell(m, row, RunsTableModel::StatusColumn),
                     r.status == ps::RunStatus::Failed ? QStringLiteral("Failed") : QStringLiteral("Completed"));
            QCOMPARE(cell(m, row, RunsTableModel::FinalLossColumn), QString::number(*summary.finalLoss, 'f', 4));
            QCOMPARE(cell(m, row, RunsTableModel::BestEvalLossColumn),
                     summary.bestEvalLoss ? QString::number(*summary.bestEvalLoss, 'f', 4) : QStringLiteral("\u2014"));
            QCOMPARE(cell(m, row, RunsTableModel::TokensPerSecColumn), QString::number(summary.tokensPerSec, 'f', 1));
            QCOMPARE(cell(m, row, RunsTableModel::PeakMemoryColumn),
                     QString::fromStdString(ps::formatByteSize(summary.peakMemoryBytes)));
            QCOMPARE(m.index(row, RunsTableModel::DurationColumn).data(RunsTableModel::SortRole).toDouble(),
                     summary.durationSec);
            QCOMPARE(m.index(row, RunsTableModel::DateColumn).data(Qt::ToolTipRole).toString(),
                     QDateTime::fromString(QString::fromStdString(summary.startedAt), Qt::ISODate)
                         .toLocalTime()
                         .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
            QCOMPARE(m.index(row, 0).data(RunsTableModel::PathRole).toString(), QString::fromStdString(dirs_[i]));
        }
        QCOMPARE(cell(m, m.rowForId(idOf(dirs_[1])), RunsTableModel::DurationColumn), QStringLiteral("1h02m05s"));
    }

    void numericColumnsSortAsNumbers() {
        RunsPage page(root_);
        QTRY_COMPARE(page.filterModel()->rowCount(), 3);
        // As text these would sort "0.0002" < "0.003" < "1e-05" and "1000.0" < "85.0" < "900.0".
        page.table()->sortByColumn(RunsTableModel::LearningRateColumn, Qt::AscendingOrder);
        QCOMPARE(proxyOrder(*page.filterModel()), (QStringList{idOf(dirs_[1]), idOf(dirs_[0]), idOf(dirs_[2])}));
        page.table()->sortByColumn(RunsTableModel::TokensPerSecColumn, Qt::DescendingOrder);
        QCOMPARE(proxyOrder(*page.filterModel()), (QStringList{idOf(dirs_[2]), idOf(dirs_[0]), idOf(dirs_[1])}));
        // A missing best eval loss sorts after every real one.
        page.table()->sortByColumn(RunsTableModel::BestEvalLossColumn, Qt::AscendingOrder);
        QCOMPARE(proxyOrder(*page.filterModel()), (QStringList{idOf(dirs_[2]), idOf(dirs_[0]), idOf(dirs_[1])}));
        page.table()->sortByColumn(RunsTableModel::DateColumn, Qt::DescendingOrder); // newest first
        QCOMPARE(proxyOrder(*page.filterModel()), (QStringList{idOf(dirs_[2]), idOf(dirs_[1]), idOf(dirs_[0])}));
    }

    // Column widths, order and sort and the table / comparison split survive a restart
    // (MainWindow saves layoutState() in AppSettings); a state of another layout is refused.
    void layoutStateRoundTrips() {
        QByteArray state;
        QList<int> sizes;
        {
            RunsPage page(root_);
            page.resize(900, 700);
            page.show();
            QTRY_COMPARE(page.filterModel()->rowCount(), 3);
            auto* header = page.table()->horizontalHeader();
            header->resizeSection(RunsTableModel::NameColumn, 263);
            header->moveSection(header->visualIndex(RunsTableModel::LearningRateColumn), 0);
            page.table()->sortByColumn(RunsTableModel::TokensPerSecColumn, Qt::DescendingOrder);
            page.splitter()->setSizes({150, 450});
            sizes = page.splitter()->sizes();
            page.comparison()->setAxis(ComparisonAxis::Tokens);
            page.comparison()->setSmoothing(0.85);
            state = page.layoutState();
        }
        RunsPage page(root_);
        page.resize(900, 700);
        page.show();
        QTRY_COMPARE(page.filterModel()->rowCount(), 3);
        auto* header = page.table()->horizontalHeader();
        QVERIFY(header->sectionSize(RunsTableModel::NameColumn) != 263);
        QVERIFY(page.restoreLayoutState(state));
        QCOMPARE(header->sectionSize(RunsTableModel::NameColumn), 263);
        QCOMPARE(header->visualIndex(RunsTableModel::LearningRateColumn), 0);
        QCOMPARE(header->sortIndicatorSection(), int(RunsTableModel::TokensPerSecColumn));
        QCOMPARE(header->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(page.splitter()->sizes(), sizes);
        QCOMPARE(proxyOrder(*page.filterModel()), (QStringList{idOf(dirs_[2]), idOf(dirs_[0]), idOf(dirs_[1])}));
        // The comparison chart's axis and smoothing, in its controls too.
        QCOMPARE(page.comparison()->axis(), ComparisonAxis::Tokens);
        QCOMPARE(page.comparison()->smoothing(), 0.85);
        QCOMPARE(page.comparison()->findChild<QComboBox*>(QStringLiteral("axisBox"))->currentData().toInt(),
                 int(ComparisonAxis::Tokens));
        QCOMPARE(page.comparison()->findChild<QSlider*>(QStringLiteral("smoothingSlider"))->value(), 85);

        // A state saved before the chart's settings were part of it still restores the rest.
        QByteArray older;
        {
            QDataStream out(&older, QIODevice::WriteOnly);
            out << quint32(0x52504c31) << qint32(page.filterModel()->columnCount()) << header->saveState()
                << page.splitter()->saveState();
        }
        page.comparison()->setAxis(ComparisonAxis::Step);
        QVERIFY(page.restoreLayoutState(older));
        QCOMPARE(page.comparison()->axis(), ComparisonAxis::Step);
        // Out-of-range values are ignored, the rest applies.
        QByteArray bad;
        {
            QDataStream out(&bad, QIODevice::WriteOnly);
            out << quint32(0x52504c31) << qint32(page.filterModel()->columnCount()) << header->saveState()
                << page.splitter()->saveState() << qint32(17) << 0.3;
        }
        QVERIFY(page.restoreLayoutState(bad));
        QCOMPARE(page.comparison()->axis(), ComparisonAxis::Step);
        QCOMPARE(page.comparison()->smoothing(), 0.3);
        QByteArray badSmoothing;
        {
            QDataStream out(&badSmoothing, QIODevice::WriteOnly);
            out << quint32(0x52504c31) << qint32(page.filterModel()->columnCount()) << header->saveState()
                << page.splitter()->saveState() << qint32(ComparisonAxis::Time) << std::nan("");
        }
        QVERIFY(page.restoreLayoutState(badSmoothing));
        QCOMPARE(page.comparison()->axis(), ComparisonAxis::Time);
        QCOMPARE(page.comparison()->smoothing(), 0.3);

        QVERIFY(!page.restoreLayoutState(QByteArray()));
        QVERIFY(!page.restoreLayoutState(QByteArray("not a layout")));
        QByteArray otherColumns;
        {
            QDataStream out(&otherColumns, QIODevice::WriteOnly);
            out << quint32(0x52504c31) << qint32(3) << header->saveState() << page.splitter()->saveState();
        }
        QVERIFY(!page.restoreLayoutState(otherColumns));
        QCOMPARE(header->sectionSize(RunsTableModel::NameColumn), 263);
    }

    void searchStatusAndTagFilters() {
        RunsPage page(root_);
        QTRY_COMPARE(page.filterModel()->rowCount(), 3);
        page.searchBox()->setText(QStringLiteral("sharegpt")); // the dataset
        QCOMPARE(proxyOrder(*page.filterModel()), QStringList{idOf(dirs_[1])});
        page.searchBox()->setText(QStringLiteral("LORA baseline")); // every word, any case
        QCOMPARE(proxyOrder(*page.filterModel()), QStringList{idOf(dirs_[0])});
        page.searchBox()->clear();
        page.statusFilter()->setCurrentIndex(page.statusFilter()->findData(static_cast<int>(ps::RunStatus::Failed)));
        QCOMPARE(proxyOrder(*page.filterModel()), QStringList{idOf(dirs_[1])});
        page.statusFilter()->setCurrentIndex(0);
        QCOMPARE(page.filterModel()->rowCount(), 3);

        // Tags and notes: saved to notes.json, then searchable and filterable.
        QSignalSpy refreshed(&page, &RunsPage::refreshed);
        page.setRunAnnotations(idOf(dirs_[2]), {QStringLiteral("keep"), QStringLiteral("fast")},
                               QStringLiteral("learning rate too high?"));
        QTRY_COMPARE(refreshed.count(), 1);
        const ps::RunAnnotations saved = ps::readRunAnnotations(dirs_[2]);
        QCOMPARE(saved.tags, (std::vector<std::string>{"keep", "fast"}));
        QCOMPARE(saved.notes, std::string("learning rate too high?"));
        QCOMPARE(page.tagFilter()->count(), 3); // all tags, fast, keep
        page.tagFilter()->setCurrentIndex(page.tagFilter()->findData(QStringLiteral("keep")));
        QCOMPARE(proxyOrder(*page.filterModel()), QStringList{idOf(dirs_[2])});
        page.tagFilter()->setCurrentIndex(0);
        page.searchBox()->setText(QStringLiteral("too high"));
        QCOMPARE(proxyOrder(*page.filterModel()), QStringList{idOf(dirs_[2])});
    }

    void renameKeepsTheFolder() {
        RunsPage page(root_);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        const ps::RunConfig before = ps::loadRunConfig(ps::runConfigPath(dirs_[0]));
        QSignalSpy refreshed(&page, &RunsPage::refreshed);
        page.renameRun(idOf(dirs_[0]), QStringLiteral("  best so far "));
        QTRY_COMPARE(refreshed.count(), 1);
        const int row = page.tableModel()->rowForId(idOf(dirs_[0]));
        QVERIFY(row >= 0); // same id: the folder did not move
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::NameColumn), QStringLiteral("best so far"));
        QVERIFY(QFileInfo(QString::fromStdString(dirs_[0])).isDir());
        ps::RunConfig after = ps::loadRunConfig(ps::runConfigPath(dirs_[0]));
        QCOMPARE(after.run_name, std::string("best so far"));
        after.run_name = before.run_name;
        QVERIFY(after == before); // nothing else changed
    }

    void runningRowUpdatesInPlace() {
        SyntheticRun live = makeRun(QStringLiteral("live one"), "lora", 4, 1e-4, ps::RunStatus::Running);
        live.finalLoss = 3.0;
        live.tokensPerSec = 100.0;
        live.peakMemory = 1'000'000ull;
        live.durationSec = 5.0;
        const std::string dir = writeRun(root_, live);
        // A live run's process holds its lock (a "running" run whose lock is free was killed).
        auto lock = std::make_unique<ps::runs::RunLock>(dir);
        RunsPage page(root_);
        page.resize(1100, 700);
        page.show();
        QTRY_COMPARE(page.tableModel()->rowCount(), 4);
        QCOMPARE(cell(*page.tableModel(), page.tableModel()->rowForId(idOf(dir)), RunsTableModel::StatusColumn),
                 QStringLiteral("Running"));
        page.selectRuns({idOf(dir)});
        QCOMPARE(page.selectedRunIds(), QStringList{idOf(dir)});
        QSignalSpy resets(page.tableModel(), &QAbstractItemModel::modelReset);
        QSignalSpy proxyResets(page.filterModel(), &QAbstractItemModel::modelReset);
        QSignalSpy changed(page.tableModel(), &QAbstractItemModel::dataChanged);

        // While it runs, the trainer appends to metrics.jsonl (summary.json only changes at the end).
        const int row = page.tableModel()->rowForId(idOf(dir));
        ps::MetricSample step7 = ps::ui::test::trainPoint(7, 2.25);
        step7.elapsedSec = 42;
        step7.peakRssBytes = 700'000'000ull;
        QFile metrics(QString::fromStdString(ps::runMetricsPath(dir)));
        QVERIFY(metrics.open(QIODevice::Append));
        metrics.write(QByteArray::fromStdString(ps::metricSampleToJson(step7) + "\n"));
        metrics.write("{\"type\":\"train\",\"st"); // the next line, half-written
        metrics.close();
        // A metrics line alone does not change the catalog's signature: the poll still shows it.
        QTRY_COMPARE_WITH_TIMEOUT(cell(*page.tableModel(), row, RunsTableModel::FinalLossColumn),
                                  QStringLiteral("2.2500"), 4 * RunsPage::kPollIntervalMs);
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::DurationColumn), QStringLiteral("42s"));
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::PeakMemoryColumn),
                 QString::fromStdString(ps::formatByteSize(700'000'000ull)));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(resets.count(), 0);
        QCOMPARE(proxyResets.count(), 0);
        QCOMPARE(page.selectedRunIds(), QStringList{idOf(dir)}); // selection kept

        // The run ends: summary.json has the final figures.
        ps::RunSummary s = ps::readRunSummary(dir);
        s.status = ps::RunStatus::Completed;
        s.finalLoss = 1.5;
        s.durationSec = 90;
        ps::writeRunSummary(dir, s);
        QTRY_COMPARE_WITH_TIMEOUT(cell(*page.tableModel(), row, RunsTableModel::StatusColumn),
                                  QStringLiteral("Completed"), 4 * RunsPage::kPollIntervalMs);
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::FinalLossColumn), QStringLiteral("1.5000"));
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::DurationColumn), QStringLiteral("1m30s"));
        QCOMPARE(resets.count(), 0);
        QCOMPARE(page.selectedRunIds(), QStringList{idOf(dir)});
    }

    // A training process killed with -9 leaves summary.json saying "running"; once nobody holds
    // the run's lock the row says Failed (resume continues it) and is no longer polled as live.
    void killedRunIsShownAsFailed() {
        SyntheticRun live = makeRun(QStringLiteral("killed one"), "lora", 8, 2e-4, ps::RunStatus::Running);
        const std::string dir = writeRun(root_, live);
        auto lock = std::make_unique<ps::runs::RunLock>(dir);
        RunsPage page(root_);
        QTRY_VERIFY(page.tableModel()->rowForId(idOf(dir)) >= 0);
        const int row = page.tableModel()->rowForId(idOf(dir));
        QCOMPARE(cell(*page.tableModel(), row, RunsTableModel::StatusColumn), QStringLiteral("Running"));
        QVERIFY(page.tableModel()->hasActiveRuns());
        lock.reset(); // the process is gone
        QTRY_COMPARE_WITH_TIMEOUT(
            cell(*page.tableModel(), page.tableModel()->rowForId(idOf(dir)), RunsTableModel::StatusColumn),
            QStringLiteral("Failed"), 4 * RunsPage::kPollIntervalMs);
        QCOMPARE(ps::readRunSummary(dir).status, ps::RunStatus::Running); // the folder is not rewritten
        QVERIFY(std::filesystem::remove_all(dir) > 0);
    }

    // A run trained with its own output_dir lives under another runs root: the page can move
    // there (MainWindow does when such a run starts) and lists that root's runs only.
    void anotherRunsRootIsListedAfterSwitching() {
        RunsPage page(root_);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        page.selectRuns({idOf(dirs_[0])});
        const QString other = tmp_->path() + QStringLiteral("/elsewhere");
        const std::string otherRun =
            writeRun(other, makeRun(QStringLiteral("elsewhere"), "dora", 2, 3e-4, ps::RunStatus::Completed));
        page.setRunsRoot(other);
        QCOMPARE(page.runsRoot(), other);
        QTRY_COMPARE(page.tableModel()->rowCount(), 1);
        QCOMPARE(page.tableModel()->runAt(0).path, otherRun);
        QVERIFY(page.selectedRunIds().isEmpty());
        QVERIFY(page.findChild<QLabel*>() != nullptr);
        bool mentionsRoot = false;
        for (QLabel* label : page.findChildren<QLabel*>())
            mentionsRoot = mentionsRoot || label->text().contains(QDir::toNativeSeparators(other));
        QVERIFY(mentionsRoot);
        QTRY_VERIFY(!page.isBusy());
        // And back, through the toolbar's "Runs folder..." (the dialog replaced by a hook).
        QString offered;
        page.setFolderHook([&](const QString& current) {
            offered = current;
            return root_;
        });
        auto* folderAction = page.findChild<QAction*>(QStringLiteral("runsFolderAction"));
        QVERIFY(folderAction);
        folderAction->trigger();
        QCOMPARE(offered, other);
        QCOMPARE(page.runsRoot(), root_);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        QTRY_VERIFY(!page.isBusy());
        page.setFolderHook([](const QString&) { return QString(); }); // cancelled: nothing changes
        folderAction->trigger();
        QCOMPARE(page.runsRoot(), root_);
    }

    void deleteMovesTheFolderToTheTrash() {
        RunsPage page(root_);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        QList<DeleteConfirmation> asked;
        bool agree = false;
        page.setConfirmHook([&](DeleteConfirmation kind, const QString& text) {
            asked << kind;
            if (kind == DeleteConfirmation::MoveToTrash)
                [&] { QVERIFY(text.contains(QStringLiteral("trash"))); }();
            return agree;
        });
        const QString id = idOf(dirs_[1]);
        page.deleteRuns({id}); // declined: nothing moves
        QCOMPARE(asked, QList<DeleteConfirmation>{DeleteConfirmation::MoveToTrash});
        QVERIFY(QFileInfo(QString::fromStdString(dirs_[1])).isDir());

        agree = true;
        page.deleteRuns({id});
        QTRY_COMPARE(page.tableModel()->rowCount(), 2);
        QCOMPARE(page.tableModel()->rowForId(id), -1);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(dirs_[1])));
        const QString trashed = tmp_->path() + QStringLiteral("/xdg/Trash/files/") + id;
        QVERIFY2(QFileInfo(trashed + QStringLiteral("/config.yaml")).isFile(), qPrintable(trashed));
        QVERIFY(
            QFileInfo::exists(tmp_->path() + QStringLiteral("/xdg/Trash/info/") + id + QStringLiteral(".trashinfo")));
        QCOMPARE(asked.size(), 2); // the trash took it: no second, permanent-delete question
    }

    void deleteWithoutATrashAsksBeforeDeletingForGood() {
        // XDG_DATA_HOME is a file: no trash can be made on this file system.
        const QString notADir = tmp_->path() + QStringLiteral("/not-a-folder");
        QFile block(notADir);
        QVERIFY(block.open(QIODevice::WriteOnly));
        block.close();
        qputenv("XDG_DATA_HOME", QFile::encodeName(notADir));
        RunsPage page(root_);
        QTRY_COMPARE(page.tableModel()->rowCount(), 3);
        QList<DeleteConfirmation> asked;
        QString permanentText;
        bool deleteForGood = false;
        page.setConfirmHook([&](DeleteConfirmation kind, const QString& text) {
            asked << kind;
            if (kind == DeleteConfirmation::DeletePermanently)
                permanentText = text;
            return kind == DeleteConfirmation::MoveToTrash || deleteForGood;
        });
        const QString path = QString::fromStdString(dirs_[0]);
        page.deleteRuns({idOf(dirs_[0])});
        QTRY_COMPARE(asked.size(), 2); // declined the second time: the folder stays
        QCOMPARE(asked.last(), DeleteConfirmation::DeletePermanently);
        QVERIFY(permanentText.contains(path));
        QVERIFY(permanentText.contains(QStringLiteral("cannot be undone")));
        QTRY_VERIFY(!page.isBusy());
        QVERIFY(QFileInfo(path).isDir());
        QCOMPARE(page.tableModel()->rowCount(), 3);

        deleteForGood = true;
        page.deleteRuns({idOf(dirs_[0])});
        QTRY_COMPARE(page.tableModel()->rowCount(), 2);
        QCOMPARE(asked.size(), 4);
        QVERIFY(!QFileInfo::exists(path));
    }

    void emptyRootSaysHowToMakeARun() {
        QTemporaryDir empty;
        RunsPage page(empty.path());
        QSignalSpy refreshed(&page, &RunsPage::refreshed);
        QTRY_COMPARE(refreshed.count(), 1);
        QVERIFY(page.isShowingEmptyState());
        auto* go = page.findChild<QPushButton*>(QStringLiteral("goTrainButton"));
        QVERIFY(go);
        QSignalSpy train(&page, &RunsPage::trainRequested);
        go->click();
        QCOMPARE(train.count(), 1);
        writeRun(empty.path(), runs_[0]);
        page.refresh();
        QTRY_VERIFY(!page.isShowingEmptyState());
    }

private:
    std::unique_ptr<QTemporaryDir> tmp_;
    QString root_;
    std::vector<SyntheticRun> runs_;
    std::vector<std::string> dirs_;
};

QTEST_MAIN(TestRunsPage)
#include "tst_runs_page.moc"
