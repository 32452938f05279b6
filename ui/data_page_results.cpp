// DataPage: showing an analysis — detected format, problems, statistics, lengths, the example and
// the split. (data_page.cpp builds the page and keeps it in step with the draft.)
#include "column_mapping_editor.h"
#include "data_page.h"
#include "dataset_stats_view.h"
#include "error_banner.h"
#include "example_view.h"
#include "qt_convert.h"
#include "record_table_model.h"
#include "run_draft.h"
#include "token_length_histogram.h"

#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QTableView>

namespace ps::ui {

void DataPage::applyAnalysis(const DataAnalysis& result) {
    analysis_ = result;
    banner_->clear();
    notes_->hide();
    const QLocale locale;
    if (result.cancelled) {
        status_->setText(tr("Stopped. Press Reload to read the file again."));
        return;
    }
    const QString file = QFileInfo(result.request.path).fileName();
    if (!result.error.isEmpty()) {
        banner_->showError(tr("%1 cannot be used as training data").arg(file), result.error, result.advice);
        detected_->setText(result.hasInfo ? tr("Format: %1").arg(toQ(ps::dataFormatName(result.info.format)))
                                          : tr("Format not recognised"));
        example_->showMessage(tr("No example: the file could not be read."));
        stats_->clear();
        histogram_->clear();
        status_->setText(tr("Could not read %1.").arg(file));
        return;
    }
    const ps::DatasetInfo& info = result.info;
    const QString format = toQ(ps::dataFormatName(info.format));
    const QString reason = toQ(info.formatReason);
    detected_->setText(result.request.format == QLatin1String("auto")
                           ? tr("Detected <b>%1</b> \u2014 %2").arg(format, reason.toHtmlEscaped())
                           : tr("Reading as <b>%1</b> \u2014 %2").arg(format, reason.toHtmlEscaped()));
    QStringList fields;
    for (const std::string& f : info.fields)
        fields << toQ(f);
    columns_->setFormat(info.format, fields, result.request.columns);
    showIssues(result);

    if (!result.data) {
        stats_->setInfo(info);
        histogram_->clear();
        example_->showMessage(result.tokenizerNote);
        updateSplit();
        status_->setText(tr("%1: %2 records").arg(file, locale.toString(static_cast<qlonglong>(info.numRecords))));
        return;
    }
    const ps::TokenizedDataset& data = *result.data;
    stats_->setStats(data.stats());
    std::vector<std::int64_t> lengths(data.size());
    for (std::size_t i = 0; i < data.size(); ++i)
        lengths[i] = data.length(i);
    histogram_->setLengths(std::move(lengths), result.request.cutoffLen);
    example_->setDataset(data, result.tokenizer);
    if (!data.warnings().empty()) {
        QStringList warnings;
        for (const std::string& w : data.warnings())
            warnings << toQ(w);
        notes_->setText(tr("Chat template: %1").arg(warnings.join(QStringLiteral("; "))));
        notes_->show();
    }
    updateSplit();
    status_->setText(tr("%1: %2 examples, %3 tokens, template %4")
                         .arg(file, locale.toString(static_cast<qlonglong>(data.stats().numExamples)),
                              locale.toString(static_cast<qlonglong>(data.stats().numTokens)),
                              toQ(ps::chatFamilyName(data.chatFamily()))));
}

void DataPage::showIssues(const DataAnalysis& result) {
    const ps::DatasetInfo& info = result.info;
    if (info.numSkipped == 0)
        return;
    QStringList lines;
    for (const ps::DataIssue& issue : info.issues)
        lines << toQ(issue.describe());
    if (info.numSkipped > static_cast<std::int64_t>(info.issues.size()))
        lines << tr("\u2026 and %1 more").arg(info.numSkipped - static_cast<std::int64_t>(info.issues.size()));
    const QString title = info.numSkipped == info.numRecords
                              ? tr("None of the %1 records can be read as %2")
                                    .arg(info.numRecords)
                                    .arg(toQ(ps::dataFormatName(info.format)))
                              : tr("%1 of %2 records cannot be read").arg(info.numSkipped).arg(info.numRecords);
    const QString advice =
        info.numSkipped == info.numRecords
            ? tr("Choose the format and the columns that match your file.")
            : tr("Training stops at the first bad record. Fix or delete these lines in an editor, then press Reload. "
                 "The numbers below leave them out.");
    banner_->showError(title, lines.join(QLatin1Char('\n')), advice);
}

void DataPage::updateSplit() {
    if (!analysis_.data) {
        stats_->setSplit(0, 0, tr("Needs the model's tokenizer"));
        return;
    }
    const ps::RunConfig& c = draft_.config();
    try {
        const ps::DataSplit split =
            ps::splitTrainValidation(analysis_.data->size(), c.val_size, static_cast<std::uint64_t>(c.seed));
        stats_->setSplit(static_cast<std::int64_t>(split.train.size()),
                         static_cast<std::int64_t>(split.validation.size()));
    } catch (const ps::Error& e) {
        stats_->setSplit(0, 0, toQ(e.what()));
    }
}

void DataPage::onPreviewRowChanged(int row) {
    if (!analysis_.data || row < 0)
        return;
    // Records and examples correspond one to one unless records were skipped, split (long
    // texts) or dropped (nothing left to train after truncation).
    const ps::DatasetStats& s = analysis_.data->stats();
    if (s.numSkipped == 0 && s.numDropped == 0 && s.numExamples == s.numRecords)
        example_->showExample(row);
}

} // namespace ps::ui
