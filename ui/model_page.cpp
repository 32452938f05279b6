#include "model_page.h"

#include "app_settings.h"
#include "glyph_icons.h"
#include "model_details_view.h"
#include "model_memory_panel.h"
#include "model_list_model.h"
#include "page_header.h"
#include "qt_convert.h"
#include "resource_paths.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {
namespace {

QString clean(const QString& path) {
    return QDir::cleanPath(QDir(path).absolutePath());
}


} // namespace

ModelPage::ModelPage(AppSettings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
    model_ = new ModelListModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(ModelListModel::SortRole);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setFilterKeyColumn(-1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 12);
    layout->setSpacing(4);
    addPageHeader(layout, tr("Base model"),
                  tr("Pick the model to fine-tune. PEFT Studio lists the models in your Hugging Face cache and "
                     "the folders you opened; nothing is downloaded."),
                  this);
    layout->addSpacing(12);
    layout->addLayout(buildToolbar());
    layout->addSpacing(4);

    details_ = new ModelDetailsView(this);
    splitter_ = new QSplitter(Qt::Horizontal, this);
    splitter_->setChildrenCollapsible(false);
    splitter_->addWidget(buildListPane());
    detailsPane_ = new QWidget(this);
    auto* detailsLayout = new QVBoxLayout(detailsPane_);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addWidget(details_, 1);
    splitter_->addWidget(detailsPane_);
    splitter_->setStretchFactor(0, 3);
    splitter_->setStretchFactor(1, 2);
    splitter_->setSizes({640, 400}); // the table needs room for long repository ids
    layout->addWidget(splitter_, 1);
    layout->addSpacing(4);
    layout->addLayout(buildFooter());

    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] { onCurrentRowChanged(); });
    refresh();
}

ModelPage::~ModelPage() = default;

bool ModelPage::isBusy() const {
    return jobs_ > 0 || (memoryPanel_ && memoryPanel_->isBusy());
}

void ModelPage::attachMemoryEstimate(RunDraft* draft) {
    if (memoryPanel_ || !draft)
        return;
    memoryPanel_ = new ModelMemoryPanel(*draft, detailsPane_);
    detailsPane_->layout()->addWidget(memoryPanel_);
    connect(memoryPanel_, &ModelMemoryPanel::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
}

QLayout* ModelPage::buildToolbar() {
    auto* bar = new QHBoxLayout;
    filter_ = new QLineEdit(this);
    filter_->setPlaceholderText(tr("Filter models"));
    filter_->setClearButtonEnabled(true);
    filter_->setMaximumWidth(360);
    filter_->addAction(glyphIcon(Glyph::Search), QLineEdit::LeadingPosition);
    connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
    auto* refreshButton = new QToolButton(this);
    refreshButton->setIcon(glyphIcon(Glyph::Refresh));
    refreshButton->setToolTip(tr("Scan the Hugging Face cache again (F5)"));
    refreshButton->setShortcut(QKeySequence::Refresh);
    refreshButton->setAutoRaise(true);
    connect(refreshButton, &QToolButton::clicked, this, &ModelPage::refresh);
    auto* openButton = new QPushButton(glyphIcon(Glyph::Folder), tr("Open Folder\u2026"), this);
    openButton->setToolTip(tr("Open a Hugging Face model folder (config.json + .safetensors) (Ctrl+O)"));
    openButton->setShortcut(QKeySequence::Open);
    connect(openButton, &QPushButton::clicked, this, &ModelPage::chooseFolder);
    bar->addWidget(filter_, 1);
    bar->addStretch();
    bar->addWidget(refreshButton);
    bar->addWidget(openButton);
    return bar;
}

QWidget* ModelPage::buildListPane() {
    auto* pane = new QWidget(this);
    auto* v = new QVBoxLayout(pane);
    v->setContentsMargins(0, 0, 4, 0);

    table_ = new QTableView(pane);
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(-1, Qt::AscendingOrder); // keep discovery order until the user sorts
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->setShowGrid(false);
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideMiddle);
    table_->setIconSize(QSize(16, 16));
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 12);
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setSectionResizeMode(ModelListModel::IdColumn, QHeaderView::Stretch);
    for (int c = ModelListModel::ArchitectureColumn; c < ModelListModel::ColumnCount; ++c)
        table_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_, &QTableView::customContextMenuRequested, this, &ModelPage::showContextMenu);

    listStack_ = new QStackedWidget(pane);
    listStack_->addWidget(table_);
    emptyHint_ = buildEmptyHint();
    listStack_->addWidget(emptyHint_);
    v->addWidget(listStack_, 1);

    return pane;
}

QLayout* ModelPage::buildFooter() {
    auto* footer = new QHBoxLayout;
    QWidget* pane = this;
    footer_ = new QLabel(pane);
    footer_->setForegroundRole(QPalette::PlaceholderText);
    footer_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    footer_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    activity_ = new QLabel(pane);
    activity_->setForegroundRole(QPalette::PlaceholderText);
    busyBar_ = new QProgressBar(pane);
    busyBar_->setRange(0, 0);
    busyBar_->setTextVisible(false);
    busyBar_->setFixedSize(80, 8);
    busyBar_->hide();
    footer->addWidget(footer_, 1);
    footer->addWidget(activity_);
    footer->addWidget(busyBar_);
    connect(this, &ModelPage::statusMessage, activity_, &QLabel::setText);
    connect(this, &ModelPage::busyChanged, busyBar_, &QWidget::setVisible);
    return footer;
}

QWidget* ModelPage::buildEmptyHint() {
    // Framed like the table it stands in for.
    auto* hint = new QFrame(this);
    hint->setFrameShape(QFrame::StyledPanel);
    hint->setBackgroundRole(QPalette::Base);
    hint->setAutoFillBackground(true);
    auto* v = new QVBoxLayout(hint);
    v->addStretch();
    auto* icon = new QLabel(hint);
    icon->setPixmap(glyphIcon(Glyph::Cache).pixmap(QSize(48, 48), QIcon::Disabled));
    v->addWidget(icon, 0, Qt::AlignHCenter);
    auto* text =
        new QLabel(tr("No models in your Hugging Face cache \u2014 open a model folder or use the demo model"), hint);
    text->setObjectName(QStringLiteral("emptyHint"));
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);
    v->addWidget(text);
    emptyCacheLabel_ = new QLabel(hint);
    emptyCacheLabel_->setForegroundRole(QPalette::PlaceholderText);
    emptyCacheLabel_->setAlignment(Qt::AlignCenter);
    emptyCacheLabel_->setWordWrap(true);
    v->addWidget(emptyCacheLabel_);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    auto* open = new QPushButton(glyphIcon(Glyph::Folder), tr("Open Folder\u2026"), hint);
    connect(open, &QPushButton::clicked, this, &ModelPage::chooseFolder);
    demoButton_ = new QPushButton(glyphIcon(Glyph::Model), tr("Use the Demo Model"), hint);
    connect(demoButton_, &QPushButton::clicked, this, &ModelPage::openDemoModel);
    buttons->addWidget(open);
    buttons->addWidget(demoButton_);
    buttons->addStretch();
    v->addSpacing(8);
    v->addLayout(buttons);
    v->addStretch();
    return hint;
}

bool ModelPage::isEmptyHintShown() const {
    return listStack_->currentWidget() == emptyHint_;
}

void ModelPage::beginJob() {
    if (jobs_++ == 0)
        Q_EMIT busyChanged(true);
}

void ModelPage::endJob() {
    if (--jobs_ == 0)
        Q_EMIT busyChanged(false);
}

void ModelPage::refresh() {
    const int generation = ++scanGeneration_;
    auto* watcher = new QFutureWatcher<ModelScanResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        // A newer scan supersedes this one (e.g. a folder was opened meanwhile).
        if (generation == scanGeneration_)
            applyScan(watcher->result());
        endJob(); // last, so that work applyScan starts keeps the page busy without a gap
    });
    beginJob();
    Q_EMIT statusMessage(tr("Scanning the Hugging Face cache\u2026"));
    watcher->setFuture(QtConcurrent::run(&scanModels, settings_.recentFolders()));
}

void ModelPage::applyScan(const ModelScanResult& result) {
    scanned_ = true;
    cacheDir_ = result.cacheDir;
    cacheSource_ = result.cacheSource;
    model_->setModels(result.models);
    listStack_->setCurrentWidget(model_->rowCount() == 0 ? emptyHint_ : static_cast<QWidget*>(table_));
    emptyCacheLabel_->setText(tr("Looked in %1").arg(QDir::toNativeSeparators(cacheDir_)));
    const QString demo = demoModelDir();
    demoButton_->setEnabled(!demo.isEmpty());
    demoButton_->setToolTip(demo.isEmpty() ? tr("This build does not include the demo model yet") : demo);
    updateFooter();
    Q_EMIT statusMessage(QString());

    QString wanted = currentPath_;
    if (const QString byId = requestedIdPath(); !byId.isEmpty()) {
        wanted = byId; // the run's model, named by its Hub id
    } else if (!requestedId_.isEmpty()) {
        Q_EMIT statusMessage(notInCacheMessage());
    } else if (wanted.isEmpty()) {
        // Start where the user left off, else on the first usable model.
        wanted = settings_.lastModel();
        if (model_->rowForPath(wanted) < 0) {
            wanted.clear();
            for (int row = 0; row < model_->rowCount() && wanted.isEmpty(); ++row)
                if (!model_->modelAt(row).broken)
                    wanted = toQ(model_->modelAt(row).path);
        }
    }
    if (!wanted.isEmpty())
        selectPath(wanted);
}

void ModelPage::updateFooter() {
    int cached = 0;
    for (int row = 0; row < model_->rowCount(); ++row)
        cached += model_->modelAt(row).fromCache ? 1 : 0;
    const QString count = cached == 0 ? tr("no models") : cached == 1 ? tr("1 model") : tr("%1 models").arg(cached);
    const QString source = cacheSource_ == QLatin1String("home") ? QString() : tr(", set by %1").arg(cacheSource_);
    footer_->setText(tr("Hugging Face cache (%1): %2%3").arg(count, QDir::toNativeSeparators(cacheDir_), source));
    footer_->setToolTip(
        tr("%1\nSet HF_HUB_CACHE or HF_HOME to use another cache folder.").arg(QDir::toNativeSeparators(cacheDir_)));
}

void ModelPage::selectPath(const QString& path) {
    const int row = model_->rowForPath(path);
    if (row < 0)
        return;
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    if (index.isValid()) {
        table_->setCurrentIndex(index);
        table_->scrollTo(index);
    }
}

void ModelPage::onCurrentRowChanged() {
    const QModelIndex index = proxy_->mapToSource(table_->currentIndex());
    if (!index.isValid())
        return;
    const QString path = index.data(ModelListModel::PathRole).toString();
    if (clean(path) == clean(currentPath_))
        return; // already shown or loading (e.g. re-selected after a rescan)
    const ps::HubModel& m = model_->modelAt(index.row());
    if (m.broken) {
        ++inspectGeneration_; // drop any inspection still running for another row
        currentPath_ = path;
        details_->showError(path, toQ(m.reason));
        if (memoryPanel_)
            memoryPanel_->setModelPath({});
        return;
    }
    inspect(path, false);
}

void ModelPage::chooseFolder() {
    const QStringList recent = settings_.recentFolders();
    const QString start = recent.isEmpty() ? QDir::homePath() : QFileInfo(recent.first()).absolutePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Model Folder"), start);
    if (!dir.isEmpty())
        openFolder(dir);
}

bool ModelPage::openDemoModel() {
    const QString demo = demoModelDir();
    if (demo.isEmpty()) {
        Q_EMIT statusMessage(tr("This build does not include the demo model yet."));
        return false;
    }
    openFolder(demo);
    return true;
}

void ModelPage::openFolder(const QString& dir) {
    inspect(dir.isEmpty() ? dir : clean(dir), true);
}

void ModelPage::showModel(const QString& nameOrPath) {
    if (nameOrPath.isEmpty())
        return;
    if (!QFileInfo(nameOrPath).isDir()) {
        // A Hub id: its snapshot once the cache scan has listed it (applyScan), at once if it has.
        requestedId_ = nameOrPath;
        if (!scanned_)
            return;
        const QString path = requestedIdPath();
        if (path.isEmpty())
            Q_EMIT statusMessage(notInCacheMessage());
        else if (clean(path) != clean(currentPath_))
            selectPath(path);
        return;
    }
    requestedId_.clear();
    if (clean(nameOrPath) != clean(currentPath_))
        openFolder(QFileInfo(nameOrPath).absoluteFilePath());
}

QString ModelPage::notInCacheMessage() const {
    return tr("%1 is not in the Hugging Face cache (%2)").arg(requestedId_, QDir::toNativeSeparators(cacheDir_));
}

QString ModelPage::requestedIdPath() const {
    if (requestedId_.isEmpty() || !scanned_)
        return {};
    for (int row = 0; row < model_->rowCount(); ++row) {
        const ps::HubModel& m = model_->modelAt(row);
        if (m.fromCache && !m.broken && toQ(m.id) == requestedId_)
            return toQ(m.path);
    }
    return {};
}

void ModelPage::inspect(const QString& dir, bool remember) {
    currentPath_ = dir;
    const int generation = ++inspectGeneration_;
    details_->showLoading(QDir::toNativeSeparators(dir));
    auto* watcher = new QFutureWatcher<FolderInspection>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, remember] {
        watcher->deleteLater();
        if (generation == inspectGeneration_)
            applyInspection(watcher->result(), remember);
        endJob();
    });
    beginJob();
    watcher->setFuture(QtConcurrent::run(&inspectFolder, dir));
}

void ModelPage::applyInspection(const FolderInspection& result, bool remember) {
    if (!result.info) {
        details_->showError(QDir::toNativeSeparators(result.dir), result.error);
        if (memoryPanel_)
            memoryPanel_->setModelPath({});
        Q_EMIT statusMessage(QString());
        return;
    }
    // Keep the cache's name for a snapshot the table already lists.
    ps::HubModel entry = result.entry;
    if (const int row = model_->rowForPath(result.dir); row >= 0)
        entry = model_->modelAt(row);
    details_->showInfo(entry, *result.info);
    if (memoryPanel_)
        memoryPanel_->setModelPath(result.dir);
    const QString byId = requestedIdPath();
    if (!byId.isEmpty() && clean(byId) == clean(result.dir)) {
        Q_EMIT modelChosen(requestedId_); // the draft keeps the id it named the model by
    } else {
        requestedId_.clear();
        Q_EMIT modelChosen(result.dir);
    }
    settings_.setLastModel(result.dir);
    if (remember) {
        settings_.addRecentFolder(result.dir);
        if (model_->rowForPath(result.dir) < 0) {
            model_->upsert(result.entry);
            listStack_->setCurrentWidget(table_);
            refresh(); // so the list and the footer agree with the recent folders from now on
        }
    }
    selectPath(result.dir);
    Q_EMIT statusMessage(QString());
}

void ModelPage::showContextMenu(const QPoint& pos) {
    const QModelIndex index = proxy_->mapToSource(table_->indexAt(pos));
    if (!index.isValid())
        return;
    const ps::HubModel m = model_->modelAt(index.row());
    QMenu menu(this);
    menu.addAction(tr("Copy Path"), this, [m] { QApplication::clipboard()->setText(toQ(m.path)); });
    if (!m.fromCache)
        menu.addAction(tr("Remove from Recent Folders"), this, [this, m] {
            settings_.removeRecentFolder(toQ(m.path));
            if (clean(toQ(m.path)) == clean(currentPath_)) {
                currentPath_.clear();
                details_->showEmpty();
            }
            refresh();
        });
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

void ModelPage::saveState() {
    settings_.setModelPageSplitter(splitter_->saveState());
}

void ModelPage::restoreState() {
    const QByteArray state = settings_.modelPageSplitter();
    if (!state.isEmpty())
        splitter_->restoreState(state);
}

} // namespace ps::ui
