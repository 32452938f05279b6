#pragma once
// The Model page (model inspector): the models found in the Hugging Face cache and in folders
// the user opened, and the details of the selected one. Scanning and inspecting run on worker
// threads (QtConcurrent); the GUI thread only receives plain values.
#include "model_jobs.h"

#include <QWidget>

class QLabel;
class QLayout;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSplitter;
class QStackedWidget;
class QTableView;

namespace ps::ui {

class AppSettings;
class ModelDetailsView;
class ModelListModel;
class ModelMemoryPanel;
class RunDraft;

class ModelPage final : public QWidget {
    Q_OBJECT

public:
    explicit ModelPage(AppSettings& settings, QWidget* parent = nullptr);
    ~ModelPage() override;

    // Background work in flight (scans, inspections, the memory estimate).
    bool isBusy() const;
    // Adds the "Training memory" panel under the details: the estimate for the selected model
    // with the draft's method and settings (MainWindow calls this once).
    void attachMemoryEstimate(RunDraft* draft);
    ModelMemoryPanel* memoryPanel() const { return memoryPanel_; }

    ModelListModel* modelList() const { return model_; }
    ModelDetailsView* details() const { return details_; }
    QTableView* table() const { return table_; }
    bool isEmptyHintShown() const;

    void saveState();
    void restoreState();

public Q_SLOTS:
    // Rescans the cache and the recent folders.
    void refresh();
    // Inspects `dir`; when it is a usable model it joins the recent folders and is selected.
    void openFolder(const QString& dir);
    // The run's model, so that the cache scan does not pick another one: a folder is opened
    // (openFolder) unless the page already shows or loads it; a Hub id (org/name) selects its
    // snapshot in the cache once the scan lists it, and modelChosen then gives the id back, so a
    // config that names a cached model keeps naming it that way.
    void showModel(const QString& nameOrPath);
    void chooseFolder();
    // Opens the bundled demo model; false when this build has none.
    bool openDemoModel();

Q_SIGNALS:
    void busyChanged(bool busy);
    void statusMessage(const QString& message);
    // A usable model was selected (or opened): its folder, or the Hub id showModel() was given
    // for it, for the run being set up.
    void modelChosen(const QString& nameOrPath);

private:
    QLayout* buildToolbar();
    QWidget* buildListPane();
    QWidget* buildEmptyHint();
    QLayout* buildFooter();
    void beginJob();
    void endJob();
    void applyScan(const ModelScanResult& result);
    void inspect(const QString& dir, bool remember);
    void applyInspection(const FolderInspection& result, bool remember);
    void onCurrentRowChanged();
    void selectPath(const QString& path);
    // The cached snapshot of requestedId_, or "" when the scan does not list it (yet).
    QString requestedIdPath() const;
    QString notInCacheMessage() const;
    void showContextMenu(const QPoint& pos);
    void updateFooter();

    AppSettings& settings_;
    ModelListModel* model_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QStackedWidget* listStack_ = nullptr;
    QTableView* table_ = nullptr;
    QWidget* emptyHint_ = nullptr;
    QLabel* emptyCacheLabel_ = nullptr;
    QPushButton* demoButton_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QLabel* footer_ = nullptr;
    QLabel* activity_ = nullptr; // what the page is doing in the background
    QProgressBar* busyBar_ = nullptr;
    ModelDetailsView* details_ = nullptr;
    QWidget* detailsPane_ = nullptr;
    ModelMemoryPanel* memoryPanel_ = nullptr;

    QString cacheDir_;
    QString cacheSource_;
    QString currentPath_; // the model the details pane shows or is loading
    QString requestedId_; // a Hub id showModel() was given, until another model is chosen
    bool scanned_ = false;
    int jobs_ = 0;
    int scanGeneration_ = 0;
    int inspectGeneration_ = 0;
};

} // namespace ps::ui
