#include "playground_page.h"

#include "adapter_picker.h"
#include "error_banner.h"
#include "generation_lane.h"
#include "generation_pane.h"
#include "generation_settings_form.h"
#include "page_header.h"
#include "qt_convert.h"

#include "ps/error.h"
#include "ps/export.h"
#include "ps/run_config.h"
#include "ps/runs.h"

#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLocale>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {

PlaygroundSetup resolvePlaygroundSetup(const QString& source, const QString& baseDir) {
    PlaygroundSetup s;
    s.source = source;
    try {
        if (!source.isEmpty()) {
            const ps::ExportSource src = ps::resolveExportSource(toStd(source));
            s.adapterDir = toQ(src.adapterDir);
            s.name = toQ(src.name);
            s.baseHint = toQ(src.baseHint);
            if (!src.runDir.empty()) {
                QFile f(toQ(ps::runConfigPath(src.runDir)));
                if (f.open(QIODevice::ReadOnly)) {
                    try {
                        const ps::RunConfig rc = ps::parseRunConfigYaml(f.readAll().toStdString(), src.runDir);
                        s.chatFamily = ps::chatFamilyFromName(rc.template_);
                    } catch (const ps::Error&) {
                        // An unreadable config only costs the template hint: the tokenizer's is used.
                    }
                }
            }
        }
        s.baseDir = !baseDir.isEmpty() ? baseDir : s.baseHint;
        if (!s.baseDir.isEmpty() && QFileInfo(s.baseDir).isDir())
            s.defaults = ps::generationDefaults(toStd(s.baseDir));
    } catch (const ps::Error& e) {
        s.error = QString::fromUtf8(e.what());
    }
    return s;
}

PlaygroundPage::PlaygroundPage(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(24, 20, 24, 16);
    v->setSpacing(10);
    addPageHeader(v, tr("Playground"),
                  tr("The same prompt through the base model and through your adapter, side by side, with the same "
                     "seed and settings, to see what training changed."),
                  this);
    error_ = new ErrorBanner(this);
    v->addWidget(error_);
    v->addWidget(buildSourceRow());

    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* left = new QWidget(split);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    auto* panes = new QSplitter(Qt::Horizontal, left);
    basePane_ = new GenerationPane(tr("Base model"), panes);
    adapterPane_ = new GenerationPane(tr("Base + adapter"), panes);
    panes->addWidget(basePane_);
    panes->addWidget(adapterPane_);
    panes->setChildrenCollapsible(false);
    lv->addWidget(panes, 1);
    lv->addWidget(buildInput());
    auto* settingsScroll = new QScrollArea(split);
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setFrameShape(QFrame::NoFrame);
    settings_ = new GenerationSettingsForm(settingsScroll);
    settingsScroll->setWidget(settings_);
    settingsScroll->setMinimumWidth(settings_->minimumSizeHint().width() + 16);
    split->addWidget(left);
    split->addWidget(settingsScroll);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 0);
    split->setChildrenCollapsible(false);
    // The panes are what the page is for: the settings column starts at its natural width.
    split->setSizes({4000, settingsScroll->minimumWidth()});
    v->addWidget(split, 1);

    baseLane_ = new GenerationLane(QStringLiteral("playground-base"), this);
    adapterLane_ = new GenerationLane(QStringLiteral("playground-adapter"), this);
    const auto wire = [this](GenerationLane* lane, GenerationPane* pane, std::vector<ps::ChatMessage>* history) {
        connect(lane, &GenerationLane::loadingModel, pane, [pane] { pane->setStatus(tr("Loading the model\u2026")); });
        connect(lane, &GenerationLane::token, pane, [pane](qint32 id, const QString& piece) {
            if (pane->ids().empty())
                pane->setStatus(tr("Generating\u2026"));
            pane->appendToken(id, piece);
        });
        connect(lane, &GenerationLane::finished, this,
                [this, pane, history](const GenerationOutcome& o) { onLaneFinished(pane, history, o); });
    };
    wire(baseLane_, basePane_, &baseChat_);
    wire(adapterLane_, adapterPane_, &adapterChat_);

    connect(picker_, &AdapterPicker::currentChanged, this, &PlaygroundPage::resolve);
    connect(picker_, &AdapterPicker::loadingChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(base_, &QLineEdit::editingFinished, this, [this] {
        baseEdited_ = !base_->text().isEmpty();
        resolve();
    });
    updateButtons();
    picker_->reload();
}

PlaygroundPage::~PlaygroundPage() {
    // The lanes' destructors stop their generations and join their threads.
    baseLane_->stop();
    adapterLane_->stop();
}

QWidget* PlaygroundPage::buildSourceRow() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    picker_ = new AdapterPicker(box);
    form->addRow(tr("&Adapter:"), picker_);
    base_ = new QLineEdit(box);
    base_->setPlaceholderText(tr("The base model folder (the run's model when empty)"));
    form->addRow(tr("&Base model:"), baseModelRow(base_, box));
    return box;
}

QWidget* PlaygroundPage::buildInput() {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 6, 0, 0);
    auto* top = new QHBoxLayout;
    chat_ = new QCheckBox(tr("&Chat"), box);
    chat_->setToolTip(tr("Render a conversation with a chat template; each side keeps its own conversation"));
    chatInfo_ = secondaryLabel(QString(), box);
    chatInfo_->setWordWrap(true); // long template notes must not widen the window
    chatInfo_->setText(tr("the model's own chat template"));
    newChat_ = new QPushButton(tr("New conversation"), box);
    top->addWidget(chat_);
    top->addWidget(chatInfo_, 1);
    top->addWidget(newChat_);
    v->addLayout(top);
    prompt_ = new QPlainTextEdit(box);
    prompt_->setPlaceholderText(tr("Type a prompt. Ctrl+Enter generates, Esc stops."));
    prompt_->setMaximumHeight(prompt_->fontMetrics().lineSpacing() * 4 + 12);
    prompt_->setTabChangesFocus(true);
    v->addWidget(prompt_);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    stop_ = new QPushButton(tr("Stop"), box);
    generate_ = new QPushButton(tr("Generate"), box);
    generate_->setDefault(true);
    buttons->addWidget(stop_);
    buttons->addWidget(generate_);
    v->addLayout(buttons);

    connect(generate_, &QPushButton::clicked, this, &PlaygroundPage::generate);
    connect(stop_, &QPushButton::clicked, this, &PlaygroundPage::stop);
    connect(newChat_, &QPushButton::clicked, this, &PlaygroundPage::newConversation);
    connect(chat_, &QCheckBox::toggled, this, [this](bool on) {
        newConversation();
        newChat_->setEnabled(on);
        prompt_->setPlaceholderText(on ? tr("Your message. Ctrl+Enter sends it, Esc stops.")
                                       : tr("Type a prompt. Ctrl+Enter generates, Esc stops."));
    });
    newChat_->setEnabled(false);
    auto* go = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    connect(go, &QShortcut::activated, this, &PlaygroundPage::generate);
    auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    connect(esc, &QShortcut::activated, this, &PlaygroundPage::stop);
    return box;
}

void PlaygroundPage::setAdapterSource(const QString& path) {
    picker_->setCurrentPath(path);
}

void PlaygroundPage::setBaseDir(const QString& dir) {
    base_->setText(QDir::toNativeSeparators(dir));
    baseEdited_ = !dir.isEmpty();
    resolve();
}

void PlaygroundPage::setPrompt(const QString& text) {
    prompt_->setPlainText(text);
}

void PlaygroundPage::setChatMode(bool chat) {
    chat_->setChecked(chat);
}

bool PlaygroundPage::isGenerating() const {
    return lanesRunning_ > 0;
}

bool PlaygroundPage::isBusy() const {
    return resolving_ > 0 || lanesRunning_ > 0 || pendingGenerate_ || picker_->isLoading();
}

void PlaygroundPage::resolve() {
    const QString source = picker_->currentPath();
    const QString base = baseEdited_ ? QDir::fromNativeSeparators(base_->text().trimmed()) : QString();
    const int serial = ++resolveSerial_;
    ++resolving_;
    Q_EMIT busyChanged(true);
    updateButtons();
    auto* watcher = new QFutureWatcher<PlaygroundSetup>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, serial] {
        watcher->deleteLater();
        --resolving_;
        if (serial == resolveSerial_)
            applySetup(watcher->result());
        updateButtons();
        if (resolving_ == 0 && pendingGenerate_) {
            pendingGenerate_ = false;
            generate();
        }
        Q_EMIT busyChanged(isBusy());
    });
    watcher->setFuture(QtConcurrent::run(&resolvePlaygroundSetup, source, base));
}

void PlaygroundPage::applySetup(const PlaygroundSetup& setup) {
    const bool baseChanged = setup.baseDir != setup_.baseDir;
    setup_ = setup;
    error_->clear();
    if (!setup.error.isEmpty())
        error_->showError(tr("This adapter cannot be used"), setup.error,
                          tr("Choose a run with an adapter, or a folder with adapter_config.json."));
    if (!baseEdited_)
        base_->setText(QDir::toNativeSeparators(setup.baseDir));
    adapterPane_->setTitle(setup.adapterDir.isEmpty() ? tr("Base + adapter")
                                                      : tr("Base + adapter \u2014 %1").arg(setup.name));
    basePane_->setTitle(setup.baseDir.isEmpty() ? tr("Base model")
                                                : tr("Base model \u2014 %1").arg(QFileInfo(setup.baseDir).fileName()));
    if (baseChanged)
        settings_->setDefaults(setup.defaults); // a new model brings its own generation_config.json
    chatInfo_->setText(setup.chatFamily ? tr("%1 template, as the run was trained")
                                              .arg(QString::fromStdString(ps::chatFamilyName(*setup.chatFamily)))
                                        : tr("the model's own chat template"));
}

bool PlaygroundPage::generate() {
    if (isGenerating())
        return false;
    if (resolving_ > 0 || picker_->isLoading()) {
        pendingGenerate_ = true; // starts when the adapter and base are known
        Q_EMIT busyChanged(true);
        return true;
    }
    const QString text = prompt_->toPlainText();
    if (text.trimmed().isEmpty()) {
        error_->showError(tr("Nothing to generate from"), tr("The prompt is empty."),
                          tr("Type a prompt (or, in chat mode, a message) first."));
        return false;
    }
    if (setup_.baseDir.isEmpty() || !QFileInfo(setup_.baseDir).isDir()) {
        error_->showError(tr("No base model"),
                          setup_.baseDir.isEmpty() ? tr("No base model folder is chosen.")
                                                   : tr("%1 is not a folder.").arg(setup_.baseDir),
                          tr("Choose the base model folder (the run's model is used when it is a local folder)."));
        return false;
    }
    error_->clear();
    startLanes();
    return true;
}

void PlaygroundPage::startLanes() {
    GenerationRequest r;
    r.modelDir = setup_.baseDir;
    r.options = settings_->options();
    r.chat = chat_->isChecked();
    r.chatFamily = setup_.chatFamily;
    const QString text = prompt_->toPlainText();
    if (r.chat) {
        const ps::ChatMessage user{"user", toStd(text)};
        baseChat_.push_back(user);
        adapterChat_.push_back(user);
        basePane_->addTurn(tr("You"), text);
        basePane_->addTurn(tr("Base model"));
        prompt_->clear();
    } else {
        r.prompt = text;
        basePane_->clear();
        basePane_->showPrompt(text);
    }
    basePane_->setStatus(tr("Starting\u2026"));
    lanesRunning_ = 1;
    r.messages = baseChat_;
    baseLane_->start(r);
    if (!setup_.adapterDir.isEmpty()) {
        GenerationRequest a = r;
        a.adapterDir = setup_.adapterDir;
        a.messages = adapterChat_;
        if (r.chat) {
            adapterPane_->addTurn(tr("You"), text);
            adapterPane_->addTurn(tr("Adapter"));
        } else {
            adapterPane_->clear();
            adapterPane_->showPrompt(text);
        }
        adapterPane_->setStatus(tr("Starting\u2026"));
        ++lanesRunning_;
        adapterLane_->start(a);
    } else {
        adapterPane_->clear();
        adapterPane_->setStatus(tr("Choose an adapter above to compare."));
    }
    updateButtons();
    Q_EMIT busyChanged(true);
}

void PlaygroundPage::onLaneFinished(GenerationPane* pane, std::vector<ps::ChatMessage>* history,
                                    const GenerationOutcome& o) {
    if (o.ok) {
        pane->setStatus(tr("%n token(s) \u00b7 %1 tokens/s \u00b7 stopped: %2", nullptr, static_cast<int>(o.ids.size()))
                            .arg(QLocale().toString(o.tokensPerSecond(), 'f', 1),
                                 QString(o.stop).replace(QLatin1Char('_'), QLatin1Char(' '))));
        if (chat_->isChecked())
            history->push_back({"assistant", toStd(o.text)});
    } else {
        pane->setStatus(tr("Failed"));
        if (chat_->isChecked() && !history->empty())
            history->pop_back(); // the user turn was not answered; the next one replaces it
        error_->showError(tr("Generation failed"), o.error,
                          tr("Check that the base model is the one the adapter was trained on."));
    }
    if (--lanesRunning_ <= 0) {
        lanesRunning_ = 0;
        updateButtons();
        Q_EMIT generationFinished();
        Q_EMIT busyChanged(isBusy());
    }
}

void PlaygroundPage::stop() {
    pendingGenerate_ = false;
    baseLane_->stop();
    adapterLane_->stop();
}

void PlaygroundPage::newConversation() {
    if (isGenerating())
        stop();
    baseChat_.clear();
    adapterChat_.clear();
    basePane_->clear();
    adapterPane_->clear();
}

void PlaygroundPage::updateButtons() {
    generate_->setEnabled(!isGenerating());
    stop_->setEnabled(isGenerating() || pendingGenerate_);
}

} // namespace ps::ui
