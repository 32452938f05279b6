#include "hyperparameter_form.h"

#include "glyph_icons.h"
#include "qt_convert.h"
#include "run_draft.h"

#include "ps/run_config.h"
#include "ps/runs.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace ps::ui {
namespace {

// Labels in the user's words; the key name is in the tooltip (and in the YAML).
QString labelFor(const QString& key) {
    static const QHash<QString, QString> labels = {
        {QStringLiteral("learning_rate"), HyperparameterForm::tr("Learning rate")},
        {QStringLiteral("num_train_epochs"), HyperparameterForm::tr("Epochs")},
        {QStringLiteral("max_steps"), HyperparameterForm::tr("Steps")},
        {QStringLiteral("per_device_train_batch_size"), HyperparameterForm::tr("Batch size")},
        {QStringLiteral("gradient_accumulation_steps"), HyperparameterForm::tr("Gradient accumulation")},
        {QStringLiteral("lr_scheduler_type"), HyperparameterForm::tr("Schedule")},
        {QStringLiteral("warmup_ratio"), HyperparameterForm::tr("Warm-up fraction")},
        {QStringLiteral("logging_steps"), HyperparameterForm::tr("Log every")},
        {QStringLiteral("eval_steps"), HyperparameterForm::tr("Evaluate every")},
        {QStringLiteral("save_steps"), HyperparameterForm::tr("Checkpoint every")},
        {QStringLiteral("early_stopping_patience"), HyperparameterForm::tr("Early stopping")},
        {QStringLiteral("run_name"), HyperparameterForm::tr("Run name")},
        {QStringLiteral("output_dir"), HyperparameterForm::tr("Runs folder")},
        {QStringLiteral("seed"), HyperparameterForm::tr("Seed")},
        {QStringLiteral("full_determinism"), HyperparameterForm::tr("Bit-exact reruns")},
        {QStringLiteral("optimizer"), HyperparameterForm::tr("Optimizer")},
        {QStringLiteral("weight_decay"), HyperparameterForm::tr("Weight decay")},
        {QStringLiteral("max_grad_norm"), HyperparameterForm::tr("Clip gradient norm")},
        {QStringLiteral("adam_beta1"), HyperparameterForm::tr("Adam \u03b2\u2081")},
        {QStringLiteral("adam_beta2"), HyperparameterForm::tr("Adam \u03b2\u2082")},
        {QStringLiteral("adam_epsilon"), HyperparameterForm::tr("Adam \u03b5")},
        {QStringLiteral("sgd_momentum"), HyperparameterForm::tr("SGD momentum")},
        {QStringLiteral("warmup_steps"), HyperparameterForm::tr("Warm-up steps")},
        {QStringLiteral("early_stopping_min_delta"), HyperparameterForm::tr("Min. improvement")},
        {QStringLiteral("bf16"), HyperparameterForm::tr("bfloat16 weights")},
        {QStringLiteral("fp16"), HyperparameterForm::tr("float16 (CUDA)")},
        {QStringLiteral("gradient_checkpointing"), HyperparameterForm::tr("Gradient checkpointing")},
    };
    return labels.value(key, key);
}

// Spin boxes say what their "off" / "automatic" value means instead of showing a bare 0 or -1.
QString specialValueText(const QString& key) {
    if (key == QLatin1String("max_steps"))
        return HyperparameterForm::tr("from epochs");
    if (key == QLatin1String("eval_steps"))
        return HyperparameterForm::tr("as logging");
    if (key == QLatin1String("save_steps"))
        return HyperparameterForm::tr("only at the end");
    if (key == QLatin1String("early_stopping_patience"))
        return HyperparameterForm::tr("off");
    if (key == QLatin1String("warmup_steps"))
        return HyperparameterForm::tr("from fraction");
    return {};
}

QString tooltipFor(const ps::RunConfigKey& key) {
    const ps::RunConfig defaults;
    return HyperparameterForm::tr("%1\n\nConfig key: %2 (default: %3)")
        .arg(toQ(key.help), toQ(key.name), toQ(ps::runConfigValue(defaults, key.name)));
}

} // namespace

HyperparameterForm::HyperparameterForm(RunDraft& draft, QWidget* parent) : QWidget(parent), draft_(draft) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(6);
    v->addWidget(
        addGroup(tr("Training"),
                 {QStringLiteral("learning_rate"), QStringLiteral("num_train_epochs"), QStringLiteral("max_steps"),
                  QStringLiteral("per_device_train_batch_size"), QStringLiteral("gradient_accumulation_steps"),
                  QStringLiteral("lr_scheduler_type"), QStringLiteral("warmup_ratio")},
                 false));
    v->addWidget(addGroup(tr("Evaluation and checkpoints"),
                          {QStringLiteral("logging_steps"), QStringLiteral("eval_steps"), QStringLiteral("save_steps"),
                           QStringLiteral("early_stopping_patience")},
                          false));
    v->addWidget(
        addGroup(tr("Run"),
                 {QStringLiteral("run_name"), QStringLiteral("output_dir"), QStringLiteral("seed"),
                  QStringLiteral("full_determinism")},
                 false));
    v->addWidget(addGroup(tr("Advanced"),
                          {QStringLiteral("optimizer"), QStringLiteral("weight_decay"), QStringLiteral("max_grad_norm"),
                           QStringLiteral("adam_beta1"), QStringLiteral("adam_beta2"), QStringLiteral("adam_epsilon"),
                           QStringLiteral("sgd_momentum"), QStringLiteral("warmup_steps"),
                           QStringLiteral("early_stopping_min_delta"), QStringLiteral("bf16"), QStringLiteral("fp16"),
                           QStringLiteral("gradient_checkpointing")},
                          true));
    problems_ = new QLabel(this);
    problems_->setObjectName(QStringLiteral("formProblems"));
    problems_->setWordWrap(true);
    problems_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    problems_->hide();
    v->addWidget(problems_);
    v->addStretch(1);

    // One label column for all groups, so the editors line up.
    int labelWidth = 0;
    for (const QLabel* label : std::as_const(labels_))
        labelWidth = std::max(labelWidth, label->sizeHint().width());
    for (QLabel* label : std::as_const(labels_))
        label->setMinimumWidth(labelWidth);
    load(editors_.keys());
    connect(&draft_, &RunDraft::changed, this, [this](const QStringList& keys) { load(keys); });
}

QWidget* HyperparameterForm::addGroup(const QString& title, const QStringList& keys, bool collapsed) {
    auto* group = new QWidget(this);
    auto* v = new QVBoxLayout(group);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    // A disclosure button (keyboard-reachable, Space toggles) rather than a group box frame.
    auto* header = new QToolButton(group);
    header->setText(title);
    header->setAccessibleDescription(tr("Shows or hides these settings"));
    header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    header->setArrowType(collapsed ? Qt::RightArrow : Qt::DownArrow);
    header->setAutoRaise(true);
    QFont f = header->font();
    f.setBold(true);
    header->setFont(f);
    v->addWidget(header);

    auto* body = new QWidget(group);
    auto* form = new QFormLayout(body);
    form->setContentsMargins(8, 0, 0, 4);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const QString& key : keys) {
        QWidget* editor = makeEditor(key);
        auto* label = new QLabel(labelFor(key), body);
        label->setBuddy(editor);
        labels_ << label;
        label->setToolTip(editor->toolTip());
        form->addRow(label, editor);
    }
    body->setVisible(!collapsed);
    v->addWidget(body);
    connect(header, &QToolButton::clicked, body, [header, body] {
        const bool open = body->isHidden();
        body->setVisible(open);
        header->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
    });
    return group;
}

QWidget* HyperparameterForm::makeEditor(const QString& key) {
    const ps::RunConfigKey* info = ps::findRunConfigKey(toStd(key));
    Q_ASSERT(info);
    QWidget* editor = nullptr;
    if (info->type == ps::ConfigValueType::Bool) {
        auto* box = new QCheckBox(this);
        connect(box, &QCheckBox::toggled, this,
                [this, key](bool on) { commit(key, on ? QStringLiteral("true") : QStringLiteral("false")); });
        editor = box;
    } else if (!info->choices.empty()) {
        auto* combo = new QComboBox(this);
        for (const std::string& choice : info->choices)
            combo->addItem(toQ(choice));
        connect(combo, &QComboBox::textActivated, this, [this, key](const QString& text) { commit(key, text); });
        editor = combo;
    } else if (info->type == ps::ConfigValueType::Int) {
        auto* spin = new QSpinBox(this);
        const QString special = specialValueText(key);
        const bool allowsMinusOne = key == QLatin1String("max_steps");
        spin->setRange(allowsMinusOne ? -1 : 0, std::numeric_limits<int>::max());
        spin->setSpecialValueText(special);
        spin->setKeyboardTracking(false); // commit on Enter / focus out, not per keystroke
        spin->setAccelerated(true);
        connect(spin, &QSpinBox::valueChanged, this, [this, key](int value) { commit(key, QString::number(value)); });
        editor = spin;
    } else {
        auto* line = new QLineEdit(this);
        if (key == QLatin1String("output_dir"))
            line->setPlaceholderText(toQ(ps::defaultRunsRoot()));
        else if (key == QLatin1String("run_name"))
            line->setPlaceholderText(tr("the run folder's name"));
        connect(line, &QLineEdit::editingFinished, this, [this, key, line] { commit(key, line->text()); });
        editor = line;
    }
    // The form lives in a narrow column: editors take the width they are given instead of
    // asking for room for ten-digit numbers.
    editor->setSizePolicy(QSizePolicy::Ignored, editor->sizePolicy().verticalPolicy());
    editor->setMinimumWidth(90);
    editor->setObjectName(key);
    editor->setToolTip(tooltipFor(*info));
    editor->setAccessibleName(labelFor(key));
    editors_.insert(key, editor);
    return editor;
}

void HyperparameterForm::commit(const QString& key, const QString& text) {
    const QString error = draft_.setValue(key, text);
    if (error.isEmpty())
        rejected_.remove(key);
    else
        rejected_.insert(key, error);
    updateProblems();
}

void HyperparameterForm::load(const QStringList& keys) {
    for (const QString& key : keys) {
        QWidget* editor = editors_.value(key);
        if (!editor)
            continue;
        rejected_.remove(key);
        const QString value = draft_.value(key);
        const QSignalBlocker block(editor);
        if (auto* box = qobject_cast<QCheckBox*>(editor))
            box->setChecked(value == QLatin1String("true"));
        else if (auto* combo = qobject_cast<QComboBox*>(editor))
            combo->setCurrentIndex(combo->findText(value));
        else if (auto* spin = qobject_cast<QSpinBox*>(editor))
            spin->setValue(value.toInt());
        else if (auto* line = qobject_cast<QLineEdit*>(editor))
            line->setText(value);
    }
    updateProblems();
}

void HyperparameterForm::updateProblems() {
    QStringList lines;
    QSet<QString> marked;
    for (auto it = rejected_.constBegin(); it != rejected_.constEnd(); ++it) {
        lines << it.value();
        marked.insert(it.key());
    }
    for (const ps::ConfigProblem& p : ps::runConfigProblems(draft_.config(), false)) {
        const QString key = toQ(p.key);
        if (!editors_.contains(key) || rejected_.contains(key))
            continue;
        lines << QStringLiteral("%1: %2").arg(labelFor(key), toQ(p.message));
        marked.insert(key);
    }
    for (auto it = editors_.constBegin(); it != editors_.constEnd(); ++it) {
        // Marked through the accessible description and a warning icon in line edits, so the
        // mark does not depend on a colour.
        const bool bad = marked.contains(it.key());
        it.value()->setAccessibleDescription(bad ? tr("invalid value") : QString());
        if (auto* line = qobject_cast<QLineEdit*>(it.value())) {
            QAction* mark = line->findChild<QAction*>(QStringLiteral("problemMark"));
            if (bad && !mark) {
                mark = line->addAction(glyphIcon(Glyph::Warning), QLineEdit::TrailingPosition);
                mark->setObjectName(QStringLiteral("problemMark"));
            } else if (!bad && mark) {
                line->removeAction(mark);
                delete mark;
            }
        }
    }
    problems_->setText(lines.join(QLatin1Char('\n')));
    problems_->setVisible(!lines.isEmpty());
}

QString HyperparameterForm::problemsText() const {
    return problems_->text();
}

} // namespace ps::ui
