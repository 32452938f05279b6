#include "example_view.h"

#include "page_header.h"
#include "qt_convert.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QSpinBox>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>

namespace ps::ui {
namespace {

constexpr std::int32_t kIgnoreIndex = -100;

QColor blend(const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(static_cast<float>(a.redF() * (1 - t) + b.redF() * t),
                            static_cast<float>(a.greenF() * (1 - t) + b.greenF() * t),
                            static_cast<float>(a.blueF() * (1 - t) + b.blueF() * t));
}

// A small square of `color` for the legend.
QPixmap swatch(const QColor& color, const QColor& border, int side) {
    QPixmap pm(side, side);
    pm.fill(color);
    QPainter p(&pm);
    p.setPen(border);
    p.drawRect(0, 0, side - 1, side - 1);
    return pm;
}

} // namespace

ExampleView::ExampleView(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    auto* header = new QHBoxLayout;
    title_ = sectionTitle(tr("Example"), this);
    index_ = new QSpinBox(this);
    index_->setObjectName(QStringLiteral("exampleIndex"));
    index_->setAccessibleName(tr("Example number"));
    index_->setRange(1, 1);
    index_->setEnabled(false);
    of_ = secondaryLabel({}, this);
    counts_ = secondaryLabel({}, this);
    counts_->setObjectName(QStringLiteral("exampleCounts"));
    counts_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // never widens the page
    header->addWidget(title_);
    header->addWidget(index_);
    header->addWidget(of_);
    header->addSpacing(12);
    header->addWidget(counts_, 1);
    trainedSwatch_ = new QLabel(this);
    promptSwatch_ = new QLabel(this);
    header->addWidget(trainedSwatch_);
    auto* trainedLegend = secondaryLabel(tr("trained"), this);
    trainedLegend->setToolTip(tr("Tokens with a label: the loss is computed on them"));
    header->addWidget(trainedLegend);
    header->addSpacing(8);
    header->addWidget(promptSwatch_);
    auto* promptLegend = secondaryLabel(tr("not trained"), this);
    promptLegend->setToolTip(tr("Prompt tokens (label -100): the model reads them but is not trained on them"));
    header->addWidget(promptLegend);
    v->addLayout(header);
    text_ = new QTextBrowser(this);
    text_->setObjectName(QStringLiteral("exampleText"));
    text_->setOpenLinks(false);
    text_->setPlaceholderText(tr("Open a dataset to see an example."));
    v->addWidget(text_, 1);
    connect(index_, &QSpinBox::valueChanged, this, [this](int value) { render(value - 1); });
    updateSwatches();
}

void ExampleView::updateSwatches() {
    const QPalette pal = palette();
    const int side = fontMetrics().height() - 4;
    trainedSwatch_->setPixmap(swatch(trainedBackground(), pal.color(QPalette::Mid), side));
    promptSwatch_->setPixmap(swatch(pal.color(QPalette::Base), pal.color(QPalette::Mid), side));
}

void ExampleView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    // Light / dark switch: the highlight is blended from the palette, so paint it again.
    if (event->type() == QEvent::PaletteChange) {
        updateSwatches();
        if (data_)
            render(currentExample());
    }
}

QColor ExampleView::trainedBackground() const {
    const QPalette pal = palette();
    return blend(pal.color(QPalette::Base), pal.color(QPalette::Highlight), 0.35);
}

QTextDocument* ExampleView::document() const {
    return text_->document();
}

int ExampleView::currentExample() const {
    return data_ ? index_->value() - 1 : -1;
}

void ExampleView::showMessage(const QString& text) {
    data_.reset();
    tokenizer_.reset();
    index_->setEnabled(false);
    of_->clear();
    counts_->clear();
    text_->clear();
    text_->setPlaceholderText(text);
}

void ExampleView::setDataset(const ps::TokenizedDataset& data, std::shared_ptr<const ps::Tokenizer> tokenizer) {
    data_ = data;
    tokenizer_ = std::move(tokenizer);
    const int count = static_cast<int>(data.size());
    if (count == 0 || !tokenizer_) {
        showMessage(tr("No example has anything to train on: check the format, the columns and cutoff_len."));
        return;
    }
    const int keep = std::min(index_->value(), count);
    const QSignalBlocker block(index_);
    index_->setRange(1, count);
    index_->setValue(keep);
    index_->setEnabled(true);
    of_->setText(tr("of %1").arg(QLocale().toString(count)));
    render(keep - 1);
}

void ExampleView::showExample(int index) {
    if (data_ && index >= 0 && index < static_cast<int>(data_->size()))
        index_->setValue(index + 1); // renders through valueChanged (or is already shown)
}

void ExampleView::render(int index) {
    if (!data_ || !tokenizer_ || index < 0 || index >= static_cast<int>(data_->size()))
        return;
    const auto ids = data_->inputIds(static_cast<std::size_t>(index));
    const auto labels = data_->labels(static_cast<std::size_t>(index));
    text_->clear();
    QTextCursor cursor(text_->document());
    QTextCharFormat plain;
    QTextCharFormat trained;
    trained.setBackground(trainedBackground());
    // Runs of tokens with the same mask, decoded together so that characters made of several
    // byte-level tokens come out whole.
    std::int64_t trainedCount = 0;
    std::size_t begin = 0;
    while (begin < ids.size()) {
        const bool isTrained = labels[begin] != kIgnoreIndex;
        std::size_t end = begin;
        while (end < ids.size() && (labels[end] != kIgnoreIndex) == isTrained)
            ++end;
        const std::vector<std::int32_t> run(ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                            ids.begin() + static_cast<std::ptrdiff_t>(end));
        cursor.insertText(toQ(tokenizer_->decode(run, false)), isTrained ? trained : plain);
        if (isTrained)
            trainedCount += static_cast<std::int64_t>(end - begin);
        begin = end;
    }
    text_->moveCursor(QTextCursor::Start);
    const QLocale locale;
    counts_->setText(tr("%1 tokens, %2 trained")
                         .arg(locale.toString(static_cast<qlonglong>(ids.size())),
                              locale.toString(static_cast<qlonglong>(trainedCount))));
}

} // namespace ps::ui
