#include "export_page.h"

#include "adapter_picker.h"
#include "compat_report_view.h"
#include "error_banner.h"
#include "page_header.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ps::ui {

ExportPage::ExportPage(QWidget* parent) : QWidget(parent) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    outer->addWidget(scroll);
    auto* content = new QWidget(scroll);
    scroll->setWidget(content);
    auto* v = new QVBoxLayout(content);
    v->setContentsMargins(24, 20, 24, 20);
    v->setSpacing(12);
    addPageHeader(v, tr("Export"),
                  tr("Save an adapter for Hugging Face PEFT, as a merged model for transformers and vLLM, or as a "
                     "GGUF LoRA for llama.cpp and Ollama. The report below says which runtimes will load it "
                     "before anything is written."),
                  content);
    error_ = new ErrorBanner(content);
    v->addWidget(error_);
    v->addWidget(buildForm());
    report_ = new CompatReportView(content);
    v->addWidget(report_);

    auto* actions = new QHBoxLayout;
    export_ = new QPushButton(tr("Export"), content);
    export_->setDefault(true);
    busy_ = new QProgressBar(content);
    busy_->setRange(0, 0); // busy indicator: how long an export takes is not known in advance
    busy_->setMaximumWidth(160);
    busy_->setTextVisible(false);
    busy_->hide();
    busyLabel_ = secondaryLabel(QString(), content);
    actions->addWidget(export_);
    actions->addWidget(busy_);
    actions->addWidget(busyLabel_, 1);
    v->addLayout(actions);
    v->addWidget(buildResult());
    v->addStretch(1);

    confirm_ = [this](const QString& path) {
        return QMessageBox::question(
                   this, tr("Replace existing export?"),
                   tr("%1 already exists. Replace it with this export?").arg(QDir::toNativeSeparators(path)),
                   QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Yes;
    };
    connect(export_, &QPushButton::clicked, this, &ExportPage::startExport);
    connect(picker_, &AdapterPicker::currentChanged, this, [this] {
        if (!baseEdited_)
            base_->clear(); // the check fills in the run's model
        outEdited_ = false; // a new source gets its own default output path
        recheck();
    });
    connect(picker_, &AdapterPicker::loadingChanged, this, [this] { Q_EMIT busyChanged(isBusy()); });
    connect(base_, &QLineEdit::editingFinished, this, [this] {
        baseEdited_ = !base_->text().isEmpty();
        recheck();
    });
    connect(out_, &QLineEdit::textEdited, this, [this] { outEdited_ = true; });
    connect(format_, qOverload<int>(&QComboBox::currentIndexChanged), this, &ExportPage::updateFormatDependents);
    updateFormatDependents();
    picker_->reload();
}

QWidget* ExportPage::buildForm() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout(box);
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    picker_ = new AdapterPicker(box);
    form->addRow(tr("&Adapter:"), picker_);

    base_ = new QLineEdit(box);
    base_->setPlaceholderText(tr("The model folder the adapter was trained on"));
    form->addRow(tr("&Base model:"), baseModelRow(base_, box));
    format_ = new QComboBox(box);
    format_->addItem(tr("PEFT adapter \u2014 peft, transformers, vLLM"), static_cast<int>(ExportFormat::Peft));
    format_->addItem(tr("Merged model \u2014 a full Hugging Face model folder"),
                     static_cast<int>(ExportFormat::Merged));
    format_->addItem(tr("GGUF LoRA \u2014 llama.cpp and Ollama"), static_cast<int>(ExportFormat::Gguf));
    form->addRow(tr("&Format:"), format_);
    dtype_ = new QComboBox(box);
    form->addRow(tr("&Data type:"), dtype_);
    out_ = new QLineEdit(box);
    form->addRow(
        tr("&Output:"), pathRow(out_, tr("Choose where to write the export"), [this] {
            if (currentFormat() == ExportFormat::Gguf)
                return QFileDialog::getSaveFileName(this, tr("GGUF file"), out_->text(), tr("GGUF files (*.gguf)"));
            return QFileDialog::getExistingDirectory(this, tr("Output folder"), QFileInfo(out_->text()).absolutePath());
        }, box));
    return box;
}

QWidget* ExportPage::buildResult() {
    result_ = new QFrame(this);
    static_cast<QFrame*>(result_)->setFrameShape(QFrame::StyledPanel);
    auto* v = new QVBoxLayout(result_);
    resultTitle_ = new QLabel(result_);
    resultTitle_->setWordWrap(true);
    resultTitle_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    files_ = new QListWidget(result_);
    files_->setMaximumHeight(120);
    openFolder_ = new QPushButton(tr("Open folder"), result_);
    auto* h = new QHBoxLayout;
    h->addStretch(1);
    h->addWidget(openFolder_);
    v->addWidget(resultTitle_);
    v->addWidget(files_);
    v->addLayout(h);
    connect(openFolder_, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(lastOutDir_)); });
    result_->hide();
    return result_;
}

ExportFormat ExportPage::currentFormat() const {
    return static_cast<ExportFormat>(format_->currentData().toInt());
}

void ExportPage::setSource(const QString& path) {
    picker_->setCurrentPath(path);
}

void ExportPage::setBaseDir(const QString& dir) {
    base_->setText(dir);
    baseEdited_ = !dir.isEmpty();
    recheck();
}

void ExportPage::setFormat(ExportFormat format) {
    format_->setCurrentIndex(format_->findData(static_cast<int>(format)));
}

void ExportPage::setOutputPath(const QString& path) {
    out_->setText(path);
    outEdited_ = true;
}

bool ExportPage::isBusy() const {
    return checksRunning_ > 0 || exporting_ || picker_->isLoading();
}

void ExportPage::updateFormatDependents() {
    const ExportFormat f = currentFormat();
    {
        const QSignalBlocker block(dtype_);
        dtype_->clear();
        switch (f) {
        case ExportFormat::Peft:
            dtype_->addItem(tr("As trained (the adapter's own tensors)"), QString());
            break;
        case ExportFormat::Merged:
            dtype_->addItem(tr("Same as the base model"), QString());
            dtype_->addItem(QStringLiteral("float32"), QStringLiteral("f32"));
            dtype_->addItem(QStringLiteral("float16"), QStringLiteral("f16"));
            dtype_->addItem(QStringLiteral("bfloat16"), QStringLiteral("bf16"));
            break;
        case ExportFormat::Gguf:
            dtype_->addItem(QStringLiteral("float32"), QStringLiteral("f32"));
            dtype_->addItem(tr("float16 (half the size)"), QStringLiteral("f16"));
            break;
        }
        dtype_->setEnabled(dtype_->count() > 1);
    }
    if (!outEdited_ && check_.report)
        out_->setText(QDir::toNativeSeparators(
            defaultExportPath(check_.runDir, QString::fromStdString(check_.report->adapterDir), check_.name, f)));
    if (check_.report)
        report_->setReport(*check_.report, targetRuntime(f));
    updateExportButton();
}

void ExportPage::recheck() {
    const QString source = picker_->currentPath();
    result_->hide();
    error_->clear();
    if (source.isEmpty()) {
        check_ = {};
        report_->showMessage(tr("Choose an adapter to see which runtimes will load it."));
        updateExportButton();
        return;
    }
    report_->showMessage(tr("Checking the adapter\u2026"));
    const int serial = ++checkSerial_;
    ++checksRunning_;
    setWorking(true, exporting_);
    auto* watcher = new QFutureWatcher<SourceCheck>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, serial] {
        watcher->deleteLater();
        --checksRunning_;
        if (serial == checkSerial_)
            applyCheck(watcher->result());
        setWorking(checksRunning_ > 0, exporting_);
    });
    watcher->setFuture(QtConcurrent::run(&checkExportSource, source, QDir::fromNativeSeparators(base_->text())));
}

void ExportPage::applyCheck(const SourceCheck& check) {
    check_ = check;
    if (!check.report) {
        report_->showMessage(check.error);
        updateExportButton();
        return;
    }
    if (base_->text().isEmpty() && !check.baseHint.isEmpty())
        base_->setText(check.baseHint);
    updateFormatDependents(); // output path and the report with this format's runtime marked
}

void ExportPage::updateExportButton() {
    const bool ready = check_.report && checksRunning_ == 0 && !out_->text().isEmpty() && !exporting_;
    export_->setEnabled(ready);
    export_->setToolTip(ready ? QString() : tr("Choose an adapter and an output path first"));
}

void ExportPage::setWorking(bool checking, bool exporting) {
    busy_->setVisible(checking || exporting);
    busyLabel_->setText(exporting ? tr("Exporting\u2026") : checking ? tr("Checking\u2026") : QString());
    updateExportButton();
    Q_EMIT busyChanged(isBusy());
}

bool ExportPage::startExport() {
    if (exporting_ || !check_.report)
        return false;
    ExportRequest r;
    r.source = check_.source;
    r.baseDir = QDir::fromNativeSeparators(base_->text().trimmed());
    r.outPath = QDir::fromNativeSeparators(out_->text().trimmed());
    r.format = currentFormat();
    r.dtype = dtype_->currentData().toString();
    if (r.format == ExportFormat::Gguf && r.dtype.isEmpty())
        r.dtype = QStringLiteral("f32");
    if (r.outPath.isEmpty())
        return false;
    if (r.baseDir.isEmpty()) {
        error_->showError(tr("No base model"), tr("The export loads the adapter onto its base model to check it."),
                          tr("Choose the base model folder the adapter was trained on."));
        return false;
    }
    if (exportTargetExists(r.outPath, r.format, check_.name)) {
        if (!confirm_(r.outPath)) {
            Q_EMIT statusMessage(tr("Export cancelled: %1 was kept").arg(QDir::toNativeSeparators(r.outPath)));
            return false;
        }
        r.overwrite = true;
    }
    error_->clear();
    result_->hide();
    exporting_ = true;
    setWorking(checksRunning_ > 0, true);
    auto* watcher = new QFutureWatcher<ExportOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        exporting_ = false;
        applyOutcome(watcher->result());
        setWorking(checksRunning_ > 0, false);
    });
    watcher->setFuture(QtConcurrent::run(&runExport, r));
    return true;
}

void ExportPage::applyOutcome(const ExportOutcome& outcome) {
    if (!outcome.ok) {
        error_->showError(tr("Export failed"), outcome.error, outcome.advice);
        Q_EMIT exportFinished(false);
        return;
    }
    lastOutDir_ = outcome.outDir;
    resultTitle_->setText(
        tr("<b>Exported</b> %1 to %2")
            .arg(outcome.summary.toHtmlEscaped(), QDir::toNativeSeparators(outcome.outDir).toHtmlEscaped()));
    files_->clear();
    for (const auto& f : outcome.files)
        files_->addItem(QDir::toNativeSeparators(f));
    result_->show();
    Q_EMIT statusMessage(tr("Exported to %1").arg(QDir::toNativeSeparators(outcome.outDir)));
    Q_EMIT exportFinished(true);
}

} // namespace ps::ui
