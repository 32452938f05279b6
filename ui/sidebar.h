#pragma once
// The navigation sidebar: the app's name, one entry per page (icon + title, Ctrl+1..7), and
// the version at the bottom. Colours come from the palette, so it follows light and dark themes.
#include "studio_pages.h"

#include <QWidget>

class QListWidget;

namespace ps::ui {

class Sidebar final : public QWidget {
    Q_OBJECT

public:
    explicit Sidebar(QWidget* parent = nullptr);

    StudioPage currentPage() const;
    void setCurrentPage(StudioPage page);
    QListWidget* list() const { return list_; }

Q_SIGNALS:
    void pageChanged(ps::ui::StudioPage page);

protected:
    void changeEvent(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;

private:
    void applyPalette();
    QListWidget* list_ = nullptr;
};

} // namespace ps::ui
