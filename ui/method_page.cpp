#include "method_page.h"

#include "memory_estimate_view.h"
#include "method_catalog.h"
#include "page_header.h"
#include "qt_convert.h"
#include "run_draft.h"
#include "target_module_list.h"

#include "ps/human_format.h"

#include <QButtonGroup>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QRadioButton>
#include <QScrollArea>
#include <QStyle>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {
namespace {

QWidget* scrolled(QWidget* content, QWidget* parent) {
    auto* scroll = new QScrollArea(parent);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(content);
    return scroll;
}

} // namespace

MethodPage::MethodPage(RunDraft& draft, QWidget* parent) : QWidget(parent), draft_(draft) {
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(150);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 12);
    layout->setSpacing(4);
    addPageHeader(layout, tr("Method"),
                  tr("Choose how to fine-tune. Parameter-efficient methods train a small add-on to the model "
                     "instead of all its weights: far less memory, and a file of megabytes instead of gigabytes."),
                  this);
    layout->addSpacing(12);
    auto* columns = new QHBoxLayout;
    columns->setSpacing(24);
    columns->addWidget(buildMethodList(), 2);
    auto* right = new QWidget(this);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 8, 0);
    rv->setSpacing(6);
    rv->addWidget(buildSettings());
    rv->addWidget(buildSummary());
    rv->addStretch();
    columns->addWidget(scrolled(right, this), 3);
    layout->addLayout(columns, 1);

    connect(&draft_, &RunDraft::changed, this, &MethodPage::onDraftChanged);
    connect(debounce_, &QTimer::timeout, this, &MethodPage::startEstimate);
    syncWidgets();
    scheduleEstimate();
}

MethodPage::~MethodPage() = default;

QWidget* MethodPage::buildMethodList() {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    v->addWidget(sectionTitle(tr("Method"), box));
    v->addSpacing(4);
    methods_ = new QButtonGroup(this);
    const int indent = style()->pixelMetric(QStyle::PM_ExclusiveIndicatorWidth) +
                       style()->pixelMetric(QStyle::PM_RadioButtonLabelSpacing);
    int id = 0;
    for (const MethodDescription& m : methodCatalog()) {
        auto* button = new QRadioButton(m.title, box);
        button->setObjectName(QStringLiteral("method_") + m.name);
        button->setToolTip(tr("finetuning_type: %1").arg(m.name));
        methods_->addButton(button, id++);
        auto* summary = secondaryLabel(m.summary, box);
        summary->setWordWrap(true);
        summary->setContentsMargins(indent, 0, 0, 6);
        summary->setBuddy(button);
        v->addWidget(button);
        v->addWidget(summary);
    }
    v->addStretch();
    connect(methods_, &QButtonGroup::idClicked, this,
            [this](int index) { draft_.setValue(QStringLiteral("finetuning_type"), methodCatalog().at(index).name); });
    return scrolled(box, this);
}

QWidget* MethodPage::buildSettings() {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(6);
    v->addWidget(sectionTitle(tr("Settings"), box));
    settingsForm_ = new QFormLayout;
    settingsForm_->setVerticalSpacing(4);
    settingsForm_->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    rank_ = new QSpinBox(box);
    rank_->setObjectName(QStringLiteral("lora_rank"));
    rank_->setRange(1, 1024);
    rank_->setToolTip(tr("lora_rank: the size of the learned matrices. Higher learns more and costs more; 8 to 64 "
                         "is typical."));
    alpha_ = new QDoubleSpinBox(box);
    alpha_->setObjectName(QStringLiteral("lora_alpha"));
    alpha_->setRange(0, 4096);
    alpha_->setDecimals(1);
    alpha_->setSpecialValueText(tr("2 \u00D7 rank"));
    alpha_->setToolTip(tr("lora_alpha: how strongly the learned change is applied (alpha / rank)"));
    dropout_ = new QDoubleSpinBox(box);
    dropout_->setObjectName(QStringLiteral("lora_dropout"));
    dropout_->setRange(0, 0.9);
    dropout_->setSingleStep(0.05);
    dropout_->setDecimals(2);
    dropout_->setToolTip(tr("lora_dropout: randomly drops adapter inputs while training, against overfitting"));
    virtualTokens_ = new QSpinBox(box);
    virtualTokens_->setObjectName(QStringLiteral("num_virtual_tokens"));
    virtualTokens_->setRange(1, 1024);
    virtualTokens_->setToolTip(tr("num_virtual_tokens: how many virtual words are learned"));
    settingsForm_->addRow(tr("&Rank"), rank_);
    settingsForm_->addRow(tr("&Alpha"), alpha_);
    settingsForm_->addRow(tr("&Dropout"), dropout_);
    settingsForm_->addRow(tr("&Virtual tokens"), virtualTokens_);
    v->addLayout(settingsForm_);
    connect(rank_, &QSpinBox::valueChanged, this,
            [this](int value) { draft_.setValue(QStringLiteral("lora_rank"), QString::number(value)); });
    connect(alpha_, &QDoubleSpinBox::valueChanged, this,
            [this](double value) { draft_.setValue(QStringLiteral("lora_alpha"), QString::number(value)); });
    connect(dropout_, &QDoubleSpinBox::valueChanged, this,
            [this](double value) { draft_.setValue(QStringLiteral("lora_dropout"), QString::number(value)); });
    connect(virtualTokens_, &QSpinBox::valueChanged, this,
            [this](int value) { draft_.setValue(QStringLiteral("num_virtual_tokens"), QString::number(value)); });

    targetsBox_ = new QWidget(box);
    auto* tv = new QVBoxLayout(targetsBox_);
    tv->setContentsMargins(0, 8, 0, 0);
    tv->setSpacing(4);
    tv->addWidget(sectionTitle(tr("Target modules"), targetsBox_));
    targets_ = new TargetModuleList(targetsBox_);
    tv->addWidget(targets_);
    targetsNote_ = secondaryLabel({}, targetsBox_);
    targetsNote_->setObjectName(QStringLiteral("targetsNote"));
    targetsNote_->setWordWrap(true);
    tv->addWidget(targetsNote_);
    v->addWidget(targetsBox_);
    connect(targets_, &TargetModuleList::targetChanged, this, &MethodPage::writeTargets);
    return box;
}

QWidget* MethodPage::buildSummary() {
    auto* box = new QWidget(this);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 8, 0, 0);
    v->setSpacing(4);
    v->addWidget(sectionTitle(tr("What you will train"), box));
    trainable_ = new QLabel(box);
    trainable_->setObjectName(QStringLiteral("trainable"));
    QFont big = trainable_->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    trainable_->setFont(big);
    percent_ = secondaryLabel({}, box);
    percent_->setObjectName(QStringLiteral("trainable_percent"));
    adapterSize_ = new QLabel(box);
    adapterSize_->setObjectName(QStringLiteral("adapter_size"));
    problem_ = new QLabel(box);
    problem_->setObjectName(QStringLiteral("methodProblem"));
    problem_->setWordWrap(true);
    problem_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    problem_->hide();
    for (QLabel* label : {trainable_, adapterSize_})
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(trainable_);
    v->addWidget(percent_);
    v->addWidget(adapterSize_);
    v->addWidget(problem_);
    v->addSpacing(10);
    v->addWidget(sectionTitle(tr("Training memory"), box));
    memory_ = new MemoryEstimateView(box);
    v->addWidget(memory_);
    return box;
}

QRadioButton* MethodPage::methodButton(const QString& name) const {
    return findChild<QRadioButton*>(QStringLiteral("method_") + name);
}

QString MethodPage::summaryText(const QString& key) const {
    const QLabel* label = findChild<QLabel*>(key);
    return label ? label->text() : QString();
}

bool MethodPage::isSettingVisible(const QString& key) const {
    const QWidget* field = findChild<QWidget*>(key);
    return field && settingsForm_->isRowVisible(const_cast<QWidget*>(field));
}

void MethodPage::onDraftChanged() {
    syncWidgets();
    scheduleEstimate();
}

void MethodPage::syncWidgets() {
    const ps::RunConfig& c = draft_.config();
    const QString name = toQ(c.finetuning_type);
    const MethodDescription* m = findMethod(name);
    if (QRadioButton* button = methodButton(name); button && !button->isChecked())
        button->setChecked(true);
    const QSignalBlocker b1(rank_), b2(alpha_), b3(dropout_), b4(virtualTokens_);
    rank_->setValue(static_cast<int>(c.lora_rank));
    alpha_->setValue(c.lora_alpha);
    dropout_->setValue(c.lora_dropout);
    virtualTokens_->setValue(static_cast<int>(c.num_virtual_tokens));
    settingsForm_->setRowVisible(rank_, m && m->rank);
    settingsForm_->setRowVisible(alpha_, m && m->alpha);
    settingsForm_->setRowVisible(dropout_, m && m->dropout);
    settingsForm_->setRowVisible(virtualTokens_, m && m->virtualTokens);
    targetsBox_->setVisible(m && m->targets);
}

void MethodPage::writeTargets(const QString& value) {
    if (value.isEmpty()) {
        targetsNote_->setText(tr("Check at least one module: the method needs somewhere to learn."));
        return;
    }
    // For IA3 "all" means peft's default targets, so every module is written out by name.
    const bool ia3 = draft_.config().finetuning_type == "ia3";
    draft_.setValue(QStringLiteral("lora_target"),
                    ia3 && value == QLatin1String("all") ? targets_->checkedModules().join(QLatin1Char(',')) : value);
}

bool MethodPage::debounce_active() const {
    return debounce_->isActive();
}

void MethodPage::updateBusy() {
    const bool busy = isBusy();
    if (busy != busy_) {
        busy_ = busy;
        Q_EMIT busyChanged(busy);
    }
}

void MethodPage::scheduleEstimate() {
    debounce_->start();
    updateBusy();
}

void MethodPage::startEstimate() {
    const ps::RunConfig config = draft_.config();
    std::optional<ps::ModelInfo> known;
    if (model_ && model_->path == config.model_name_or_path)
        known = model_;
    const int generation = ++generation_;
    auto* watcher = new QFutureWatcher<MethodEstimate>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == generation_)
            applyEstimate(watcher->result());
        --jobs_;
        updateBusy();
    });
    ++jobs_;
    updateBusy();
    watcher->setFuture(QtConcurrent::run(&estimateMethod, config, known));
}

void MethodPage::applyEstimate(const MethodEstimate& result) {
    estimate_ = result;
    const QLocale locale;
    problem_->hide();
    if (!result.model) {
        model_.reset();
        targets_->setModules({}, {});
        targetsNote_->setText(result.modelError);
        trainable_->setText(QStringLiteral("\u2014"));
        percent_->setText(result.modelError);
        adapterSize_->clear();
        memory_->clear(tr("Choose a base model to estimate the memory training needs."));
        return;
    }
    model_ = result.model;
    model_->path = result.config.model_name_or_path; // the key the cache is looked up by
    QStringList modules;
    for (const std::string& name : result.model->linearModules)
        modules << toQ(name);
    targets_->setModules(modules, toQ(result.model->modelType));
    if (!result.counted) {
        trainable_->setText(QStringLiteral("\u2014"));
        percent_->clear();
        adapterSize_->clear();
        problem_->setText(result.methodError);
        problem_->show();
        targetsNote_->setText(tr("The targets do not fit this model: check at least one module."));
        memory_->clear(tr("No estimate until the method fits the model."));
        return;
    }
    QStringList paths;
    for (const std::string& p : result.count.targetPaths)
        paths << toQ(p);
    targets_->showTargets(paths);
    const bool full = result.config.finetuning_type == "full";
    targetsNote_->setText(
        tr("%1 projections adapted in %2 layers.").arg(paths.size()).arg(result.model->numLayers) +
        (result.count.warnings.empty() ? QString() : QLatin1Char(' ') + toQ(result.count.warnings.front())));
    trainable_->setText(
        tr("%1 trainable parameters").arg(locale.toString(static_cast<qlonglong>(result.count.trainable))));
    const double share = result.count.total > 0 ? 100.0 * static_cast<double>(result.count.trainable) /
                                                      static_cast<double>(result.count.total)
                                                : 0.0;
    percent_->setText(
        tr("%1 % of the %2 parameters of the adapted model")
            .arg(locale.toString(share, 'f', share < 0.1 ? 3 : 2), toQ(ps::formatParameterCount(result.count.total))));
    adapterSize_->setText(
        full ? tr("Writes a full model: %1 of weights (%2)")
                   .arg(toQ(ps::formatByteSize(result.file.bytes)), toQ(result.file.fileName))
             : tr("Adapter file: %1 (%2)").arg(toQ(ps::formatByteSize(result.file.bytes)), toQ(result.file.fileName)));
    memory_->setEstimate(result.memory, result.config);
}

} // namespace ps::ui
