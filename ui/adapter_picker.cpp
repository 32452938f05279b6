#include "adapter_picker.h"

#include "qt_convert.h"

#include "ps/error.h"
#include "ps/run_catalog.h"
#include "ps/runs.h"

#include <algorithm>

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLocale>
#include <QSignalBlocker>
#include <QToolButton>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {

std::vector<AdapterChoice> listAdapterRuns(const QString& root) {
    std::vector<AdapterChoice> out;
    try {
        ps::RunCatalog catalog(root.isEmpty() ? ps::defaultRunsRoot() : toStd(root));
        for (const auto& r : catalog.list()) {
            if (!QFileInfo::exists(toQ(ps::runAdapterDir(r.path)) + QStringLiteral("/adapter_config.json")))
                continue; // a run still training (or failed early) has nothing to load yet
            QString label = toQ(r.name);
            QStringList facts;
            if (!r.method.empty())
                facts << (r.rank > 0 ? QStringLiteral("%1 r%2").arg(toQ(r.method)).arg(r.rank) : toQ(r.method));
            if (!r.model.empty())
                facts << QFileInfo(toQ(r.model)).fileName();
            facts << toQ(ps::runStatusName(r.status));
            out.push_back({toQ(r.path), label + QStringLiteral("  \u00b7  ") + facts.join(QStringLiteral(" \u00b7 "))});
        }
    } catch (const ps::Error& e) {
        // No catalog (a read-only or missing root): the list is just empty; a folder still works.
        qWarning("PEFT Studio: runs not listed: %s", e.what());
    }
    return out;
}

AdapterPicker::AdapterPicker(QWidget* parent) : QWidget(parent) {
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(0, 0, 0, 0);
    combo_ = new QComboBox(this);
    combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo_->setMinimumContentsLength(30);
    combo_->setPlaceholderText(tr("No runs with an adapter yet \u2014 choose a folder"));
    combo_->setAccessibleName(tr("Adapter"));
    browse_ = new QToolButton(this);
    browse_->setText(tr("Folder\u2026"));
    browse_->setToolTip(tr("Choose a run folder or any Hugging Face PEFT adapter folder"));
    h->addWidget(combo_, 1);
    h->addWidget(browse_);
    connect(browse_, &QToolButton::clicked, this, &AdapterPicker::chooseFolder);
    connect(combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { Q_EMIT currentChanged(); });
}

void AdapterPicker::reload() {
    if (loading_)
        return;
    loading_ = true;
    Q_EMIT loadingChanged(true);
    auto* watcher = new QFutureWatcher<std::vector<AdapterChoice>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        loading_ = false;
        applyRuns(watcher->result());
        Q_EMIT loadingChanged(false);
    });
    watcher->setFuture(QtConcurrent::run(&listAdapterRuns, QString()));
}

void AdapterPicker::applyRuns(const std::vector<AdapterChoice>& runs) {
    const QString keep = !pendingPath_.isEmpty() ? pendingPath_ : currentPath();
    pendingPath_.clear();
    {
        const QSignalBlocker block(combo_);
        combo_->clear();
        choices_.clear();
        for (const auto& r : runs)
            addChoice(r);
        // A folder the user chose that turned out to be a listed run is shown once, as the run.
        folders_.erase(std::remove_if(folders_.begin(), folders_.end(),
                                      [&runs](const AdapterChoice& f) {
                                          return std::any_of(runs.begin(), runs.end(), [&f](const AdapterChoice& r) {
                                              return QDir::cleanPath(r.path) == QDir::cleanPath(f.path);
                                          });
                                      }),
                       folders_.end());
        for (const auto& f : folders_)
            addChoice(f);
    }
    if (!keep.isEmpty())
        setCurrentPath(keep);
    else if (combo_->count() > 0)
        combo_->setCurrentIndex(0);
    Q_EMIT currentChanged();
}

void AdapterPicker::addChoice(const AdapterChoice& choice) {
    choices_.push_back(choice);
    combo_->addItem(choice.label);
    combo_->setItemData(combo_->count() - 1, QDir::toNativeSeparators(choice.path), Qt::ToolTipRole);
}

QString AdapterPicker::currentPath() const {
    const int i = combo_->currentIndex();
    return i >= 0 && i < static_cast<int>(choices_.size()) ? choices_[static_cast<std::size_t>(i)].path : QString();
}

void AdapterPicker::setCurrentPath(const QString& path) {
    if (loading_)
        pendingPath_ = path; // applied when the catalog arrives
    const QString clean = QDir::cleanPath(path);
    for (std::size_t i = 0; i < choices_.size(); ++i)
        if (QDir::cleanPath(choices_[i].path) == clean) {
            combo_->setCurrentIndex(static_cast<int>(i));
            return;
        }
    // Not a listed run: a folder of its own. Whether it is an adapter is checked by the page's
    // job (on a worker), which reports what is wrong with it.
    AdapterChoice c{clean, QStringLiteral("%1  \u00b7  %2").arg(QFileInfo(clean).fileName(), tr("folder"))};
    folders_.push_back(c);
    addChoice(c);
    combo_->setCurrentIndex(combo_->count() - 1);
}

void AdapterPicker::chooseFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose a run or adapter folder"),
                                                          QFileInfo(currentPath()).absolutePath());
    if (!dir.isEmpty())
        setCurrentPath(dir);
}

} // namespace ps::ui
