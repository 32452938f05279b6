#include "memory_estimate_view.h"

#include "page_header.h"
#include "qt_convert.h"

#include "ps/human_format.h"

#include <QFormLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace ps::ui {

MemoryEstimateView::MemoryEstimateView(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    total_ = new QLabel(this);
    total_->setObjectName(QStringLiteral("memory_total"));
    QFont big = total_->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    total_->setFont(big);
    values_.insert(QStringLiteral("memory_total"), total_);
    v->addWidget(total_);
    assumptions_ = secondaryLabel({}, this);
    assumptions_->setObjectName(QStringLiteral("memory_assumptions"));
    assumptions_->setWordWrap(true);
    v->addWidget(assumptions_);
    auto* form = new QFormLayout;
    form->setVerticalSpacing(2);
    form->setHorizontalSpacing(16);
    const QList<QPair<QString, QString>> rows = {
        {QStringLiteral("memory_weights"), tr("Model weights")},
        {QStringLiteral("memory_trainable"), tr("Trained parameters, gradients, optimizer")},
        {QStringLiteral("memory_activations"), tr("Activations kept for backward")},
        {QStringLiteral("memory_head"), tr("Output head and loss")},
        {QStringLiteral("memory_runtime"), tr("LibTorch runtime")}};
    for (const auto& [key, text] : rows) {
        auto* value = new QLabel(this);
        value->setObjectName(key);
        value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        auto* name = secondaryLabel(text, this);
        name->setBuddy(value);
        form->addRow(name, value);
        values_.insert(key, value);
    }
    v->addLayout(form);
    clear(tr("Choose a base model to estimate the memory training needs."));
}

QString MemoryEstimateView::valueText(const QString& key) const {
    const QLabel* label = values_.value(key);
    return label ? label->text() : QString();
}

void MemoryEstimateView::clear(const QString& why) {
    for (QLabel* label : std::as_const(values_))
        label->setText(QStringLiteral("\u2014"));
    assumptions_->setText(why);
}

void MemoryEstimateView::setEstimate(const ps::TrainingMemoryEstimate& e, const ps::RunConfig& c) {
    auto size = [](std::uint64_t bytes) { return toQ(ps::formatByteSize(bytes)); };
    total_->setText(tr("about %1").arg(size(e.totalBytes)));
    values_.value(QStringLiteral("memory_weights"))->setText(size(e.weightsBytes));
    values_.value(QStringLiteral("memory_trainable"))->setText(size(e.trainableBytes));
    values_.value(QStringLiteral("memory_activations"))->setText(size(e.activationBytes));
    values_.value(QStringLiteral("memory_head"))->setText(size(e.headBytes));
    values_.value(QStringLiteral("memory_runtime"))->setText(size(e.runtimeBytes));
    QStringList notes;
    notes << tr("Peak on the CPU for batches of %1 \u00D7 %2 tokens")
                 .arg(c.per_device_train_batch_size)
                 .arg(c.cutoff_len);
    if (c.bf16)
        notes << tr("bf16 weights");
    if (c.gradient_checkpointing)
        notes << tr("gradient checkpointing");
    assumptions_->setText(notes.join(QStringLiteral(", ")) + QLatin1Char('.'));
}

} // namespace ps::ui
