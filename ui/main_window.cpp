#include "main_window.h"

#include "app_logo.h"
#include "app_settings.h"
#include "data_page.h"
#include "export_page.h"
#include "method_page.h"
#include "model_page.h"
#include "playground_page.h"
#include "qt_convert.h"
#include "run_config_files.h"
#include "run_draft.h"
#include "runs_page.h"
#include "sidebar.h"
#include "train_page.h"

#include "ps/error.h"
#include "ps/run_config.h"
#include "ps/runs.h"

#include <QAction>
#include <QCloseEvent>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QScreen>
#include <QStackedWidget>
#include <QStatusBar>

namespace ps::ui {

MainWindow::MainWindow(AppSettings& settings, QWidget* parent)
    : QMainWindow(parent), settings_(settings), draft_(new RunDraft(this)) {
    setWindowTitle(tr("PEFT Studio"));
    setWindowIcon(appIcon());

    auto* central = new QWidget(this);
    auto* h = new QHBoxLayout(central);
    h->setContentsMargins(0, 0, 0, 0);
    h->setSpacing(0);
    sidebar_ = new Sidebar(central);
    stack_ = new QStackedWidget(central);
    h->addWidget(sidebar_);
    h->addWidget(stack_, 1);
    setCentralWidget(central);
    buildPages();

    connect(sidebar_, &Sidebar::pageChanged, this, [this](StudioPage page) {
        stack_->setCurrentIndex(static_cast<int>(page));
        setWindowTitle(tr("%1 \u2014 PEFT Studio").arg(pageTitle(page)));
    });
    // Ctrl+1..7 reach every page from anywhere in the window.
    for (int i = 0; i < kStudioPageCount; ++i) {
        auto* action = new QAction(pageTitle(static_cast<StudioPage>(i)), this);
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, [this, i] { setCurrentPage(static_cast<StudioPage>(i)); });
        addAction(action);
    }

    connect(modelPage_, &ModelPage::busyChanged, this, &MainWindow::busyChanged);
    connect(dataPage_, &DataPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(methodPage_, &MethodPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    // The model chosen on the Model page is the run's base model.
    connect(modelPage_, &ModelPage::modelChosen, draft_,
            [this](const QString& dir) { draft_->setValue(QStringLiteral("model_name_or_path"), dir); });
    // ... and a model the draft gets elsewhere (a config file, the saved settings) is shown there.
    connect(draft_, &RunDraft::changed, modelPage_, [this](const QStringList& keys) {
        if (keys.contains(QStringLiteral("model_name_or_path")))
            modelPage_->showModel(toQ(draft_->config().model_name_or_path));
    });
    connect(trainPage_, &TrainPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    // A run started or finished on the Train page shows up on the Runs page at once.
    // A run whose output_dir is another runs root moves the Runs page there, so it is listed.
    connect(trainPage_, &TrainPage::busyChanged, runsPage_, [this](bool busy) {
        if (busy && trainPage_->isTraining())
            runsPage_->setRunsRoot(toQ(ps::runsRootFor(draft_->config())));
        runsPage_->refresh();
    });
    connect(runsPage_, &RunsPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(runsPage_, &RunsPage::trainRequested, this, [this] { setCurrentPage(StudioPage::Train); });
    connect(playgroundPage_, &PlaygroundPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(exportPage_, &ExportPage::busyChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(trainPage_, &TrainPage::runFinished, this, [this] {
        runsPage_->refresh();
        if (closeWhenStopped_)
            close(); // the checkpoint is written: finish the close the user asked for
    });
    buildFileMenu();

    // A comfortable first size, kept inside small screens.
    QSize size(1200, 760);
    if (const QScreen* screen = QGuiApplication::primaryScreen())
        size = size.boundedTo(screen->availableSize() * 0.9);
    resize(size);
    setWindowTitle(tr("%1 \u2014 PEFT Studio").arg(pageTitle(StudioPage::Model)));
}

MainWindow::~MainWindow() = default;

void MainWindow::buildPages() {
    // One line per page, in sidebar order (StudioPage).
    modelPage_ = new ModelPage(settings_, stack_);
    modelPage_->attachMemoryEstimate(draft_);
    addPage(StudioPage::Model, modelPage_);
    addPage(StudioPage::Data, dataPage_ = new DataPage(*draft_, stack_));
    addPage(StudioPage::Method, methodPage_ = new MethodPage(*draft_, stack_));
    addPage(StudioPage::Train, trainPage_ = new TrainPage(*draft_, stack_));
    addPage(StudioPage::Runs, runsPage_ = new RunsPage(toQ(ps::defaultRunsRoot()), stack_));
    addPage(StudioPage::Playground, playgroundPage_ = new PlaygroundPage(stack_));
    addPage(StudioPage::Export, exportPage_ = new ExportPage(stack_));
}

void MainWindow::addPage(StudioPage page, QWidget* widget) {
    Q_ASSERT(stack_->count() == static_cast<int>(page));
    if (widget->objectName().isEmpty())
        widget->setObjectName(pageName(page) + QStringLiteral("Page"));
    stack_->addWidget(widget);
}

StudioPage MainWindow::currentPage() const {
    return static_cast<StudioPage>(stack_->currentIndex());
}

void MainWindow::setCurrentPage(StudioPage page) {
    sidebar_->setCurrentPage(page); // the sidebar's signal switches the stack
}

QWidget* MainWindow::pageWidget(StudioPage page) const {
    return stack_->widget(static_cast<int>(page));
}

void MainWindow::setPreparing(const QString& message) {
    if (message == preparing_)
        return;
    preparing_ = message;
    if (message.isEmpty())
        statusBar()->clearMessage();
    else
        statusBar()->showMessage(message); // stays until cleared
    Q_EMIT busyChanged(isBusy());
}

bool MainWindow::isBusy() const {
    return !preparing_.isEmpty() || modelPage_->isBusy() || dataPage_->isBusy() || methodPage_->isBusy() ||
           trainPage_->isTraining() || runsPage_->isBusy() || playgroundPage_->isBusy() || exportPage_->isBusy();
}

void MainWindow::restoreFromSettings(bool geometry) {
    if (geometry) {
        const QByteArray saved = settings_.windowGeometry();
        if (!saved.isEmpty())
            restoreGeometry(saved);
    }
    if (const auto page = pageFromName(settings_.lastPage()))
        setCurrentPage(*page);
    modelPage_->restoreState();
    runsPage_->restoreLayoutState(settings_.runsPageLayout());
    // The last draft; a file from an older version with a key we no longer know is skipped.
    if (const QString yaml = settings_.draftYaml(); !yaml.isEmpty()) {
        try {
            draft_->setConfig(ps::parseRunConfigYaml(toStd(yaml), "saved settings"));
        } catch (const ps::Error& e) {
            qWarning("PEFT Studio: the saved run settings were not restored: %s", e.what());
        }
    }
    // The runs of the restored settings' output folder (the default root when it has none).
    runsPage_->setRunsRoot(toQ(ps::runsRootFor(draft_->config())));
}

void MainWindow::saveToSettings() {
    settings_.setWindowGeometry(saveGeometry());
    settings_.setLastPage(pageName(currentPage()));
    modelPage_->saveState();
    settings_.setRunsPageLayout(runsPage_->layoutState());
    settings_.setDraftYaml(toQ(ps::runConfigToYaml(draft_->config())));
    settings_.sync();
}

void MainWindow::buildFileMenu() {
    auto* actions = new RunConfigActions(*draft_, this);
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(actions->openAction());
    file->addAction(actions->saveAsAction());
    file->addSeparator();
    file->addAction(actions->copyCommandAction());
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    const auto showMessage = [this](const QString& message) { statusBar()->showMessage(message, 10000); };
    connect(actions, &RunConfigActions::statusMessage, this, showMessage);
    connect(trainPage_, &TrainPage::statusMessage, this, showMessage);
    connect(runsPage_, &RunsPage::statusMessage, this, showMessage);
    connect(exportPage_, &ExportPage::statusMessage, this, showMessage);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (trainPage_->isTraining()) {
        // Ask once; then wait (without blocking the GUI) for the stop's checkpoint and close
        // from runFinished.
        if (!closeWhenStopped_ && !trainPage_->askToStopForClose()) {
            event->ignore();
            return;
        }
        closeWhenStopped_ = true;
        event->ignore();
        return;
    }
    saveToSettings();
    event->accept();
}

} // namespace ps::ui
