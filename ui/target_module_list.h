#pragma once
// The target-module checklist of the Method page: the projections of the selected model, each
// a checkable row, with presets (attention only, all linear layers). Edits come out as the
// lora_target value: "all" when every module is checked, else a comma list of module names.
#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace ps::ui {

class TargetModuleList final : public QWidget {
    Q_OBJECT

public:
    explicit TargetModuleList(QWidget* parent = nullptr);

    // The model's projection names (ModelInfo::linearModules) and its model_type.
    void setModules(const QStringList& names, const QString& modelType);
    QStringList modules() const;
    // Checks the modules that the method adapts (from the resolved module paths).
    void showTargets(const QStringList& targetPaths);
    QStringList checkedModules() const;
    // "all" or "q_proj,v_proj" for the current check marks.
    QString targetValue() const;

    // The attention projections among `names` (the "Attention only" preset).
    static QStringList attentionModules(const QStringList& names);

Q_SIGNALS:
    // The user changed the check marks or used a preset.
    void targetChanged(const QString& loraTarget);

private:
    void setChecked(const QStringList& names);

    QListWidget* list_ = nullptr;
    QPushButton* attention_ = nullptr;
    QPushButton* allLinear_ = nullptr;
    bool updating_ = false;
};

} // namespace ps::ui
