#pragma once
// The run configuration as files and command lines: Open Config..., Save Config As... (the same
// YAML that `peft-studio-cli train CONFIG.yaml` takes) and "Copy as CLI Command". The file
// functions are plain (and tested); RunConfigActions puts them in the File menu.
#include <QObject>
#include <QString>

class QAction;
class QWidget;

namespace ps::ui {

class RunDraft;

// Reads a YAML run config into the draft; returns the error ("file.yaml line 4: ...") or "".
// Types are checked on load; range problems are left for the pages to show.
QString loadDraftFromYaml(RunDraft& draft, const QString& path);
// Writes the draft as YAML (atomically); returns the error or "".
QString saveDraftAsYaml(const RunDraft& draft, const QString& path);
// `peft-studio-cli train --set key=value ...` with the keys that differ from the defaults,
// quoted for this platform's shell (POSIX sh; cmd.exe on Windows).
QString cliCommandFor(const RunDraft& draft);

class RunConfigActions final : public QObject {
    Q_OBJECT

public:
    // `window` parents the dialogs.
    RunConfigActions(RunDraft& draft, QWidget* window);

    QAction* openAction() const { return open_; }
    QAction* saveAsAction() const { return saveAs_; }
    QAction* copyCommandAction() const { return copyCommand_; }

Q_SIGNALS:
    void statusMessage(const QString& message);

private:
    void openConfig();
    void saveConfigAs();
    void copyCommand();

    RunDraft& draft_;
    QWidget* window_;
    QString lastFolder_;
    QAction* open_ = nullptr;
    QAction* saveAs_ = nullptr;
    QAction* copyCommand_ = nullptr;
};

} // namespace ps::ui
