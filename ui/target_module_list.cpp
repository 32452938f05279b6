#include "target_module_list.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace ps::ui {

TargetModuleList::TargetModuleList(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    auto* presets = new QHBoxLayout;
    attention_ = new QPushButton(tr("Attention only"), this);
    attention_->setObjectName(QStringLiteral("presetAttention"));
    attention_->setToolTip(tr("Adapt the query, key, value and output projections"));
    allLinear_ = new QPushButton(tr("All linear layers"), this);
    allLinear_->setObjectName(QStringLiteral("presetAllLinear"));
    allLinear_->setToolTip(tr("Adapt every projection of every layer (lora_target: all)"));
    presets->addWidget(attention_);
    presets->addWidget(allLinear_);
    presets->addStretch();
    v->addLayout(presets);
    list_ = new QListWidget(this);
    list_->setObjectName(QStringLiteral("targetModules"));
    list_->setFlow(QListView::LeftToRight);
    list_->setWrapping(true);
    list_->setResizeMode(QListView::Adjust);
    list_->setSpacing(2);
    list_->setMaximumHeight(list_->fontMetrics().height() * 3 + 16);
    v->addWidget(list_);

    connect(list_, &QListWidget::itemChanged, this, [this] {
        if (!updating_)
            Q_EMIT targetChanged(targetValue());
    });
    connect(attention_, &QPushButton::clicked, this, [this] {
        setChecked(attentionModules(modules()));
        Q_EMIT targetChanged(targetValue());
    });
    connect(allLinear_, &QPushButton::clicked, this, [this] {
        setChecked(modules());
        Q_EMIT targetChanged(targetValue());
    });
}

QStringList TargetModuleList::attentionModules(const QStringList& names) {
    static const QStringList attention = {
        QStringLiteral("q_proj"),   QStringLiteral("k_proj"), QStringLiteral("v_proj"),     QStringLiteral("o_proj"),
        QStringLiteral("qkv_proj"), QStringLiteral("c_attn"), QStringLiteral("attn.c_proj")};
    QStringList out;
    for (const QString& n : names)
        if (attention.contains(n))
            out << n;
    return out;
}

void TargetModuleList::setModules(const QStringList& names, const QString& modelType) {
    QStringList shown = names;
    // GPT-2 has a c_proj in attention and one in the MLP; name them apart so that "attention
    // only" does not also adapt the MLP (peft matches a dotted name as a path suffix).
    if (modelType == QLatin1String("gpt2") && shown.contains(QStringLiteral("c_proj"))) {
        const int at = static_cast<int>(shown.indexOf(QStringLiteral("c_proj")));
        shown.removeAt(at);
        shown.insert(at, QStringLiteral("attn.c_proj"));
        shown << QStringLiteral("mlp.c_proj");
    }
    if (shown == modules())
        return;
    updating_ = true;
    list_->clear();
    for (const QString& n : shown) {
        auto* item = new QListWidgetItem(n, list_);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
        item->setCheckState(Qt::Unchecked);
    }
    updating_ = false;
}

QStringList TargetModuleList::modules() const {
    QStringList out;
    for (int i = 0; i < list_->count(); ++i)
        out << list_->item(i)->text();
    return out;
}

void TargetModuleList::setChecked(const QStringList& names) {
    updating_ = true;
    for (int i = 0; i < list_->count(); ++i)
        list_->item(i)->setCheckState(names.contains(list_->item(i)->text()) ? Qt::Checked : Qt::Unchecked);
    updating_ = false;
}

void TargetModuleList::showTargets(const QStringList& targetPaths) {
    QStringList checked;
    for (const QString& name : modules())
        for (const QString& path : targetPaths)
            if (path == name || path.endsWith(QLatin1Char('.') + name)) {
                checked << name;
                break;
            }
    setChecked(checked);
}

QStringList TargetModuleList::checkedModules() const {
    QStringList out;
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->checkState() == Qt::Checked)
            out << list_->item(i)->text();
    return out;
}

QString TargetModuleList::targetValue() const {
    const QStringList checked = checkedModules();
    if (!checked.isEmpty() && checked.size() == list_->count())
        return QStringLiteral("all");
    return checked.join(QLatin1Char(','));
}

} // namespace ps::ui
