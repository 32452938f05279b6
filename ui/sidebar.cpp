#include "sidebar.h"

#include "app_logo.h"
#include "glyph_icons.h"

#include "ps/version.h"

#include <QEvent>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QVBoxLayout>

namespace ps::ui {
namespace {

Glyph glyphFor(StudioPage page) {
    switch (page) {
    case StudioPage::Model:
        return Glyph::Model;
    case StudioPage::Data:
        return Glyph::Data;
    case StudioPage::Method:
        return Glyph::Method;
    case StudioPage::Train:
        return Glyph::Train;
    case StudioPage::Runs:
        return Glyph::Runs;
    case StudioPage::Playground:
        return Glyph::Playground;
    case StudioPage::Export:
        return Glyph::Export;
    }
    return Glyph::Model;
}

// A label that paints the logo at its size (crisp at any device pixel ratio).
class LogoWidget final : public QWidget {
public:
    explicit LogoWidget(QWidget* parent) : QWidget(parent) { setFixedSize(28, 28); }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        paintAppLogo(p, rect());
    }
};

// The sidebar is a shade off the window colour: darker on light themes, lighter on dark ones.
QColor sidebarColor(const QPalette& palette) {
    const QColor window = palette.color(QPalette::Window);
    return window.lightness() > 128 ? window.darker(106) : window.lighter(125);
}

} // namespace

Sidebar::Sidebar(QWidget* parent) : QWidget(parent) {
    setAutoFillBackground(false);
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(10, 14, 10, 10);
    v->setSpacing(10);

    auto* brand = new QHBoxLayout;
    brand->setContentsMargins(8, 0, 0, 0);
    brand->setSpacing(8);
    brand->addWidget(new LogoWidget(this));
    auto* name = new QLabel(tr("PEFT Studio"), this);
    QFont f = name->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.15);
    name->setFont(f);
    brand->addWidget(name, 1);
    v->addLayout(brand);
    v->addSpacing(4);

    list_ = new QListWidget(this);
    list_->setObjectName(QStringLiteral("sidebarList"));
    list_->setFrameShape(QFrame::NoFrame);
    list_->setIconSize(QSize(18, 18));
    list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    list_->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    list_->setAccessibleName(tr("Pages"));
    for (int i = 0; i < kStudioPageCount; ++i) {
        const auto page = static_cast<StudioPage>(i);
        auto* item = new QListWidgetItem(glyphIcon(glyphFor(page)), pageTitle(page), list_);
        item->setToolTip(tr("%1 (Ctrl+%2)").arg(pageTitle(page)).arg(i + 1));
        item->setData(Qt::UserRole, pageName(page));
    }
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            Q_EMIT pageChanged(static_cast<StudioPage>(row));
    });
    v->addWidget(list_, 1);

    auto* version = new QLabel(tr("Version %1").arg(QString::fromStdString(ps::studioVersion())), this);
    version->setForegroundRole(QPalette::PlaceholderText);
    version->setContentsMargins(8, 0, 0, 0);
    v->addWidget(version);

    setMinimumWidth(190);
    setMaximumWidth(240);
    applyPalette();
    list_->setCurrentRow(0);
}

void Sidebar::applyPalette() {
    // Rounded, padded items with the palette's own highlight; the list itself is transparent
    // so the sidebar colour painted below shows through.
    list_->setStyleSheet(
        QStringLiteral("QListWidget#sidebarList { background: transparent; outline: 0; }"
                       "QListWidget#sidebarList::item { padding: 7px 8px; margin: 1px 0px; border-radius: 6px; }"
                       "QListWidget#sidebarList::item:hover:!selected { background: palette(midlight); }"
                       "QListWidget#sidebarList::item:selected { background: palette(highlight); color: "
                       "palette(highlighted-text); }"));
    update();
}

void Sidebar::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QWidget::changeEvent(event);
}

void Sidebar::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), sidebarColor(palette()));
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(rect().topRight(), rect().bottomRight());
}

StudioPage Sidebar::currentPage() const {
    return static_cast<StudioPage>(std::max(0, list_->currentRow()));
}

void Sidebar::setCurrentPage(StudioPage page) {
    list_->setCurrentRow(static_cast<int>(page));
}

} // namespace ps::ui
