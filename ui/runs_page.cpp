#include "runs_page.h"

#include "catalog_thread.h"
#include "glyph_icons.h"
#include "live_run_metrics.h"
#include "page_header.h"
#include "qt_convert.h"
#include "run_comparison_view.h"
#include "runs_filter_model.h"
#include "runs_table_model.h"

#include "ps/run_catalog.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QDataStream>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <cmath>

namespace ps::ui {

RunsPage::RunsPage(const QString& runsRoot, QWidget* parent) : QWidget(parent) {
    catalog_ = new CatalogThread(runsRoot, this);
    connectCatalog();
    model_ = new RunsTableModel(this);
    filter_ = new RunsFilterModel(this);
    filter_->setSourceModel(model_);

    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(20, 18, 20, 12);
    v->setSpacing(8);
    subtitle_ = addPageHeader(v, tr("Runs"), subtitleFor(runsRoot), this);

    stack_ = new QStackedWidget(this);
    stack_->addWidget(buildEmptyState());

    auto* content = new QWidget(stack_);
    auto* cv = new QVBoxLayout(content);
    cv->setContentsMargins(0, 0, 0, 0);
    cv->addWidget(buildToolbar());
    table_ = new QTableView(content);
    table_->setObjectName(QStringLiteral("runsTable"));
    table_->setModel(filter_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(RunsTableModel::DateColumn, Qt::DescendingOrder); // newest first
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    connect(table_, &QTableView::customContextMenuRequested, this, &RunsPage::showContextMenu);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        scheduleComparison();
    });
    connect(table_, &QTableView::doubleClicked, this, [this] { editCurrentNotes(); });

    comparison_ = new RunComparisonView(content);
    connect(comparison_, &RunComparisonView::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(comparison_, &RunComparisonView::statusMessage, this, &RunsPage::statusMessage);
    connect(comparison_, &RunComparisonView::loaded, this, [this] { model_->setRunColors(comparison_->colors()); });

    splitter_ = new QSplitter(Qt::Vertical, content);
    splitter_->setObjectName(QStringLiteral("runsSplitter"));
    splitter_->addWidget(table_);
    splitter_->addWidget(comparison_);
    splitter_->setStretchFactor(0, 2);
    splitter_->setStretchFactor(1, 3);
    splitter_->setChildrenCollapsible(false);
    cv->addWidget(splitter_, 1);
    stack_->addWidget(content);
    v->addWidget(stack_, 1);

    // A live run's row (and its curves, when selected) follow its files.
    connect(model_, &RunsTableModel::dataChanged, this,
            [this](const QModelIndex& from, const QModelIndex& to, const QList<int>& roles) {
                if (!roles.isEmpty() && !roles.contains(Qt::DisplayRole))
                    return; // a swatch colour, not new run data
                const QStringList selected = selectedRunIds();
                for (int row = from.row(); row <= to.row(); ++row)
                    if (selected.contains(model_->index(row, 0).data(RunsTableModel::IdRole).toString())) {
                        scheduleComparison();
                        break;
                    }
            });
    pollTimer_ = new QTimer(this);
    pollTimer_->setInterval(kPollIntervalMs);
    connect(pollTimer_, &QTimer::timeout, this, [this] {
        if (jobs_ == 0 && model_->hasActiveRuns())
            refresh();
    });
    compareTimer_ = new QTimer(this);
    compareTimer_->setSingleShot(true);
    compareTimer_->setInterval(60); // one read for a burst of selection changes (Shift+arrows)
    connect(compareTimer_, &QTimer::timeout, this, [this] {
        std::vector<RunRef> refs;
        for (const QString& id : selectedRunIds()) {
            const ps::RunRecord& r = model_->runAt(model_->rowForId(id));
            refs.push_back({id, toQ(r.name), toQ(r.path)});
        }
        comparison_->showRuns(refs);
    });

    updateActions();
    refresh();
}

RunsPage::~RunsPage() = default;

namespace {
constexpr quint32 kLayoutMagic = 0x52504c31; // "RPL1": bump when the columns change meaning
}

QByteArray RunsPage::layoutState() const {
    QByteArray out;
    QDataStream stream(&out, QIODevice::WriteOnly);
    stream << kLayoutMagic << qint32(model_->columnCount()) << table_->horizontalHeader()->saveState()
           << splitter_->saveState() << qint32(comparison_->axis()) << comparison_->smoothing();
    return out;
}

bool RunsPage::restoreLayoutState(const QByteArray& state) {
    if (state.isEmpty())
        return false;
    QDataStream stream(state);
    quint32 magic = 0;
    qint32 columns = 0;
    QByteArray header, split;
    stream >> magic >> columns >> header >> split;
    if (stream.status() != QDataStream::Ok || magic != kLayoutMagic || columns != model_->columnCount())
        return false;
    if (!table_->horizontalHeader()->restoreState(header) || !splitter_->restoreState(split))
        return false;
    // The comparison chart's axis and smoothing (states saved before session 13 end here: the
    // chart keeps its defaults). Values out of range are ignored one by one.
    qint32 axis = -1;
    double smoothing = -1.0;
    stream >> axis >> smoothing;
    if (stream.status() != QDataStream::Ok)
        return true;
    if (axis >= qint32(ComparisonAxis::Step) && axis <= qint32(ComparisonAxis::Time))
        comparison_->setAxis(static_cast<ComparisonAxis>(axis));
    if (std::isfinite(smoothing) && smoothing >= 0.0 && smoothing <= 0.99)
        comparison_->setSmoothing(smoothing);
    return true;
}

const QString& RunsPage::runsRoot() const {
    return catalog_->root();
}

QString RunsPage::subtitleFor(const QString& root) const {
    return tr("Every training run in %1. Select several to overlay their loss curves and see which settings differ.")
        .arg(QDir::toNativeSeparators(root));
}

void RunsPage::connectCatalog() {
    connect(catalog_, &CatalogThread::failed, this, [this, gen = generation_](const QString& message) {
        if (gen != generation_)
            return;
        Q_EMIT statusMessage(tr("Runs: %1").arg(message));
        jobDone();
    });
}

void RunsPage::setRunsRoot(const QString& root) {
    if (root.isEmpty() ||
        QDir::cleanPath(QDir(root).absolutePath()) == QDir::cleanPath(QDir(runsRoot()).absolutePath()))
        return;
    // The old catalog finishes its job in progress (deleting it waits); jobs still queued there
    // are dropped, and results already queued to this page are ignored by their generation.
    ++generation_;
    delete catalog_;
    catalog_ = new CatalogThread(root, this);
    connectCatalog();
    const bool wasBusy = jobs_ > 0;
    jobs_ = 0;
    if (wasBusy)
        Q_EMIT busyChanged(isBusy());
    subtitle_->setText(subtitleFor(root));
    table_->clearSelection();
    model_->setRuns({});
    loadedOnce_ = false;
    refresh();
}

QWidget* RunsPage::buildEmptyState() {
    auto* w = new QWidget(this);
    w->setObjectName(QStringLiteral("runsEmptyState"));
    auto* v = new QVBoxLayout(w);
    v->addStretch(2);
    auto* icon = new QLabel(w);
    icon->setPixmap(glyphIcon(Glyph::Runs).pixmap(QSize(56, 56), QIcon::Disabled));
    v->addWidget(icon, 0, Qt::AlignHCenter);
    auto* heading = sectionTitle(tr("No runs yet"), w);
    QFont f = heading->font();
    f.setPointSizeF(f.pointSizeF() * 1.3);
    heading->setFont(f);
    v->addWidget(heading, 0, Qt::AlignHCenter);
    auto* text = new QLabel(tr("A run appears here as soon as it starts. Set one up on the Model, Data and Method "
                               "pages and start it on the Train page \u2014 or, in a terminal, run "
                               "<code>peft-studio-cli demo</code> for a two-minute demo run."),
                            w);
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);
    text->setTextFormat(Qt::RichText);
    auto* row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(text, 3);
    row->addStretch(1);
    v->addLayout(row);
    auto* go = new QPushButton(glyphIcon(Glyph::Train), tr("Go to the Train page"), w);
    go->setObjectName(QStringLiteral("goTrainButton"));
    connect(go, &QPushButton::clicked, this, &RunsPage::trainRequested);
    v->addWidget(go, 0, Qt::AlignHCenter);
    v->addStretch(3);
    return w;
}

QWidget* RunsPage::buildToolbar() {
    auto* bar = new QWidget(this);
    auto* h = new QHBoxLayout(bar);
    h->setContentsMargins(0, 0, 0, 0);
    search_ = new QLineEdit(bar);
    search_->setObjectName(QStringLiteral("runsSearch"));
    search_->setPlaceholderText(tr("Search name, model, method, dataset, tags, notes"));
    search_->setClearButtonEnabled(true);
    search_->setMinimumWidth(180);
    search_->addAction(glyphIcon(Glyph::Search), QLineEdit::LeadingPosition);
    connect(search_, &QLineEdit::textChanged, this, [this](const QString& text) {
        filter_->setSearchText(text);
        countLabel_->setText(tr("%n of %1 runs", nullptr, filter_->rowCount()).arg(model_->rowCount()));
    });
    h->addWidget(search_, 3);

    statusBox_ = new QComboBox(bar);
    statusBox_->setObjectName(QStringLiteral("statusFilter"));
    statusBox_->addItem(tr("All statuses"), -1);
    for (const auto s : {ps::RunStatus::Running, ps::RunStatus::Completed, ps::RunStatus::Failed,
                         ps::RunStatus::Cancelled, ps::RunStatus::Paused})
        statusBox_->addItem(runStatusText(s), static_cast<int>(s));
    connect(statusBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        const int s = statusBox_->itemData(i).toInt();
        filter_->setStatusFilter(s < 0 ? std::nullopt : std::optional<int>(s));
    });
    h->addWidget(statusBox_);

    tagBox_ = new QComboBox(bar);
    tagBox_->setObjectName(QStringLiteral("tagFilter"));
    tagBox_->addItem(tr("All tags"), QString());
    connect(tagBox_, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int i) { filter_->setTagFilter(tagBox_->itemData(i).toString()); });
    h->addWidget(tagBox_);
    countLabel_ = secondaryLabel(QString(), bar);
    h->addWidget(countLabel_);

    // Actions in a tool bar: when the window is narrow the ones that do not fit move into its
    // overflow menu instead of widening the page. The same actions make the context menu.
    auto* tools = new QToolBar(bar);
    tools->setObjectName(QStringLiteral("runActions"));
    tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
    const auto action = [this, tools](const QString& text, const QString& tip, const char* name) {
        auto* a = new QAction(text, this);
        a->setToolTip(tip);
        a->setObjectName(QLatin1String(name));
        tools->addAction(a);
        return a;
    };
    renameAction_ =
        action(tr("Rename\u2026"), tr("Change the run's display name (its folder keeps its name)"), "renameAction");
    notesAction_ = action(tr("Tags && notes\u2026"), tr("Tag the run and write down what it tried"), "notesAction");
    openAction_ = action(tr("Open folder"), tr("Show the run folder in the file manager"), "openFolderAction");
    deleteAction_ = action(tr("Delete\u2026"), tr("Move the selected runs to the trash"), "deleteAction");
    deleteAction_->setShortcut(QKeySequence::Delete);
    deleteAction_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(deleteAction_);
    auto* folderAction = action(tr("Runs folder\u2026"),
                                tr("Show the runs of another runs folder (a run's output_dir)"), "runsFolderAction");
    connect(folderAction, &QAction::triggered, this, [this] {
        const QString chosen = chooseFolder_
                                   ? chooseFolder_(runsRoot())
                                   : QFileDialog::getExistingDirectory(this, tr("Show the runs in"), runsRoot());
        if (!chosen.isEmpty())
            setRunsRoot(chosen);
    });
    auto* refreshAction = action(tr("Refresh"), tr("Re-read the run folders"), "refreshAction");
    refreshAction->setIcon(glyphIcon(Glyph::Refresh));
    refreshAction->setShortcut(QKeySequence::Refresh);
    refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(refreshAction);
    connect(renameAction_, &QAction::triggered, this, &RunsPage::renameCurrent);
    connect(notesAction_, &QAction::triggered, this, &RunsPage::editCurrentNotes);
    connect(openAction_, &QAction::triggered, this, &RunsPage::openCurrentFolder);
    connect(deleteAction_, &QAction::triggered, this, [this] { deleteRuns(selectedRunIds()); });
    connect(refreshAction, &QAction::triggered, this, &RunsPage::refresh);
    h->addWidget(tools, 0);
    return bar;
}

bool RunsPage::isShowingEmptyState() const {
    return stack_->currentIndex() == 0;
}

bool RunsPage::isBusy() const {
    return jobs_ > 0 || comparison_->isLoading() || compareTimer_->isActive();
}

void RunsPage::fitColumns() {
    // As wide as the contents and the header text, without QHeaderView's room for a sort arrow
    // in every column: twelve columns then fit a default-sized window.
    columnsFitted_ = true;
    const QFontMetrics fm(table_->horizontalHeader()->font());
    for (int c = 0; c < RunsTableModel::ColumnCount; ++c) {
        const QString title = model_->headerData(c, Qt::Horizontal).toString();
        const int width = std::max(static_cast<const QAbstractItemView*>(table_)->sizeHintForColumn(c),
                                   fm.horizontalAdvance(title) + 14);
        table_->setColumnWidth(c, c == RunsTableModel::NameColumn ? std::clamp(width, 120, 280) : width);
    }
}

void RunsPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!columnsFitted_ && loadedOnce_)
        fitColumns(); // the first rows arrived while the page was hidden
    if (loadedOnce_ && jobs_ == 0)
        refresh(); // runs made by the CLI meanwhile
}

void RunsPage::refresh() {
    postEdit({});
}

void RunsPage::postEdit(std::function<void(ps::RunCatalog&)> job, const QString& doneMessage) {
    if (jobs_++ == 0)
        Q_EMIT busyChanged(true);
    catalog_->post([this, gen = generation_, job = std::move(job), doneMessage](ps::RunCatalog& catalog) {
        if (job)
            job(catalog);
        else
            catalog.sync();
        auto runs = listRunsLive(catalog);
        QMetaObject::invokeMethod(
            this,
            [this, gen, runs = std::move(runs), doneMessage] {
                if (gen != generation_)
                    return; // listed from the previous runs root
                applyRuns(runs);
                if (!doneMessage.isEmpty())
                    Q_EMIT statusMessage(doneMessage);
                jobDone();
            },
            Qt::QueuedConnection);
    });
}

void RunsPage::jobDone() {
    if (--jobs_ == 0)
        Q_EMIT busyChanged(isBusy());
    Q_EMIT refreshed();
}

void RunsPage::applyRuns(const std::vector<ps::RunRecord>& runs) {
    const bool first = !loadedOnce_;
    loadedOnce_ = true;
    model_->setRuns(runs);
    stack_->setCurrentIndex(runs.empty() ? 0 : 1);
    updateTagChoices();
    // No run has tags: the column would only take room from the others.
    table_->setColumnHidden(RunsTableModel::TagsColumn, model_->allTags().isEmpty());
    countLabel_->setText(tr("%n of %1 runs", nullptr, filter_->rowCount()).arg(model_->rowCount()));
    if (!columnsFitted_ && table_->isVisible())
        fitColumns();
    if (first && selectAllOnLoad_)
        table_->selectAll();
    if (model_->hasActiveRuns())
        pollTimer_->start();
    else
        pollTimer_->stop();
    updateActions();
}

void RunsPage::updateTagChoices() {
    const QString current = tagBox_->currentData().toString();
    const QStringList tags = model_->allTags();
    QStringList shown;
    for (int i = 1; i < tagBox_->count(); ++i)
        shown << tagBox_->itemData(i).toString();
    if (shown == tags)
        return;
    const QSignalBlocker block(tagBox_);
    while (tagBox_->count() > 1)
        tagBox_->removeItem(1);
    for (const QString& t : tags)
        tagBox_->addItem(t, t);
    const int keep = tagBox_->findData(current);
    tagBox_->setCurrentIndex(keep < 0 ? 0 : keep);
    if (keep < 0 && !current.isEmpty())
        filter_->setTagFilter(QString()); // the tag is gone: show every run again
}

QStringList RunsPage::selectedRunIds() const {
    QStringList ids;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        ids << i.data(RunsTableModel::IdRole).toString();
    // Table order, not click order: the diff's columns read like the table.
    std::sort(ids.begin(), ids.end(), [this](const QString& a, const QString& b) {
        return filter_->mapFromSource(model_->index(model_->rowForId(a), 0)).row() <
               filter_->mapFromSource(model_->index(model_->rowForId(b), 0)).row();
    });
    return ids;
}

void RunsPage::selectRuns(const QStringList& ids) {
    QItemSelection selection;
    for (const QString& id : ids) {
        const int row = model_->rowForId(id);
        if (row < 0)
            continue;
        const QModelIndex i = filter_->mapFromSource(model_->index(row, 0));
        if (i.isValid())
            selection.select(i, i);
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunsPage::selectAllWhenLoaded() {
    selectAllOnLoad_ = true;
    if (loadedOnce_)
        table_->selectAll();
}

void RunsPage::scheduleComparison() {
    compareTimer_->start();
}

} // namespace ps::ui
