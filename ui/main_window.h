#pragma once
// The studio's main window: a sidebar of pages and the pages themselves. Pages not built yet say
// what they will do. Geometry, the last page and the model page's
// layout are saved in AppSettings and restored on start.
#include "studio_pages.h"

#include <QMainWindow>

class QStackedWidget;

namespace ps::ui {

class AppSettings;
class DataPage;
class ExportPage;
class MethodPage;
class ModelPage;
class PlaygroundPage;
class RunDraft;
class RunsPage;
class Sidebar;
class TrainPage;

class MainWindow final : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(AppSettings& settings, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Restores geometry (when `geometry` is true), the last page and the page layouts.
    void restoreFromSettings(bool geometry = true);
    void saveToSettings();

    StudioPage currentPage() const;
    void setCurrentPage(StudioPage page);
    ModelPage* modelPage() const { return modelPage_; }
    DataPage* dataPage() const { return dataPage_; }
    MethodPage* methodPage() const { return methodPage_; }
    TrainPage* trainPage() const { return trainPage_; }
    RunsPage* runsPage() const { return runsPage_; }
    PlaygroundPage* playgroundPage() const { return playgroundPage_; }
    ExportPage* exportPage() const { return exportPage_; }
    Sidebar* sidebar() const { return sidebar_; }
    // The run being set up, shared by the Model, Data, Method and Train pages.
    RunDraft* draft() const { return draft_; }
    QWidget* pageWidget(StudioPage page) const;

    // Background work in flight on any page, training included.
    bool isBusy() const;
    // Window-level background work that belongs to no page (e.g. creating the demo model):
    // shown in the status bar until cleared with an empty message, and counted by isBusy().
    void setPreparing(const QString& message);

Q_SIGNALS:
    void busyChanged(bool busy);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildPages();
    void addPage(StudioPage page, QWidget* widget);
    void buildFileMenu();

    AppSettings& settings_;
    QString preparing_;
    RunDraft* draft_ = nullptr;
    Sidebar* sidebar_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    ModelPage* modelPage_ = nullptr;
    DataPage* dataPage_ = nullptr;
    MethodPage* methodPage_ = nullptr;
    TrainPage* trainPage_ = nullptr;
    RunsPage* runsPage_ = nullptr;
    PlaygroundPage* playgroundPage_ = nullptr;
    ExportPage* exportPage_ = nullptr;
    bool closeWhenStopped_ = false; // the user closed the window during a run and agreed to stop it
};

} // namespace ps::ui
