#include "generation_settings_form.h"

#include "page_header.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>

namespace ps::ui {
namespace {

QDoubleSpinBox* doubleBox(QWidget* parent, double min, double max, double step, int decimals, const QString& tip) {
    auto* b = new QDoubleSpinBox(parent);
    b->setRange(min, max);
    b->setSingleStep(step);
    b->setDecimals(decimals);
    b->setToolTip(tip);
    return b;
}

} // namespace

GenerationSettingsForm::GenerationSettingsForm(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(sectionTitle(tr("Settings"), this));
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    maxNew_ = new QSpinBox(this);
    maxNew_->setRange(1, 32768);
    maxNew_->setToolTip(tr("Generation stops after this many new tokens"));
    temperature_ = doubleBox(this, 0.0, 5.0, 0.05, 2, tr("0 = greedy: always the most likely token"));
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    topK_ = new QSpinBox(this);
    topK_->setRange(0, 100000);
    topK_->setSpecialValueText(tr("off"));
    topK_->setToolTip(tr("Sample only from the k most likely tokens; 0 = off"));
    topP_ = doubleBox(this, 0.0, 1.0, 0.05, 2,
                      tr("Sample from the smallest set of tokens whose probability reaches p; 1 = off"));
    minP_ = doubleBox(this, 0.0, 1.0, 0.01, 2,
                      tr("Drop tokens less likely than min-p \u00d7 the top token's probability; 0 = off"));
    repetition_ = doubleBox(this, 0.5, 3.0, 0.05, 2, tr("Above 1 discourages repeating tokens; 1 = off"));
    seed_ = new QSpinBox(this);
    seed_->setRange(0, INT_MAX);
    seed_->setToolTip(tr("Both sides sample with this seed: the same settings give the same tokens"));
    stops_ = new QPlainTextEdit(this);
    stops_->setPlaceholderText(tr("One per line"));
    stops_->setToolTip(tr("Generation ends when the output contains one of these"));
    stops_->setMaximumHeight(stops_->fontMetrics().lineSpacing() * 4 + 10);
    stops_->setMaximumWidth(stops_->fontMetrics().averageCharWidth() * 24); // its size hint would widen the column
    form->addRow(tr("Max new tokens:"), maxNew_);
    form->addRow(tr("Temperature:"), temperature_);
    form->addRow(tr("Top-k:"), topK_);
    form->addRow(tr("Top-p:"), topP_);
    form->addRow(tr("Min-p:"), minP_);
    form->addRow(tr("Repetition penalty:"), repetition_);
    form->addRow(tr("Seed:"), seed_);
    form->addRow(tr("Stop strings:"), stops_);
    v->addLayout(form);
    reset_ = new QPushButton(tr("Model defaults"), this);
    reset_->setToolTip(tr("The settings from the model's generation_config.json"));
    v->addWidget(reset_, 0, Qt::AlignLeft);
    v->addStretch(1);
    connect(reset_, &QPushButton::clicked, this, [this] { setOptions(defaults_); });
    setDefaults(ps::GenerationOptions{});
}

void GenerationSettingsForm::setDefaults(const ps::GenerationOptions& defaults) {
    defaults_ = defaults;
    setOptions(defaults);
}

void GenerationSettingsForm::setOptions(const ps::GenerationOptions& o) {
    maxNew_->setValue(static_cast<int>(std::clamp<std::int64_t>(o.maxNewTokens, 1, 32768)));
    temperature_->setValue(o.sampling.temperature);
    topK_->setValue(static_cast<int>(std::clamp<std::int64_t>(o.sampling.topK, 0, 100000)));
    topP_->setValue(o.sampling.topP);
    minP_->setValue(o.sampling.minP);
    repetition_->setValue(o.sampling.repetitionPenalty);
    seed_->setValue(static_cast<int>(std::min<std::uint64_t>(o.sampling.seed, INT_MAX)));
    QStringList lines;
    for (const auto& s : o.stopStrings)
        lines << QString::fromStdString(s);
    stops_->setPlainText(lines.join(QLatin1Char('\n')));
}

ps::GenerationOptions GenerationSettingsForm::options() const {
    ps::GenerationOptions o = defaults_; // keeps stopOnEos / useKvCache as the model says
    o.maxNewTokens = maxNew_->value();
    o.sampling.temperature = temperature_->value();
    o.sampling.topK = topK_->value();
    o.sampling.topP = topP_->value();
    o.sampling.minP = minP_->value();
    o.sampling.repetitionPenalty = repetition_->value();
    o.sampling.seed = static_cast<std::uint64_t>(seed_->value());
    o.stopStrings.clear();
    for (const QString& line : stops_->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        o.stopStrings.push_back(line.toStdString()); // kept as typed: leading spaces may matter
    return o;
}

} // namespace ps::ui
