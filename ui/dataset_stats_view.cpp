#include "dataset_stats_view.h"

#include "page_header.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>

namespace ps::ui {
namespace {

const QString kDash = QStringLiteral("\u2014");

QString count(std::int64_t n) {
    return QLocale().toString(static_cast<qlonglong>(n));
}

} // namespace

DatasetStatsView::DatasetStatsView(QWidget* parent) : QWidget(parent) {
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(4);
    int row = 0;
    addValue(grid, row, 0, QStringLiteral("records"), tr("Records"));
    addValue(grid, row++, 1, QStringLiteral("skipped"), tr("Bad records"));
    addValue(grid, row, 0, QStringLiteral("examples"), tr("Examples"));
    addValue(grid, row++, 1, QStringLiteral("truncated"), tr("Truncated"));
    addValue(grid, row, 0, QStringLiteral("tokens"), tr("Tokens"));
    addValue(grid, row++, 1, QStringLiteral("trained_tokens"), tr("Trained tokens"));
    addValue(grid, row, 0, QStringLiteral("length_min"), tr("Shortest"));
    addValue(grid, row++, 1, QStringLiteral("length_max"), tr("Longest"));
    addValue(grid, row, 0, QStringLiteral("length_mean"), tr("Mean"));
    addValue(grid, row++, 1, QStringLiteral("length_p50"), tr("Median"));
    addValue(grid, row, 0, QStringLiteral("length_p95"), tr("95th percentile"));
    addValue(grid, row++, 1, QStringLiteral("dropped"), tr("Nothing to train"));
    addValue(grid, row, 0, QStringLiteral("train_examples"), tr("Training"));
    addValue(grid, row++, 1, QStringLiteral("validation_examples"), tr("Validation"));
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    values_.value(QStringLiteral("dropped"))
        ->setToolTip(tr("Examples left without any trained token after truncation; training skips them."));
    values_.value(QStringLiteral("truncated"))->setToolTip(tr("Examples cut at cutoff_len."));
    values_.value(QStringLiteral("skipped"))
        ->setToolTip(tr("Records that could not be read; training stops at the first one until it is fixed."));
    clear();
}

void DatasetStatsView::addValue(QGridLayout* grid, int row, int column, const QString& key, const QString& label) {
    auto* name = secondaryLabel(label, this);
    auto* value = new QLabel(this);
    value->setObjectName(key);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    name->setBuddy(value);
    grid->addWidget(name, row, 2 * column);
    grid->addWidget(value, row, 2 * column + 1);
    values_.insert(key, value);
}

void DatasetStatsView::set(const QString& key, const QString& text) {
    if (QLabel* label = values_.value(key))
        label->setText(text);
}

QString DatasetStatsView::valueText(const QString& key) const {
    const QLabel* label = values_.value(key);
    return label ? label->text() : QString();
}

void DatasetStatsView::clear() {
    for (QLabel* label : std::as_const(values_))
        label->setText(kDash);
}

void DatasetStatsView::setInfo(const ps::DatasetInfo& info) {
    clear();
    set(QStringLiteral("records"), count(info.numRecords));
    set(QStringLiteral("skipped"), count(info.numSkipped));
}

void DatasetStatsView::setStats(const ps::DatasetStats& s) {
    set(QStringLiteral("records"), count(s.numRecords));
    set(QStringLiteral("skipped"), count(s.numSkipped));
    set(QStringLiteral("examples"), count(s.numExamples));
    set(QStringLiteral("truncated"), count(s.numTruncated));
    set(QStringLiteral("dropped"), count(s.numDropped));
    set(QStringLiteral("tokens"), count(s.numTokens));
    set(QStringLiteral("trained_tokens"), count(s.numTrainedTokens));
    const bool any = s.numExamples > 0;
    set(QStringLiteral("length_min"), any ? count(s.length.min) : kDash);
    set(QStringLiteral("length_max"), any ? count(s.length.max) : kDash);
    set(QStringLiteral("length_mean"), any ? QLocale().toString(s.length.mean, 'f', 1) : kDash);
    set(QStringLiteral("length_p50"), any ? count(s.length.p50) : kDash);
    set(QStringLiteral("length_p95"), any ? count(s.length.p95) : kDash);
}

void DatasetStatsView::setSplit(std::int64_t train, std::int64_t validation, const QString& error) {
    QLabel* trainLabel = values_.value(QStringLiteral("train_examples"));
    if (!error.isEmpty()) {
        trainLabel->setText(tr("not possible"));
        trainLabel->setToolTip(error);
        set(QStringLiteral("validation_examples"), kDash);
        return;
    }
    trainLabel->setToolTip({});
    set(QStringLiteral("train_examples"), count(train));
    set(QStringLiteral("validation_examples"), count(validation));
}

} // namespace ps::ui
