#include "page_header.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>
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

QWidget* pathRow(QLineEdit* edit, const QString& tip, std::function<QString()> choose, QWidget* parent) {
    auto* row = new QWidget(parent);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QToolButton(row);
    browse->setText(QObject::tr("Browse\u2026"));
    browse->setToolTip(tip);
    h->addWidget(edit, 1);
    h->addWidget(browse);
    QObject::connect(browse, &QToolButton::clicked, edit, [edit, choose = std::move(choose)] {
        const QString path = choose();
        if (path.isEmpty())
            return;
        edit->setText(QDir::toNativeSeparators(path));
        Q_EMIT edit->textEdited(edit->text());
        Q_EMIT edit->editingFinished();
    });
    return row;
}

QWidget* baseModelRow(QLineEdit* edit, QWidget* parent) {
    return pathRow(
        edit, QObject::tr("Choose the base model folder"),
        [edit] { return QFileDialog::getExistingDirectory(edit, QObject::tr("Base model folder"), edit->text()); },
        parent);
}

} // namespace ps::ui
