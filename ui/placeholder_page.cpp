#include "placeholder_page.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace ps::ui {

PlaceholderPage::PlaceholderPage(Glyph glyph, const QString& title, const QString& promise, QWidget* parent)
    : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(48, 48, 48, 48);
    v->setSpacing(10);
    v->addStretch(2);

    auto* icon = new QLabel(this);
    icon->setPixmap(glyphIcon(glyph).pixmap(QSize(56, 56), QIcon::Disabled));
    v->addWidget(icon, 0, Qt::AlignHCenter);

    auto* heading = new QLabel(title, this);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.5);
    f.setBold(true);
    heading->setFont(f);
    heading->setAlignment(Qt::AlignCenter);
    v->addWidget(heading);

    auto* text = new QLabel(promise, this);
    text->setObjectName(QStringLiteral("promise"));
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);
    text->setMaximumWidth(480);
    // Centred by stretches rather than an alignment flag: an aligned word-wrapped label gets
    // its one-line size hint and is clipped, while a stretched one gets height-for-width.
    auto* row = new QHBoxLayout;
    row->addStretch();
    row->addWidget(text, 4);
    row->addStretch();
    v->addLayout(row);

    auto* badge = new QLabel(tr("Coming in the next version"), this);
    badge->setObjectName(QStringLiteral("comingSoon"));
    badge->setForegroundRole(QPalette::PlaceholderText);
    badge->setAlignment(Qt::AlignCenter);
    v->addWidget(badge);
    v->addStretch(3);
}

} // namespace ps::ui
