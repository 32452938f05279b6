#include "run_config_files.h"

#include "qt_convert.h"
#include "run_draft.h"

#include "ps/error.h"
#include "ps/run_config.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QWidget>

namespace ps::ui {

QString loadDraftFromYaml(RunDraft& draft, const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QObject::tr("%1: cannot read the file (%2)").arg(QDir::toNativeSeparators(path), file.errorString());
    try {
        const ps::RunConfig config =
            ps::parseRunConfigYaml(file.readAll().toStdString(), toStd(QFileInfo(path).fileName()));
        draft.setConfig(config);
    } catch (const ps::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

QString saveDraftAsYaml(const RunDraft& draft, const QString& path) {
    try {
        ps::saveRunConfig(draft.config(), toStd(path));
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

QString cliCommandFor(const RunDraft& draft) {
#ifdef Q_OS_WIN
    const bool windows = true;
#else
    const bool windows = false;
#endif
    return toQ(ps::runConfigCommandLine(draft.config(), false, windows));
}

RunConfigActions::RunConfigActions(RunDraft& draft, QWidget* window)
    : QObject(window), draft_(draft), window_(window), lastFolder_(QDir::homePath()) {
    open_ = new QAction(tr("&Open Config\u2026"), this);
    open_->setShortcut(QKeySequence::Open);
    open_->setStatusTip(tr("Load a run configuration (YAML, as peft-studio-cli train takes it)"));
    connect(open_, &QAction::triggered, this, &RunConfigActions::openConfig);

    saveAs_ = new QAction(tr("&Save Config As\u2026"), this);
    saveAs_->setShortcut(QKeySequence::SaveAs);
    saveAs_->setStatusTip(tr("Save the run configuration as YAML for peft-studio-cli train"));
    connect(saveAs_, &QAction::triggered, this, &RunConfigActions::saveConfigAs);

    copyCommand_ = new QAction(tr("Copy as &CLI Command"), this);
    copyCommand_->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyCommand_->setStatusTip(tr("Copy a peft-studio-cli command line that trains with these settings"));
    connect(copyCommand_, &QAction::triggered, this, &RunConfigActions::copyCommand);
}

void RunConfigActions::openConfig() {
    const QString path = QFileDialog::getOpenFileName(window_, tr("Open Run Config"), lastFolder_,
                                                      tr("YAML files (*.yaml *.yml);;All files (*)"));
    if (path.isEmpty())
        return;
    lastFolder_ = QFileInfo(path).absolutePath();
    const QString error = loadDraftFromYaml(draft_, path);
    if (!error.isEmpty()) {
        QMessageBox::warning(window_, tr("Cannot Open Config"),
                             tr("%1\n\nFix the file (the message names the line) and open it again.").arg(error));
        return;
    }
    Q_EMIT statusMessage(tr("Loaded %1").arg(QDir::toNativeSeparators(path)));
}

void RunConfigActions::saveConfigAs() {
    QString path = QFileDialog::getSaveFileName(
        window_, tr("Save Run Config"), lastFolder_ + QStringLiteral("/run.yaml"), tr("YAML files (*.yaml *.yml)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".yaml");
    lastFolder_ = QFileInfo(path).absolutePath();
    const QString error = saveDraftAsYaml(draft_, path);
    if (!error.isEmpty()) {
        QMessageBox::warning(window_, tr("Cannot Save Config"),
                             tr("%1\n\nChoose a folder you can write to.").arg(error));
        return;
    }
    Q_EMIT statusMessage(tr("Saved %1 \u2014 train it with: peft-studio-cli train %2")
                             .arg(QDir::toNativeSeparators(path), QFileInfo(path).fileName()));
}

void RunConfigActions::copyCommand() {
    QApplication::clipboard()->setText(cliCommandFor(draft_));
    Q_EMIT statusMessage(tr("Copied the peft-studio-cli command line to the clipboard"));
}

} // namespace ps::ui
