#include "runs_dialogs.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>

namespace ps::ui {

QStringList parseTagList(const QString& text) {
    QStringList tags;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString tag = part.simplified();
        if (!tag.isEmpty() && !tags.contains(tag))
            tags << tag;
    }
    return tags;
}

std::optional<RunNotesEdit> editRunNotes(QWidget* parent, const QString& runName, const RunNotesEdit& current) {
    QDialog dialog(parent);
    dialog.setWindowTitle(QDialog::tr("Tags and notes \u2014 %1").arg(runName));
    auto* form = new QFormLayout(&dialog);
    auto* tags = new QLineEdit(current.tags.join(QStringLiteral(", ")), &dialog);
    tags->setPlaceholderText(QDialog::tr("baseline, lr-sweep, keep"));
    tags->setToolTip(QDialog::tr("Comma-separated; the Runs page filters by tag."));
    auto* notes = new QPlainTextEdit(current.notes, &dialog);
    notes->setPlaceholderText(QDialog::tr("What this run tried and what you learned from it"));
    notes->setMinimumSize(420, 140);
    form->addRow(QDialog::tr("&Tags:"), tags);
    form->addRow(QDialog::tr("&Notes:"), notes);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return RunNotesEdit{parseTagList(tags->text()), notes->toPlainText()};
}

bool askDeleteConfirmation(QWidget* parent, DeleteConfirmation kind, const QString& text) {
    QMessageBox box(parent);
    box.setIcon(QMessageBox::Warning);
    box.setText(text);
    QPushButton* yes = nullptr;
    if (kind == DeleteConfirmation::MoveToTrash) {
        box.setWindowTitle(QMessageBox::tr("Move to Trash"));
        yes = box.addButton(QMessageBox::tr("Move to Trash"), QMessageBox::DestructiveRole);
    } else {
        box.setWindowTitle(QMessageBox::tr("Delete Permanently"));
        yes = box.addButton(QMessageBox::tr("Delete Permanently"), QMessageBox::DestructiveRole);
    }
    QPushButton* cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(cancel); // Enter never destroys anything
    box.exec();
    return box.clickedButton() == yes;
}

} // namespace ps::ui
