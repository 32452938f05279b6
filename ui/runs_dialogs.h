#pragma once
// The Runs page's dialogs: editing a run's tags and notes, and the two delete confirmations.
#include <QString>
#include <QStringList>

#include <optional>

class QWidget;

namespace ps::ui {

struct RunNotesEdit {
    QStringList tags;
    QString notes;
};

// Tags (comma-separated, trimmed, duplicates dropped) and free-text notes of run `runName`;
// nullopt when the user cancels.
std::optional<RunNotesEdit> editRunNotes(QWidget* parent, const QString& runName, const RunNotesEdit& current);

// "a, b,, a " -> {"a", "b"}.
QStringList parseTagList(const QString& text);

enum class DeleteConfirmation {
    MoveToTrash,       // first question: the folders go to the system trash
    DeletePermanently, // asked only when the trash could not take them
};

// Asks with a modal message box; true when the user agreed. `text` says what will happen.
bool askDeleteConfirmation(QWidget* parent, DeleteConfirmation kind, const QString& text);

} // namespace ps::ui
