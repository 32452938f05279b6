#include "page_header.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ps::ui {

QLabel* addPageHeader(QVBoxLayout* layout, const QString& title, const QString& subtitle, QWidget* parent) {
    auto* label = new QLabel(title, parent);
    QFont f = label->font();
    f.setPointSizeF(f.pointSizeF() * 1.5);
    f.setBold(true);
    label->setFont(f);
    layout->addWidget(label);
    auto* sub = secondaryLabel(subtitle, parent);
    sub->setWordWrap(true);
    layout->addWidget(sub);
    return sub;
}

QLabel* sectionTitle(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    return label;
}

QLabel* secondaryLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(text, parent);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

} // namespace ps::ui
