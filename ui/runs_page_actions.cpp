// The Runs page's edits: rename, tags and notes, open folder, delete (to the trash, or permanently
// after a second question). Each edit runs on the catalog thread; the rows update from the catalog.
#include "catalog_thread.h"
#include "live_run_metrics.h"
#include "qt_convert.h"
#include "runs_page.h"
#include "runs_table_model.h"

#include "ps/error.h"
#include "ps/run_catalog.h"
#include "ps/runs.h"
#include "ps/trash.h"

#include <QDesktopServices>
#include <QDir>
#include <QInputDialog>
#include <QMenu>
#include <QTableView>
#include <QAction>
#include <QUrl>

#include <filesystem>

namespace ps::ui {

QString RunsPage::currentRunId() const {
    const QStringList ids = selectedRunIds();
    return ids.size() == 1 ? ids.first() : QString();
}

void RunsPage::updateActions() {
    const int n = static_cast<int>(table_->selectionModel()->selectedRows().size());
    renameAction_->setEnabled(n == 1);
    notesAction_->setEnabled(n == 1);
    openAction_->setEnabled(n == 1);
    deleteAction_->setEnabled(n >= 1);
    deleteAction_->setText(n > 1 ? tr("Delete %1\u2026").arg(n) : tr("Delete\u2026"));
}

void RunsPage::showContextMenu(const QPoint& pos) {
    if (!table_->indexAt(pos).isValid())
        return;
    QMenu menu(this);
    menu.addActions({renameAction_, notesAction_, openAction_});
    menu.addSeparator();
    menu.addAction(deleteAction_);
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

void RunsPage::renameRun(const QString& id, const QString& name) {
    const int row = model_->rowForId(id);
    if (row < 0)
        return;
    const std::string path = model_->runAt(row).path;
    postEdit(
        [path, name](ps::RunCatalog& catalog) {
            ps::setRunDisplayName(path, toStd(name));
            catalog.refresh(path);
        },
        tr("Renamed to \u201c%1\u201d").arg(name.trimmed().isEmpty() ? id : name.trimmed()));
}

void RunsPage::setRunAnnotations(const QString& id, const QStringList& tags, const QString& notes) {
    std::vector<std::string> tagList;
    for (const QString& t : tags)
        tagList.push_back(toStd(t));
    postEdit(
        [id = toStd(id), tagList, notes = toStd(notes)](ps::RunCatalog& catalog) {
            catalog.setTags(id, tagList);
            catalog.setNotes(id, notes);
        },
        tr("Saved the tags and notes of %1").arg(id));
}

void RunsPage::renameCurrent() {
    const QString id = currentRunId();
    if (id.isEmpty())
        return;
    const ps::RunRecord& r = model_->runAt(model_->rowForId(id));
    bool ok = false;
    const QString name = QInputDialog::getText(
        this, tr("Rename run"),
        tr("Display name of the run (its folder, %1, keeps its name; leave empty to show the folder name):").arg(id),
        QLineEdit::Normal, toQ(r.name), &ok);
    if (ok)
        renameRun(id, name);
}

void RunsPage::editCurrentNotes() {
    const QString id = currentRunId();
    if (id.isEmpty())
        return;
    const ps::RunRecord& r = model_->runAt(model_->rowForId(id));
    RunNotesEdit current{model_->index(model_->rowForId(id), 0).data(RunsTableModel::TagsRole).toStringList(),
                         toQ(r.notes)};
    if (const auto edit = editRunNotes(this, toQ(r.name), current))
        setRunAnnotations(id, edit->tags, edit->notes);
}

void RunsPage::openCurrentFolder() {
    const QString id = currentRunId();
    if (id.isEmpty())
        return;
    const QString dir = toQ(model_->runAt(model_->rowForId(id)).path);
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(dir)))
        Q_EMIT statusMessage(tr("No file manager could open %1").arg(QDir::toNativeSeparators(dir)));
}

bool RunsPage::confirm(DeleteConfirmation kind, const QString& text) {
    return confirm_ ? confirm_(kind, text) : askDeleteConfirmation(this, kind, text);
}

void RunsPage::deleteRuns(const QStringList& ids) {
    QStringList names;
    QStringList running;
    std::vector<std::string> paths;
    for (const QString& id : ids) {
        const int row = model_->rowForId(id);
        if (row < 0)
            continue;
        const ps::RunRecord& r = model_->runAt(row);
        names << QStringLiteral("\u2022 %1").arg(toQ(r.name));
        paths.push_back(r.path);
        if (r.status == ps::RunStatus::Running)
            running << toQ(r.name);
    }
    if (paths.empty())
        return;
    QString text = tr("Move %n run(s) to the trash?", nullptr, static_cast<int>(paths.size())) +
                   QStringLiteral("\n\n") + names.join(QLatin1Char('\n')) + QStringLiteral("\n\n") +
                   tr("Each run folder (settings, metrics, checkpoints and adapter) goes to the system trash; "
                      "you can restore it from your file manager.");
    if (!running.isEmpty())
        text += QStringLiteral("\n\n") +
                tr("Still marked as running: %1. If it is training now, stop it on the Train page first.")
                    .arg(running.join(QStringLiteral(", ")));
    if (!confirm(DeleteConfirmation::MoveToTrash, text))
        return;
    // Trashing runs on the catalog thread; folders the trash refused come back for a second question.
    if (jobs_++ == 0)
        Q_EMIT busyChanged(true);
    catalog_->post([this, paths](ps::RunCatalog& catalog) {
        QStringList refused;
        QStringList reasons;
        int moved = 0;
        for (const auto& path : paths) {
            try {
                ps::moveToTrash(path);
                ++moved;
            } catch (const std::exception& e) {
                refused << toQ(path);
                reasons << QString::fromUtf8(e.what());
            }
        }
        catalog.sync(); // the trashed folders drop out of the index
        auto runs = listRunsLive(catalog);
        QMetaObject::invokeMethod(
            this,
            [this, runs = std::move(runs), refused, reasons, moved] {
                applyRuns(runs);
                if (moved > 0)
                    Q_EMIT statusMessage(tr("Moved %n run(s) to the trash", nullptr, moved));
                jobDone();
                if (!refused.isEmpty())
                    deletePermanently(refused, reasons.join(QLatin1Char('\n')));
            },
            Qt::QueuedConnection);
    });
}

void RunsPage::deletePermanently(const QStringList& paths, const QString& reasons) {
    QStringList names;
    for (const QString& p : paths)
        names << QStringLiteral("\u2022 %1").arg(QDir::toNativeSeparators(p));
    const QString text = tr("These run folders could not be moved to the trash:") + QStringLiteral("\n\n") +
                         names.join(QLatin1Char('\n')) + QStringLiteral("\n\n") + reasons + QStringLiteral("\n\n") +
                         tr("Delete them permanently? This cannot be undone.");
    if (!confirm(DeleteConfirmation::DeletePermanently, text))
        return;
    std::vector<std::string> list;
    for (const QString& p : paths)
        list.push_back(toStd(p));
    postEdit(
        [list](ps::RunCatalog& catalog) {
            for (const auto& p : list) {
                std::error_code ec;
                std::filesystem::remove_all(p, ec);
                if (ec)
                    throw ps::Error(p + ": cannot delete: " + ec.message());
            }
            catalog.sync();
        },
        tr("Deleted %n run(s) permanently", nullptr, static_cast<int>(list.size())));
}

} // namespace ps::ui
