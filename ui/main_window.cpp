#include "main_window.h"

#include "app_logo.h"
#include "app_settings.h"
#include "model_page.h"
#include "placeholder_page.h"
#include "run_draft.h"
#include "sidebar.h"

#include <QAction>
#include <QCloseEvent>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QListWidget>
#include <QScreen>
#include <QStackedWidget>

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

    // A comfortable first size, kept inside small screens.
    QSize size(1200, 760);
    if (const QScreen* screen = QGuiApplication::primaryScreen())
        size = size.boundedTo(screen->availableSize() * 0.9);
    resize(size);
    setWindowTitle(tr("%1 \u2014 PEFT Studio").arg(pageTitle(StudioPage::Model)));
}

MainWindow::~MainWindow() = default;

void MainWindow::buildPages() {
    // One line per page, in sidebar order (StudioPage). A page that is not built yet is a
    // PlaceholderPage saying what it will do.
    modelPage_ = new ModelPage(settings_, stack_);
    addPage(StudioPage::Model, modelPage_);
    addPage(StudioPage::Data, placeholder(StudioPage::Data));
    addPage(StudioPage::Method, placeholder(StudioPage::Method));
    addPage(StudioPage::Train, placeholder(StudioPage::Train));
    addPage(StudioPage::Runs, placeholder(StudioPage::Runs));
    addPage(StudioPage::Playground, placeholder(StudioPage::Playground));
    addPage(StudioPage::Export, placeholder(StudioPage::Export));
}

void MainWindow::addPage(StudioPage page, QWidget* widget) {
    Q_ASSERT(stack_->count() == static_cast<int>(page));
    if (widget->objectName().isEmpty())
        widget->setObjectName(pageName(page) + QStringLiteral("Page"));
    stack_->addWidget(widget);
}

QWidget* MainWindow::placeholder(StudioPage page) {
    QString promise;
    Glyph glyph = Glyph::Model;
    switch (page) {
    case StudioPage::Model:
        break;
    case StudioPage::Data:
        glyph = Glyph::Data;
        promise = tr("Open a dataset, see the format PEFT Studio detected and why, map its columns, preview "
                     "examples through the chat template, and split off a validation set.");
        break;
    case StudioPage::Method:
        glyph = Glyph::Method;
        promise = tr("Choose LoRA, DoRA, IA3 or another method with its rank and targets, and see how many "
                     "parameters you will train and how big the adapter will be.");
        break;
    case StudioPage::Train:
        glyph = Glyph::Train;
        promise = tr("Start, pause and stop training and watch loss, learning rate, memory and speed update live.");
        break;
    case StudioPage::Runs:
        glyph = Glyph::Runs;
        promise = tr("Compare your training runs side by side and pick up where one stopped.");
        break;
    case StudioPage::Playground:
        glyph = Glyph::Playground;
        promise = tr("Chat with the base model and your adapter, side by side, to see what training changed.");
        break;
    case StudioPage::Export:
        glyph = Glyph::Export;
        promise = tr("Save the adapter for Hugging Face PEFT, a merged model, or a GGUF LoRA for llama.cpp and "
                     "Ollama.");
        break;
    }
    return new PlaceholderPage(glyph, pageTitle(page), promise, stack_);
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

bool MainWindow::isBusy() const {
    return modelPage_->isBusy();
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
}

void MainWindow::saveToSettings() {
    settings_.setWindowGeometry(saveGeometry());
    settings_.setLastPage(pageName(currentPage()));
    modelPage_->saveState();
    settings_.sync();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveToSettings();
    event->accept();
}

} // namespace ps::ui
