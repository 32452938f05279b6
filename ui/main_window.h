#pragma once
// The studio's main window: a sidebar of pages and the pages themselves. Only the Model page is
// built so far; the others say what they will do. Geometry, the last page and the model page's
// layout are saved in AppSettings and restored on start.
#include "studio_pages.h"

#include <QMainWindow>

class QStackedWidget;

namespace ps::ui {

class AppSettings;
class ModelPage;
class Sidebar;

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
    Sidebar* sidebar() const { return sidebar_; }
    QWidget* pageWidget(StudioPage page) const;

    // Background work in flight on any page.
    bool isBusy() const;

Q_SIGNALS:
    void busyChanged(bool busy);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildPages();

    AppSettings& settings_;
    Sidebar* sidebar_ = nullptr;
    QStackedWidget* stack_ = nullptr;
    ModelPage* modelPage_ = nullptr;
};

} // namespace ps::ui
