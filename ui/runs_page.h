#pragma once
// RunsPage — every training run under the runs root: a sortable, searchable table from the run
// catalog (tags, notes, rename, open folder, delete to the trash), and below it the comparison of
// the selected runs (run_comparison_view.h). The catalog lives on its own thread (catalog_thread.h);
// while any run is running, the page re-reads the catalog every kPollIntervalMs and the rows update
// in place. Design decisions are written down in docs/RUNS.md.
#include "runs_dialogs.h"

#include <QStringList>
#include <QWidget>

#include <functional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTimer;
class QAction;

namespace ps {
class RunCatalog;
struct RunRecord;
} // namespace ps

namespace ps::ui {

class CatalogThread;
class RunComparisonView;
class RunsFilterModel;
class RunsTableModel;

class RunsPage final : public QWidget {
    Q_OBJECT

public:
    static constexpr int kPollIntervalMs = 2000;

    explicit RunsPage(const QString& runsRoot, QWidget* parent = nullptr);
    ~RunsPage() override;

    const QString& runsRoot() const;
    RunsTableModel* tableModel() const { return model_; }
    RunsFilterModel* filterModel() const { return filter_; }
    QTableView* table() const { return table_; }
    RunComparisonView* comparison() const { return comparison_; }
    QLineEdit* searchBox() const { return search_; }
    QComboBox* statusFilter() const { return statusBox_; }
    QComboBox* tagFilter() const { return tagBox_; }
    // True while the empty state ("no runs yet") is shown instead of the table.
    bool isShowingEmptyState() const;
    bool isBusy() const;

    // Replaces the confirmation dialogs (tests): returns whether the user agreed.
    using ConfirmHook = std::function<bool(DeleteConfirmation kind, const QString& text)>;
    void setConfirmHook(ConfirmHook hook) { confirm_ = std::move(hook); }
    // Picks the runs root for "Runs folder..." (default: a folder dialog); an empty result keeps
    // the current one. Tests replace the dialog.
    using FolderHook = std::function<QString(const QString& current)>;
    void setFolderHook(FolderHook hook) { chooseFolder_ = std::move(hook); }

    // Column widths, order and sort, the table / comparison split, and the comparison chart's axis
    // and smoothing, for AppSettings; a state from another layout (other columns) is ignored by
    // restoreLayoutState, which says so.
    QByteArray layoutState() const;
    bool restoreLayoutState(const QByteArray& state);
    QSplitter* splitter() const { return splitter_; }

    // The ids (folder names) of the selected runs, in table order.
    QStringList selectedRunIds() const;
    void selectRuns(const QStringList& ids);
    // Selects every run (for --compare-all) once the first catalog read is in.
    void selectAllWhenLoaded();

public Q_SLOTS:
    // Re-reads the catalog (on the catalog thread); refreshed() follows.
    void refresh();
    // Lists the runs of another runs root (a run trained with its own output_dir): the catalog
    // thread is replaced, the rows and selection cleared, and the new root read.
    void setRunsRoot(const QString& runsRoot);
    void renameRun(const QString& id, const QString& name);
    void setRunAnnotations(const QString& id, const QStringList& tags, const QString& notes);
    // Asks (setConfirmHook) and moves the runs' folders to the system trash; where the trash
    // cannot take one, asks again before deleting it permanently.
    void deleteRuns(const QStringList& ids);

Q_SIGNALS:
    void refreshed();
    void busyChanged(bool busy);
    void statusMessage(const QString& message);
    // The empty state's button: go and train a run.
    void trainRequested();

protected:
    void showEvent(QShowEvent* event) override;

private:
    QString subtitleFor(const QString& root) const;
    void connectCatalog();
    QWidget* buildEmptyState();
    QWidget* buildToolbar();
    // Posts `job` to the catalog thread; afterwards the catalog is listed and the rows merged.
    void postEdit(std::function<void(ps::RunCatalog&)> job, const QString& doneMessage = {});
    void applyRuns(const std::vector<ps::RunRecord>& runs);
    void jobDone();
    void updateActions();
    void fitColumns();
    void updateTagChoices();
    void scheduleComparison();
    void showContextMenu(const QPoint& pos);
    QString currentRunId() const;
    void renameCurrent();
    void editCurrentNotes();
    void openCurrentFolder();
    bool confirm(DeleteConfirmation kind, const QString& text);
    void deletePermanently(const QStringList& paths, const QString& reasons);

    CatalogThread* catalog_ = nullptr;
    RunsTableModel* model_ = nullptr;
    RunsFilterModel* filter_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QTableView* table_ = nullptr;
    RunComparisonView* comparison_ = nullptr;
    QLineEdit* search_ = nullptr;
    QComboBox* statusBox_ = nullptr;
    QComboBox* tagBox_ = nullptr;
    QLabel* countLabel_ = nullptr;
    QAction* renameAction_ = nullptr;
    QAction* notesAction_ = nullptr;
    QAction* openAction_ = nullptr;
    QAction* deleteAction_ = nullptr;
    QTimer* pollTimer_ = nullptr;
    QTimer* compareTimer_ = nullptr;
    ConfirmHook confirm_;
    FolderHook chooseFolder_;
    QLabel* subtitle_ = nullptr;
    int jobs_ = 0;
    int generation_ = 0; // bumped by setRunsRoot: results of the previous root's jobs are dropped
    bool loadedOnce_ = false;
    bool selectAllOnLoad_ = false;
    bool columnsFitted_ = false;
};

} // namespace ps::ui
