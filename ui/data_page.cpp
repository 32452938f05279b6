#include "data_page.h"

#include "column_mapping_editor.h"
#include "data_analyzer.h"
#include "dataset_stats_view.h"
#include "elided_label.h"
#include "error_banner.h"
#include "example_view.h"
#include "glyph_icons.h"
#include "page_header.h"
#include "qt_convert.h"
#include "record_table_model.h"
#include "run_draft.h"
#include "token_length_histogram.h"

#include "ps/chat_template.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace ps::ui {
namespace {

const QStringList kSourceKeys = {QStringLiteral("dataset"), QStringLiteral("dataset_format"),
                                 QStringLiteral("dataset_columns")};
const QStringList kTokenKeys = {QStringLiteral("model_name_or_path"), QStringLiteral("template"),
                                QStringLiteral("cutoff_len"), QStringLiteral("train_on_prompt")};

bool intersects(const QStringList& a, const QStringList& b) {
    for (const QString& s : a)
        if (b.contains(s))
            return true;
    return false;
}

} // namespace

DataPage::DataPage(RunDraft& draft, QWidget* parent) : QWidget(parent), draft_(draft) {
    analyzer_ = new DataAnalyzer(this);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(250); // typing a cutoff restarts tokenizing once, not per key
    records_ = new RecordTableModel(this);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 12);
    layout->setSpacing(4);
    addPageHeader(layout, tr("Training data"),
                  tr("Open the examples to train on: see their layout, what the model reads and which tokens it "
                     "learns from, and split off a validation set."),
                  this);
    layout->addSpacing(10);
    layout->addLayout(buildFileRow());
    layout->addLayout(buildFormatRow());
    notes_ = secondaryLabel({}, this);
    notes_->setObjectName(QStringLiteral("dataNotes"));
    notes_->setWordWrap(true);
    notes_->hide();
    layout->addWidget(notes_);
    banner_ = new ErrorBanner(this);
    layout->addWidget(banner_);
    layout->addSpacing(4);

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("recordTable"));
    table_->setModel(records_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->setShowGrid(false);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 10);
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setStretchLastSection(false);
    example_ = new ExampleView(this);
    auto* left = new QSplitter(Qt::Vertical, this);
    left->setChildrenCollapsible(false);
    left->addWidget(table_);
    left->addWidget(example_);
    left->setSizes({300, 200});
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    split->addWidget(left);
    split->addWidget(buildSidePanel());
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 0);
    layout->addWidget(split, 1);
    layout->addSpacing(4);
    layout->addLayout(buildFooter());

    connect(&draft_, &RunDraft::changed, this, &DataPage::onDraftChanged);
    connect(debounce_, &QTimer::timeout, this, &DataPage::startAnalysis);
    connect(analyzer_, &DataAnalyzer::finished, this, &DataPage::applyAnalysis);
    connect(analyzer_, &DataAnalyzer::busyChanged, this, &DataPage::updateBusy);
    connect(analyzer_, &DataAnalyzer::progress, this, [this](int value) {
        progress_->setRange(0, 1000);
        progress_->setValue(value);
    });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { onPreviewRowChanged(current.row()); });
    connect(columns_, &ColumnMappingEditor::mappingChanged, this,
            [this](const QString& text) { draft_.setValue(QStringLiteral("dataset_columns"), text); });
    syncWidgets();
    reopenPreview();
    scheduleAnalysis();
}

DataPage::~DataPage() = default;

QLayout* DataPage::buildFileRow() {
    auto* row = new QHBoxLayout;
    path_ = new ElidedLabel(this);
    path_->setObjectName(QStringLiteral("datasetPath"));
    auto* open = new QPushButton(glyphIcon(Glyph::Folder), tr("Open File\u2026"), this);
    open->setToolTip(tr("Open a dataset: JSON Lines, JSON, CSV, TSV or plain text"));
    connect(open, &QPushButton::clicked, this, &DataPage::chooseFile);
    reload_ = new QPushButton(glyphIcon(Glyph::Refresh), tr("Reload"), this);
    reload_->setToolTip(tr("Read the file again (after you fixed it in an editor)"));
    connect(reload_, &QPushButton::clicked, this, &DataPage::reload);
    row->addWidget(path_, 1);
    row->addWidget(reload_);
    row->addWidget(open);
    return row;
}

QLayout* DataPage::buildFormatRow() {
    auto* row = new QHBoxLayout;
    format_ = new QComboBox(this);
    format_->setObjectName(QStringLiteral("datasetFormat"));
    const QList<QPair<QString, QString>> formats = {
        {QStringLiteral("auto"), tr("Detect automatically")},
        {QStringLiteral("alpaca"), tr("Alpaca (instruction, input, output)")},
        {QStringLiteral("sharegpt"), tr("ShareGPT (conversations)")},
        {QStringLiteral("messages"), tr("OpenAI messages")},
        {QStringLiteral("prompt_completion"), tr("Prompt and completion")},
        {QStringLiteral("text"), tr("Plain text")}};
    for (const auto& [name, label] : formats)
        format_->addItem(label, name);
    template_ = new QComboBox(this);
    template_->setObjectName(QStringLiteral("chatTemplate"));
    template_->addItem(tr("The model's own"), QStringLiteral("auto"));
    for (const std::string& family : ps::chatFamilyNames())
        template_->addItem(toQ(family), toQ(family));
    template_->setToolTip(tr("How conversations are turned into text: the model's chat template, or a named one"));
    detected_ = new QLabel(this);
    detected_->setObjectName(QStringLiteral("detectedFormat"));
    detected_->setWordWrap(true);
    detected_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* formatLabel = new QLabel(tr("&Format"), this);
    formatLabel->setBuddy(format_);
    auto* templateLabel = new QLabel(tr("&Template"), this);
    templateLabel->setBuddy(template_);
    row->addWidget(formatLabel);
    row->addWidget(format_);
    row->addSpacing(8);
    row->addWidget(detected_, 1);
    row->addSpacing(8);
    row->addWidget(templateLabel);
    row->addWidget(template_);
    connect(format_, &QComboBox::activated, this,
            [this] { draft_.setValue(QStringLiteral("dataset_format"), format_->currentData().toString()); });
    connect(template_, &QComboBox::activated, this,
            [this] { draft_.setValue(QStringLiteral("template"), template_->currentData().toString()); });
    return row;
}

QWidget* DataPage::buildSidePanel() {
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* panel = new QWidget(scroll);
    auto* v = new QVBoxLayout(panel);
    v->setContentsMargins(12, 0, 4, 0);
    v->setSpacing(6);

    v->addWidget(sectionTitle(tr("Length and validation"), panel));
    auto* form = new QFormLayout;
    form->setVerticalSpacing(4);
    cutoff_ = new QSpinBox(panel);
    cutoff_->setObjectName(QStringLiteral("cutoffLen"));
    cutoff_->setRange(8, 1 << 20);
    cutoff_->setSingleStep(64);
    cutoff_->setSuffix(tr(" tokens"));
    cutoff_->setToolTip(tr("cutoff_len: longer examples are truncated to this many tokens"));
    valSize_ = new QDoubleSpinBox(panel);
    valSize_->setObjectName(QStringLiteral("valSize"));
    valSize_->setRange(0, 1e6);
    valSize_->setDecimals(2);
    valSize_->setSingleStep(0.05);
    valSize_->setToolTip(tr("val_size: a fraction below 1 (0.1 holds out 10 %), a number of examples, or 0 for none"));
    trainOnPrompt_ = new QCheckBox(tr("Also train on the prompt"), panel);
    trainOnPrompt_->setObjectName(QStringLiteral("trainOnPrompt"));
    trainOnPrompt_->setToolTip(tr("train_on_prompt: by default only the responses are learned"));
    packing_ = new QCheckBox(tr("Pack examples into full rows"), panel);
    packing_->setObjectName(QStringLiteral("packing"));
    packing_->setToolTip(tr("packing: whole examples share rows of cutoff_len tokens, each one attending only to "
                            "itself: no padding, same loss"));
    sharedPrefix_ = new QCheckBox(tr("Compute a shared prompt opening once"), panel);
    sharedPrefix_->setObjectName(QStringLiteral("packingSharedPrefix"));
    sharedPrefix_->setToolTip(tr("packing_shared_prefix: examples that begin with the same prompt tokens (a "
                                 "template's system prompt) read one copy of them, once per row, or once per "
                                 "micro-batch when every example begins with them: same loss, fewer tokens"));
    form->addRow(tr("Cutoff"), cutoff_);
    form->addRow(tr("Validation"), valSize_);
    form->addRow(trainOnPrompt_);
    form->addRow(packing_);
    form->addRow(sharedPrefix_);
    v->addLayout(form);
    connect(packing_, &QCheckBox::toggled, this, [this](bool on) {
        draft_.setValue(QStringLiteral("packing"), on ? QStringLiteral("true") : QStringLiteral("false"));
    });
    connect(sharedPrefix_, &QCheckBox::toggled, this, [this](bool on) {
        draft_.setValue(QStringLiteral("packing_shared_prefix"), on ? QStringLiteral("true") : QStringLiteral("false"));
    });
    connect(cutoff_, &QSpinBox::valueChanged, this,
            [this](int value) { draft_.setValue(QStringLiteral("cutoff_len"), QString::number(value)); });
    connect(valSize_, &QDoubleSpinBox::valueChanged, this,
            [this](double value) { draft_.setValue(QStringLiteral("val_size"), QString::number(value)); });
    connect(trainOnPrompt_, &QCheckBox::toggled, this, [this](bool on) {
        draft_.setValue(QStringLiteral("train_on_prompt"), on ? QStringLiteral("true") : QStringLiteral("false"));
    });
    v->addSpacing(6);

    v->addWidget(sectionTitle(tr("Example lengths"), panel));
    histogram_ = new TokenLengthHistogram(panel);
    v->addWidget(histogram_);
    v->addSpacing(6);
    v->addWidget(sectionTitle(tr("Statistics"), panel));
    stats_ = new DatasetStatsView(panel);
    v->addWidget(stats_);
    v->addSpacing(6);
    // Last: with a detected format the usual names are right and nothing needs mapping.
    v->addWidget(sectionTitle(tr("Columns"), panel));
    columns_ = new ColumnMappingEditor(panel);
    v->addWidget(columns_);
    v->addStretch();
    scroll->setWidget(panel);
    scroll->setMinimumWidth(340);
    return scroll;
}

QLayout* DataPage::buildFooter() {
    auto* footer = new QHBoxLayout;
    status_ = secondaryLabel({}, this);
    status_->setObjectName(QStringLiteral("dataStatus"));
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    progress_ = new QProgressBar(this);
    progress_->setTextVisible(false);
    progress_->setFixedSize(120, 8);
    progress_->hide();
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setObjectName(QStringLiteral("cancelAnalysis"));
    cancel_->hide();
    connect(cancel_, &QPushButton::clicked, this, &DataPage::cancel);
    footer->addWidget(status_, 1);
    footer->addWidget(progress_);
    footer->addWidget(cancel_);
    return footer;
}

QString DataPage::detectedText() const {
    return detected_->text();
}

bool DataPage::isBusy() const {
    return analyzer_->isBusy() || debounce_->isActive();
}

void DataPage::updateBusy() {
    const bool busy = isBusy();
    progress_->setVisible(analyzer_->isBusy());
    cancel_->setVisible(analyzer_->isBusy());
    if (busy == busy_)
        return;
    busy_ = busy;
    Q_EMIT busyChanged(busy);
}

void DataPage::chooseFile() {
    const QString current = draft_.value(QStringLiteral("dataset"));
    const QString start = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath();
    const QString file = QFileDialog::getOpenFileName(this, tr("Open Dataset"), start,
                                                      tr("Datasets (*.jsonl *.json *.csv *.tsv *.txt);;All files (*)"));
    if (!file.isEmpty())
        openFile(file);
}

void DataPage::openFile(const QString& path) {
    draft_.setValue(QStringLiteral("dataset"), QDir::cleanPath(QFileInfo(path).absoluteFilePath()));
}

void DataPage::reload() {
    reopenPreview();
    scheduleAnalysis();
}

void DataPage::cancel() {
    debounce_->stop();
    analyzer_->cancel();
    updateBusy();
}

void DataPage::onDraftChanged(const QStringList& keys) {
    syncWidgets();
    if (intersects(keys, kSourceKeys))
        reopenPreview();
    if (intersects(keys, kSourceKeys) || intersects(keys, kTokenKeys))
        scheduleAnalysis();
    else if (keys.contains(QStringLiteral("val_size")) || keys.contains(QStringLiteral("seed")))
        updateSplit();
}

void DataPage::syncWidgets() {
    const ps::RunConfig& c = draft_.config();
    path_->setFullText(c.dataset.empty() ? tr("No dataset chosen yet") : QDir::toNativeSeparators(toQ(c.dataset)));
    reload_->setEnabled(!c.dataset.empty());
    const QSignalBlocker b1(format_), b2(template_), b3(cutoff_), b4(valSize_), b5(trainOnPrompt_), b6(packing_),
        b7(sharedPrefix_);
    format_->setCurrentIndex(std::max(0, format_->findData(toQ(c.dataset_format))));
    template_->setCurrentIndex(std::max(0, template_->findData(toQ(c.template_))));
    cutoff_->setValue(static_cast<int>(c.cutoff_len));
    valSize_->setValue(c.val_size);
    trainOnPrompt_->setChecked(c.train_on_prompt);
    packing_->setChecked(c.packing);
    sharedPrefix_->setChecked(c.packing_shared_prefix);
    sharedPrefix_->setEnabled(c.packing); // only packed rows share
}

void DataPage::reopenPreview() {
    const ps::RunConfig& c = draft_.config();
    if (c.dataset.empty()) {
        records_->clear();
        return;
    }
    ps::ReadOptions read;
    if (const auto format = ps::dataFormatFromName(c.dataset_format))
        read.format = *format;
    try {
        read.columns = ps::parseColumnMapping(c.dataset_columns, "dataset_columns");
    } catch (const ps::Error&) {
        // The analysis reports the mapping error with advice; preview with the usual names.
    }
    records_->open(toQ(c.dataset), read);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->resizeColumnToContents(0);
    // Conversations: system and turn count narrow, prompt and response share the rest.
    const bool conversation = records_->kind() == ps::RecordKind::Conversation;
    const int columns = records_->columnCount();
    for (int col = 1; col < columns; ++col) {
        const bool narrow = conversation && (col == 1 || col == columns - 1);
        table_->horizontalHeader()->setSectionResizeMode(col, narrow ? QHeaderView::Interactive : QHeaderView::Stretch);
    }
    if (conversation) {
        table_->setColumnWidth(1, table_->fontMetrics().horizontalAdvance(QStringLiteral("System prompt text")));
        table_->resizeColumnToContents(columns - 1);
    }
}

void DataPage::scheduleAnalysis() {
    if (draft_.config().dataset.empty()) {
        debounce_->stop();
        analysis_ = {};
        detected_->setText(tr("Open a JSON Lines, JSON, CSV or text file with your examples."));
        example_->showMessage(tr("Open a dataset to see an example."));
        stats_->clear();
        histogram_->clear();
        columns_->clear();
        updateBusy();
        return;
    }
    debounce_->start();
    status_->setText(tr("Reading\u2026"));
    updateBusy();
}

void DataPage::startAnalysis() {
    const ps::RunConfig& c = draft_.config();
    DataRequest request;
    request.path = toQ(c.dataset);
    request.modelDir = toQ(c.model_name_or_path);
    request.format = toQ(c.dataset_format);
    request.columns = toQ(c.dataset_columns);
    request.templateName = toQ(c.template_);
    request.cutoffLen = static_cast<int>(c.cutoff_len);
    request.trainOnPrompt = c.train_on_prompt;
    progress_->setRange(0, 0);
    status_->setText(request.modelDir.isEmpty()
                         ? tr("Reading %1\u2026").arg(QFileInfo(request.path).fileName())
                         : tr("Reading and tokenizing %1\u2026").arg(QFileInfo(request.path).fileName()));
    analyzer_->start(request);
    updateBusy();
}

} // namespace ps::ui
